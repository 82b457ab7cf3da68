package hooktools

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCacheCost reads like Requires.Services twice over: every tool runs
// once per endpoint, relation and bag.
func TestCacheCost(t *testing.T) {
	tr := loadTranscript(t, "changed")
	replay := newReplay(tr)
	acc := newAccessor(replay, WithEnv(tr.env()))
	ctx := context.Background()
	for range 3 {
		ids, err := acc.RelationIDs(ctx, "backends")
		require.NoError(t, err)
		var refs []unitRef
		for _, id := range ids {
			units, err := acc.RelationUnits(ctx, id)
			require.NoError(t, err)
			_, err = acc.RemoteApp(ctx, id)
			require.NoError(t, err)
			for _, u := range units {
				refs = append(refs, unitRef{RelationID: id, Unit: u})
			}
		}
		bags, errs := readAll(ctx, acc, refs)
		require.Len(t, bags, 3)
		for i := range refs {
			require.NoError(t, errs[i])
			bag, err := acc.UnitData(ctx, refs[i].RelationID, refs[i].Unit)
			require.NoError(t, err)
			assert.Equal(t, bags[i], bag)
		}
	}
	// "4" names the same relation as "backends:4".
	_, err := acc.RelationUnits(ctx, "4")
	require.NoError(t, err)

	assert.Equal(t, 1, replay.count("relation-ids"))
	assert.Equal(t, 2, replay.count("relation-list"))
	assert.Equal(t, 3, replay.count("relation-get"))
	assert.Len(t, replay.made(), 6)
}

func TestCachedListsAreCopies(t *testing.T) {
	r := answer(map[string]string{"relation-list --format=json -r=web:1": `["web/1","web/0"]`})
	acc := newAccessor(r)
	units, err := acc.RelationUnits(context.Background(), "web:1")
	require.NoError(t, err)
	units[0] = "changed"
	units, err = acc.RelationUnits(context.Background(), "web:1")
	require.NoError(t, err)
	assert.Equal(t, []string{"web/1", "web/0"}, units)
}

func TestFailuresAreNotCached(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) {
		if fail.Load() {
			return nil, &ToolError{Tool: "relation-ids", ExitCode: 1, Message: "agent busy"}
		}
		return []byte(`["web:1"]`), nil
	}}
	acc := newAccessor(r)
	_, err := acc.RelationIDs(context.Background(), "web")
	require.Error(t, err)
	fail.Store(false)
	ids, err := acc.RelationIDs(context.Background(), "web")
	require.NoError(t, err)
	assert.Equal(t, []string{"web:1"}, ids)
	assert.Len(t, r.seen(), 2)
}

// TestSetLocalDataUpdatesCache: a bag read before a write shows the
// write without another relation-get, and the map handed out before is
// left as it was.
func TestSetLocalDataUpdatesCache(t *testing.T) {
	r := answer(map[string]string{
		"relation-get --format=json -r=site:2 - lb/0": `{"private-address":"10.0.0.5","port":"80"}`,
		"relation-set --relation=2 --file -":          "",
	})
	acc := newAccessor(r, WithEnv(Env{Unit: "lb/0"}))
	ctx := context.Background()
	before, err := acc.UnitData(ctx, "site:2", "lb/0")
	require.NoError(t, err)
	require.NoError(t, acc.SetLocalData(ctx, "2", map[string]string{"port": "", "hostname": "lb.example"}))
	after, err := acc.UnitData(ctx, "site:2", "lb/0")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"private-address": "10.0.0.5", "hostname": "lb.example"}, after)
	assert.Equal(t, map[string]string{"private-address": "10.0.0.5", "port": "80"}, before)
	assert.Len(t, r.seen(), 2)
}

// TestSetLocalDataForgets: a failed write, or a write without a known
// local unit, makes the next read ask Juju again.
func TestSetLocalDataForgets(t *testing.T) {
	for name, tc := range map[string]struct {
		env    Env
		setErr bool
	}{
		"write failed": {Env{Unit: "lb/0"}, true},
		"unit unknown": {Env{}, false},
	} {
		t.Run(name, func(t *testing.T) {
			gets := 0
			r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
				if c.Tool == "relation-set" && tc.setErr {
					return nil, &ToolError{Tool: c.Tool, ExitCode: 1, Message: "boom"}
				}
				if c.Tool == "relation-get" {
					gets++
					return fmt.Appendf(nil, `{"n":"%d"}`, gets), nil
				}
				return nil, nil
			}}
			acc := newAccessor(r, WithEnv(tc.env))
			ctx := context.Background()
			_, err := acc.UnitData(ctx, "site:2", "lb/0")
			require.NoError(t, err)
			err = acc.SetLocalData(ctx, "site:2", map[string]string{"a": "b"})
			assert.Equal(t, tc.setErr, err != nil)
			bag, err := acc.UnitData(ctx, "site:2", "lb/0")
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"n": "2"}, bag)
		})
	}
}

