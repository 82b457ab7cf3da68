package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

func TestTallyLine(t *testing.T) {
	tl := tally{answered: map[string]int{"web/0": 4, "web/2": 5, "stranger/0": 1}, failed: 2}
	assert.Equal(t, "stranger/0=1 web/0=4 web/1=0 web/2=5 failed=2", tl.line([]string{"web/2", "web/1", "web/0"}))
}

func TestTallyCheck(t *testing.T) {
	live, gone := []string{"web/0", "web/2"}, []string{"web/1"}
	tests := []struct {
		name string
		t    tally
		want string
	}{
		{name: "balanced", t: tally{answered: map[string]int{"web/0": 15, "web/2": 15}}},
		{name: "failed request", t: tally{answered: map[string]int{"web/0": 1, "web/2": 1}, failed: 1, firstErr: errors.New("boom")}, want: "1 requests failed, first: boom"},
		{name: "live unit starved", t: tally{answered: map[string]int{"web/0": 30}}, want: "unit web/2 got no request"},
		{name: "gone unit answered", t: tally{answered: map[string]int{"web/0": 1, "web/1": 1, "web/2": 1}}, want: "unit web/1 answered 1 requests but must get none"},
		{name: "stranger answered", t: tally{answered: map[string]int{"web/0": 1, "web/2": 1, "evil/0": 3}}, want: `unknown unit "evil/0" answered 3 requests`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.t.check(live, gone)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.want)
		})
	}
}

// unitServer is a stand-in website unit answering as name.
func unitServer(t *testing.T, name string, body string) httprelation.Host {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(unitHeader, name)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	host, port, err := net.SplitHostPort(s.Listener.Addr().String())
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return httprelation.Host{Hostname: host, PrivateAddress: host, Port: p}
}

func TestEmbeddedProxyRoundRobin(t *testing.T) {
	p, err := startEmbedded()
	require.NoError(t, err)
	defer p.close()
	ctx := context.Background()

	empty := sendRequests(ctx, p.addr(), 2)
	assert.Equal(t, 2, empty.failed, "no backend means 503")
	require.ErrorContains(t, empty.firstErr, "503")

	a, b := unitServer(t, "web/0", "web/0\n"), unitServer(t, "web/1", "web/1\n")
	require.NoError(t, p.apply(ctx, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{a, b}}}))
	got := sendRequests(ctx, p.addr(), 10)
	assert.Equal(t, map[string]int{"web/0": 5, "web/1": 5}, got.answered)
	assert.Zero(t, got.failed)

	require.NoError(t, p.apply(ctx, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{b}}}))
	got = sendRequests(ctx, p.addr(), 4)
	assert.Equal(t, map[string]int{"web/1": 4}, got.answered, "a removed host gets nothing")
}

func TestAskRejectsForeignAnswers(t *testing.T) {
	liar := unitServer(t, "web/0", "web/9\n")
	_, err := ask(context.Background(), "http://"+liar.Addr()+"/")
	require.ErrorContains(t, err, "is not a unit's")

	silent := unitServer(t, "", "hello\n")
	_, err = ask(context.Background(), "http://"+silent.Addr()+"/")
	require.ErrorContains(t, err, "is not a unit's")
}
