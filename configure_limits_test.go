package httprelation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// longName returns a distinct valid DNS name of exactly 253 characters.
func longName(i int) string {
	name := fmt.Sprintf("h%05d", i) + strings.Repeat("."+strings.Repeat("a", 63), 3) + "."
	return name + strings.Repeat("b", 253-len(name)-len(".example")) + ".example"
}

// hostnames returns n distinct short hostnames.
func hostnames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("vip%d.example", i)
	}
	return out
}

// TestConfigureRequirerLimits: Configure refuses, before writing anything,
// what a requirer would refuse, and the error names the limit broken
// (class 11).
func TestConfigureRequirerLimits(t *testing.T) {
	long := make([]string, 240)
	for i := range long {
		long[i] = longName(i)
	}
	tests := []struct {
		name string
		opts []httprelation.ConfigureOption
		// ingress replaces website:12's ingress address.
		ingress string
		is      error
		msg     string
		// toolless: refused before any accessor call.
		toolless bool
	}{
		{name: "258 hostnames", opts: []httprelation.ConfigureOption{httprelation.WithHostnames(hostnames(258)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "258 hosts, the first at the top level and the rest in extended_data: invalid extended_data: 257 entries, more than 256", toolless: true},
		{name: "1000 addresses", opts: []httprelation.ConfigureOption{httprelation.WithAddresses(hostnames(1000)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "999 entries, more than 256", toolless: true},
		{name: "258 addresses next to 2 hostnames", opts: []httprelation.ConfigureOption{httprelation.WithHostnames("a.example", "b.example"), httprelation.WithAddresses(hostnames(258)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "257 entries, more than 256", toolless: true},
		{name: "240 names of 253 bytes", opts: []httprelation.ConfigureOption{httprelation.WithHostnames(long...)},
			is: httprelation.ErrInvalidExtendedData, msg: "bytes, more than 65536"},
		{name: "240 long names as addresses", opts: []httprelation.ConfigureOption{httprelation.WithHostnames("web.example"), httprelation.WithAddresses(long...)},
			is: httprelation.ErrInvalidExtendedData, msg: "bytes, more than 65536"},
		{name: "a long ingress name pads one relation over the size", ingress: longName(999),
			opts: []httprelation.ConfigureOption{httprelation.WithHostnames(hostnames(230)...)},
			is:   httprelation.ErrInvalidExtendedData, msg: `relation "website:12": 230 hosts: invalid extended_data: `},
		{name: "an address in disguise", opts: []httprelation.ConfigureOption{httprelation.WithHostnames("web.example", "0x7f000001")},
			is: httprelation.ErrInvalidAddress, msg: "starts with a digit", toolless: true},
		{name: "a non-ASCII name", opts: []httprelation.ConfigureOption{httprelation.WithAddresses("wéb.example")},
			is: httprelation.ErrInvalidAddress, msg: `contains 'é' (U+00E9)`, toolless: true},
		{name: "an ingress address in disguise", ingress: "127.1",
			is: httprelation.ErrInvalidAddress, msg: "ingress address: invalid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := website(toolsim.Hook{Name: "website-relation-joined", RelationID: "website:3", RemoteUnit: "lb/0"})
			if tt.ingress != "" {
				rel := s.Relations["website:12"]
				rel.Network = ingress(tt.ingress)
				s.Relations["website:12"] = rel
			}
			m := httprelationtest.New(t, s)
			before := snapshot(m)
			err := httprelation.NewProvides(m, "website").Configure(context.Background(), 8080, tt.opts...)
			require.ErrorIs(t, err, tt.is)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Equal(t, before, snapshot(m), "nothing written")
			assert.Zero(t, m.CallCount("SetLocalData"))
			if tt.toolless {
				assert.Empty(t, m.Calls(), "refused before any call")
			}
		})
	}
}

// TestConfigurePublishesWhatRequiresAccept crosses the size limit one
// host at a time: whatever Configure publishes, the requirer's own parser
// reads in full; whatever it refuses, that parser would have refused.
func TestConfigurePublishesWhatRequiresAccept(t *testing.T) {
	var published, refused int
	for n := 190; n <= 230; n++ {
		names := make([]string, n)
		for i := range names {
			names[i] = longName(i)
		}
		m := httprelationtest.New(t, website(toolsim.Hook{Name: "config-changed"}))
		before := snapshot(m)
		err := httprelation.NewProvides(m, "website").Configure(context.Background(), 8080, httprelation.WithHostnames(names...))

		// What the requirer would read in each relation, written as
		// Configure writes it: the tail pads with that relation's ingress
		// address, so one relation may cross the limit before the other.
		want := map[string]string{}
		accepted := true
		for id, ingress := range map[string]string{"website:3": "10.0.0.3", "website:12": "10.1.0.12"} {
			extra := make([]httprelation.Host, n-1)
			for i := range extra {
				extra[i] = httprelation.Host{Hostname: names[i+1], PrivateAddress: ingress, Port: 8080}
			}
			ext, jerr := json.Marshal(extra)
			require.NoError(t, jerr)
			want[id] = string(ext)
			_, problems := httprelation.ParseUnitData(map[string]string{"extended_data": string(ext)})
			accepted = accepted && len(problems) == 0
		}

		if err != nil {
			refused++
			require.ErrorIs(t, err, httprelation.ErrInvalidExtendedData, "n=%d", n)
			assert.False(t, accepted, "n=%d: refused what a requirer accepts", n)
			assert.Equal(t, before, snapshot(m))
			continue
		}
		published++
		assert.True(t, accepted, "n=%d: published what a requirer refuses", n)
		for id, ext := range want {
			bag := m.Local(id)
			assert.JSONEq(t, ext, bag["extended_data"], "n=%d", n)
			hosts, problems := httprelation.ParseUnitData(bag)
			assert.Empty(t, problems, "n=%d", n)
			assert.Len(t, hosts, n)
		}
	}
	assert.NotZero(t, published, "the range must cross the limit")
	assert.NotZero(t, refused, "the range must cross the limit")

	// 257 hosts is the entry limit itself.
	m := httprelationtest.New(t, website(toolsim.Hook{Name: "config-changed"}))
	require.NoError(t, httprelation.NewProvides(m, "website").Configure(context.Background(), 80, httprelation.WithHostnames(hostnames(257)...)))
	hosts, problems := httprelation.ParseUnitData(m.Local("website:12"))
	assert.Empty(t, problems)
	assert.Len(t, hosts, 257)
}

// TestConfigurePublishesCanonical: the provider publishes one spelling
// per target, ingress addresses included (class 3 on our own writes).
func TestConfigurePublishesCanonical(t *testing.T) {
	s := website(toolsim.Hook{Name: "config-changed"})
	rel := s.Relations["website:12"]
	rel.Network = ingress("::FFFF:10.1.0.12")
	s.Relations["website:12"] = rel
	m := httprelationtest.New(t, s)
	err := httprelation.NewProvides(m, "website").Configure(context.Background(), 8080,
		httprelation.WithHostnames("WEB.Example.COM", "2001:DB8:0::1", "Vip.Example"),
		httprelation.WithAddresses("::ffff:10.0.0.5"))
	require.NoError(t, err)
	for id, ingress := range map[string]string{"website:3": "10.0.0.3", "website:12": "10.1.0.12"} {
		bag := m.Local(id)
		assert.Equal(t, "web.example.com", bag["hostname"], id)
		assert.Equal(t, "10.0.0.5", bag["private-address"], id)
		assert.JSONEq(t, `[{"hostname":"2001:db8::1","private-address":"`+ingress+`","port":8080},`+
			`{"hostname":"vip.example","private-address":"`+ingress+`","port":8080}]`, bag["extended_data"], id)
	}
}