func TestSetLocalDataRejects(t *testing.T) {
	r := answer(nil)
	acc := newAccessor(r)
	ctx := context.Background()
	for name, data := range map[string]map[string]string{
		"empty key":    {"": "x"},
		"key with =":   {"a=b": "x"},
		"key spaces":   {"a b": "x"},
		"key flag":     {"-r": "x"},
		"key unicode":  {"clé": "x"},
		"invalid utf8": {"k": "\xff"},
	} {
		assert.Error(t, acc.SetLocalData(ctx, "site:2", data), name)
	}
	assert.ErrorIs(t, acc.SetLocalData(ctx, "site:2", map[string]string{"a=b": "x"}), httprelation.ErrInvalidKey)
	assert.NoError(t, acc.SetLocalData(ctx, "site:2", nil), "nothing to write")
	assert.Error(t, acc.SetLocalData(ctx, "-x", map[string]string{"a": "b"}))
	assert.Empty(t, r.seen())
}

func TestArgumentsThatLookLikeFlags(t *testing.T) {
	r := answer(nil)
	acc := newAccessor(r)
	ctx := context.Background()
	_, err := acc.RelationIDs(ctx, "--help")
	assert.Error(t, err)
	_, err = acc.UnitData(ctx, "site:2", "-")
	assert.Error(t, err)
	_, err = acc.RelationUnits(ctx, "")
	assert.Error(t, err)
	assert.Empty(t, r.seen())
}

func TestParseErrors(t *testing.T) {
	for _, out := range []string{"", "\n", "garbage", "{", `{"a":1}`, `["a"] x`, `"web"`} {
		r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return []byte(out), nil }}
		acc := newAccessor(r)
		_, err := acc.RelationIDs(context.Background(), "website")
		assert.ErrorIs(t, err, ErrBadOutput, "%q", out)
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "relation-ids", pe.Tool)
		assert.Contains(t, err.Error(), "relation-ids")
	}
	r := answer(map[string]string{"relation-list --format=json -r=web:1 --app": "null\n", "relation-list --format=json -r=web:1": "[]\n"})
	_, err := newAccessor(r).RemoteApp(context.Background(), "web:1")
	assert.ErrorIs(t, err, ErrBadOutput)
}

// TestUnitDataKeepsGoodValues: a value that is not a string costs only
// itself, and is named in a PartialBagError; null is not a bag.
func TestUnitDataKeepsGoodValues(t *testing.T) {
	r := answer(map[string]string{
		"relation-get --format=json -r=web:1 - web/0": `{"port":8080,"hostname":"10.0.0.1","x":null,"y":{"a":"b"}}`,
		"relation-get --format=json -r=web:1 - web/1": "null\n",
	})
	acc := newAccessor(r)
	bag, err := acc.UnitData(context.Background(), "web:1", "web/0")
	assert.Equal(t, map[string]string{"hostname": "10.0.0.1"}, bag)
	var partial *httprelation.PartialBagError
	require.ErrorAs(t, err, &partial)
	assert.ErrorIs(t, err, httprelation.ErrNotString)
	assert.ElementsMatch(t, []string{"port=8080", "x=null", "y={\"a\":\"b\"}"}, problemList(partial))
	_, err = acc.UnitData(context.Background(), "web:1", "web/1")
	assert.ErrorIs(t, err, ErrBadOutput)
}

// problemList renders a PartialBagError's problems as key=value.
func problemList(e *httprelation.PartialBagError) []string {
	var l []string
	for _, p := range e.Problems {
		l = append(l, p.Key+"="+p.Value)
	}
	return l
}

func TestRemoteAppWithoutUnits(t *testing.T) {
	r := answer(map[string]string{
		"relation-list --format=json -r=backends:11":       "[]\n",
		"relation-list --format=json -r=backends:11 --app": "\"blog\"\n",
	})
	acc := newAccessor(r)
	for range 2 {
		app, err := acc.RemoteApp(context.Background(), "backends:11")
		require.NoError(t, err)
		assert.Equal(t, "blog", app)
	}
	assert.Len(t, r.seen(), 2)
}

func TestToolErrorIs(t *testing.T) {
	for _, tc := range []struct {
		msg              string
		relation, unitNF bool
	}{
		{`invalid value "website:99" for option -r: relation not found`, true, false},
		{`cannot read settings for unit "web/9" in relation "a b": unit "web/9": settings not found`, false, true},
		{`invalid value "bogus" for option -r: invalid relation id`, false, false},
		{"permission denied", false, false},
	} {
		err := fmt.Errorf("wrapped: %w", &ToolError{Tool: "relation-get", Args: []string{"-r=a:1", "-", "web/9"}, ExitCode: 1, Message: tc.msg})
		assert.Equal(t, tc.relation, errors.Is(err, httprelation.ErrRelationNotFound), tc.msg)
		assert.Equal(t, tc.unitNF, errors.Is(err, httprelation.ErrUnitNotFound), tc.msg)
		assert.False(t, errors.Is(err, ErrBadOutput))
		assert.Contains(t, err.Error(), tc.msg)
	}
}

func TestMemoSharesConcurrentLoads(t *testing.T) {
	var m memo[int]
	var loads atomic.Int32
	start := make(chan struct{})
	results := make(chan int, 10)
	for range 10 {
		go func() {
			<-start
			v, _ := m.get(context.Background(), "k", func() (int, error) {
				loads.Add(1)
				time.Sleep(20 * time.Millisecond)
				return 7, nil
			})
			results <- v
		}()
	}
	close(start)
	for range 10 {
		assert.Equal(t, 7, <-results)
	}
	assert.Equal(t, int32(1), loads.Load())
}

func TestIngressAddressFallbacks(t *testing.T) {
	const (
		netGet  = "network-get --format=json -r=website:3 website"
		bagGet  = "relation-get --format=json -r=website:3 - web/0"
		unitGet = "unit-get --format=json private-address"
	)
	for name, tc := range map[string]struct {
		outputs map[string]string
		want    string
		tools   []string
	}{
		"network-get": {
			outputs: map[string]string{netGet: `{"bind-addresses":[],"ingress-addresses":["10.0.0.9","10.0.0.10"]}`},
			want:    "10.0.0.9", tools: []string{"network-get"},
		},
		"own ingress-address": {
			outputs: map[string]string{bagGet: `{"ingress-address":"10.0.1.1","private-address":"10.0.1.2"}`},
			want:    "10.0.1.1", tools: []string{"network-get", "relation-get"},
		},
		"own private-address after empty network-get": {
			outputs: map[string]string{netGet: `{"ingress-addresses":[]}`, bagGet: `{"private-address":"10.0.1.2"}`},
			want:    "10.0.1.2", tools: []string{"network-get", "relation-get"},
		},
		"unit-get": {
			outputs: map[string]string{bagGet: `{}`, unitGet: `"10.0.2.1"`},
			want:    "10.0.2.1", tools: []string{"network-get", "relation-get", "unit-get"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := answer(tc.outputs)
			acc := newAccessor(r, WithEnv(Env{Unit: "web/0"}))
			for range 2 {
				addr, err := acc.IngressAddress(context.Background(), "website:3")
				require.NoError(t, err)
				assert.Equal(t, tc.want, addr)
			}
			var tools []string
			for _, c := range r.seen() {
				tools = append(tools, c.Tool)
			}
			assert.Equal(t, tc.tools, tools, "tried in order, once")
		})
	}
}

func TestIngressAddressFails(t *testing.T) {
	r := answer(nil)
	acc := newAccessor(r, WithEnv(Env{Unit: "web/0"}))
	_, err := acc.IngressAddress(context.Background(), "website:3")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "website:3")
	_, err = acc.IngressAddress(context.Background(), "website:3")
	require.Error(t, err)
	assert.Len(t, r.seen(), 6, "a failure is not cached")
}

// TestIngressAddressBareNumber: a bare relation number takes the
// endpoint of the running relation hook; without one, network-get is
// skipped (it needs a binding).
func TestIngressAddressBareNumber(t *testing.T) {
	r := answer(map[string]string{"network-get --format=json --relation=3 website": `{"ingress-addresses":["10.0.0.9"]}`})
	acc := newAccessor(r, WithEnv(Env{Unit: "web/0", RelationName: "website", RelationID: "website:3"}))
	addr, err := acc.IngressAddress(context.Background(), "3")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.9", addr)

	r = answer(map[string]string{"unit-get --format=json private-address": `"10.0.2.1"`})
	addr, err = newAccessor(r).IngressAddress(context.Background(), "3")
	require.NoError(t, err)
	assert.Equal(t, "10.0.2.1", addr)
	require.Len(t, r.seen(), 1)
	assert.Equal(t, "unit-get", r.seen()[0].Tool)
}
