package httprelation_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/internal/statekey"
	"github.com/charmkit/httprelation/toolsim"
)

// largeWorld has n units in one relation, each with a DNS hostname
// distinct from its private address (the longer of the two host forms)
// and every tenth with a virtual IP in extended_data.
func largeWorld(n int) *viewWorld {
	w := newViewWorld()
	w.addRelation("reverseproxy:7", "web")
	for u := range n {
		addr := fmt.Sprintf("10.%d.%d.%d", 2+u>>16&255, u>>8&255, u&255)
		bag := backendBag(addr, "8080")
		bag["hostname"] = fmt.Sprintf("web-%d.backend.example.internal", u)
		if u%10 == 0 {
			bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.200.%d.%d","private-address":"10.200.%d.%d","port":80}]`,
				u>>8&255, u&255, u>>8&255, u&255)
		}
		w.setUnit("reverseproxy:7", fmt.Sprintf("web/%d", u), bag)
	}
	return w
}

// TestViewSizeOf1000Units pins the stored size the README states.
func TestViewSizeOf1000Units(t *testing.T) {
	w := largeWorld(1000)
	run := w.run(t, nil, viewHook{hook: plainHook("config-changed"), now: t0})
	size := viewBytes(run.state)
	t.Logf("view of 1000 units: %d bytes in %d values", size, len(run.state)-1)
	assert.Less(t, size, 256<<10, "under 256 KiB")
	assert.Greater(t, size, 1000*50, "it does hold every host")
	for k, v := range run.state {
		assert.LessOrEqual(t, len(k), 256, "Juju's key limit")
		assert.LessOrEqual(t, len(v), 64<<10, "Juju's value limit")
	}
	h := changed("reverseproxy:7", "web/500")
	next := w.run(t, run.state, viewHook{hook: h, now: t0})
	assert.Equal(t, []string{"reverseproxy:7 web/500"}, next.reads)
	assert.Equal(t, w.fullRead(t, h), next.services)
}

// TestViewPastMaxUnits: past MaxViewUnits every hook reads every unit,
// with one warning when that starts, and the view comes back below it.
func TestViewPastMaxUnits(t *testing.T) {
	n := httprelation.MaxViewUnits + 1
	w := largeWorld(n)
	h := changed("reverseproxy:7", "web/3")
	second := assertFallsBack(t, w, h, n)

	w.removeUnit("reverseproxy:7", "web/9")
	back := w.run(t, second.state, viewHook{hook: plainHook("config-changed"), now: t0})
	assert.Len(t, back.reads, n-1)
	assert.Empty(t, back.warnings)
	assert.Greater(t, viewBytes(back.state), 100_000, "kept again")
	again := w.run(t, back.state, viewHook{hook: h, now: t0})
	assert.Equal(t, []string{"reverseproxy:7 web/3"}, again.reads)
	assert.Equal(t, w.fullRead(t, h), again.services)
}

// TestViewPastMaxBytes: units whose hosts would take more than
// MaxViewBytes to keep make every hook read every unit, with one warning.
func TestViewPastMaxBytes(t *testing.T) {
	w := newViewWorld()
	w.addRelation("reverseproxy:1", "web")
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60)
	units := 0
	for size := 0; size <= httprelation.MaxViewBytes; units++ {
		var entries []string
		for e := range 200 {
			entries = append(entries, fmt.Sprintf(`{"hostname":"h%d-%d.%s","private-address":"p%d-%d.%s","port":80}`, units, e, long, units, e, long))
			size += 2 * (len(long) + 8)
		}
		bag := backendBag(fmt.Sprintf("10.0.0.%d", units+1), "80")
		bag["extended_data"] = "[" + strings.Join(entries, ",") + "]"
		w.setUnit("reverseproxy:1", fmt.Sprintf("web/%d", units), bag)
	}
	assertFallsBack(t, w, changed("reverseproxy:1", "web/0"), units)
}

// assertFallsBack runs hook h twice in w, whose n units are past a
// limit: both read every unit and answer right, the first warns once, the
// second not again. It returns the second run.
func assertFallsBack(t *testing.T, w *viewWorld, h toolsim.Hook, n int) viewRun {
	first := w.run(t, nil, viewHook{hook: h, now: t0})
	assert.Len(t, first.reads, n)
	assert.Equal(t, w.fullRead(t, h), first.services)
	require.Len(t, first.warnings, 1)
	assert.Contains(t, first.warnings[0].Message, "too many remote units or hosts")
	assert.Less(t, viewBytes(first.state), 200, "only a note is kept")

	second := w.run(t, first.state, viewHook{hook: h, now: t0})
	assert.Len(t, second.reads, n, "still a full read")
	assert.Equal(t, w.fullRead(t, h), second.services)
	assert.Empty(t, second.warnings, "no second warning")
	return second
}

// TestViewShrinksWithoutDeletes: a view that needed several values and
// shrinks keeps their keys with empty lines, because with Juju's state
// store every deleted key costs a state-delete call of its own.
func TestViewShrinksWithoutDeletes(t *testing.T) {
	w := largeWorld(3000)
	h := plainHook("config-changed")
	big := w.run(t, nil, viewHook{hook: h, now: t0})
	parts := len(big.state) - 1 // the flag
	require.Greater(t, parts, 1)
	for u := 10; u < 3000; u++ {
		w.removeUnit("reverseproxy:7", fmt.Sprintf("web/%d", u))
	}
	small := w.run(t, big.state, viewHook{hook: h, now: t0})
	assert.Len(t, small.state, parts+1, "same keys")
	assert.Equal(t, "\n", small.state[fmt.Sprintf("view.reverseproxy.%d", parts-1)])
	next := w.run(t, small.state, viewHook{hook: changed("reverseproxy:7", "web/3"), now: t0})
	assert.Equal(t, []string{"reverseproxy:7 web/3"}, next.reads)
	assert.Equal(t, w.fullRead(t, h), next.services)
}

// TestViewEndpointNameUnusable: an endpoint name that cannot be part of
// a state key (Juju would not allow it either) reads in full and warns.
func TestViewEndpointNameUnusable(t *testing.T) {
	ctx := context.Background()
	const odd = "Reverse.Proxy"
	store := &httprelation.MemoryStore{}
	require.NoError(t, store.Save(ctx, map[string]string{"flag.custom": "1"})) // the charm's own state
	for range 2 {
		m, acc := newOddModel(t, odd)
		reg, err := httprelation.NewRegistry(ctx, store)
		require.NoError(t, err)
		logs := &recordHandler{}
		got, err := httprelation.NewRequires(acc, odd, httprelation.WithLogger(slog.New(logs)), httprelation.WithIncrementalView(reg)).Services(ctx)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Len(t, got[0].Hosts, 2)
		assert.Equal(t, 2, m.CallCount("relation-get"), "every unit, every hook")
		require.Len(t, logs.all(), 1)
		assert.Contains(t, logs.all()[0].Message, "endpoint name unusable")
		require.NoError(t, reg.Save(ctx))
		stored, err := store.Load(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"flag.custom": "1"}, stored, "nothing stored")
	}
}

// renamed serves relation ids of "reverseproxy" under another endpoint
// name, one the model file format refuses, as an Accessor a charm wrote
// itself could: only the view's handling of the name is under test.
type renamed struct {
	httprelation.Accessor
	endpoint string
}

func newOddModel(t *testing.T, endpoint string) (*httprelationtest.Harness, renamed) {
	m, acc := serve(t, proxy(web(map[string]map[string]string{
		"web/0": backendBag("10.0.0.1", "80"), "web/1": backendBag("10.0.0.2", "80"),
	})))
	return m, renamed{Accessor: acc, endpoint: endpoint}
}

func (r renamed) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	if endpoint == r.endpoint {
		endpoint = "reverseproxy"
	}
	return r.Accessor.RelationIDs(ctx, endpoint)
}

// TestViewAtJujuStateLimits: the largest view kept, of an endpoint whose
// name has the longest length kept, goes through Juju's state-set checks
// (keys of at most 256 bytes as the controller counts them, values of at
// most 64 KiB) and is used by the next hook.
func TestViewAtJujuStateLimits(t *testing.T) {
	ctx := context.Background()
	ep := strings.Repeat("e", 190) // the longest endpoint name served (ErrInvalidEndpoint)
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60)
	units := map[string]map[string]string{}
	for size, u := 0, 0; ; u++ {
		var entries []string
		for e := range 10 {
			entries = append(entries, fmt.Sprintf(`{"hostname":"h%d-%d.%s","private-address":"p%d-%d.%s","port":80}`, u, e, long, u, e, long))
			size += 2*(len(long)+10) + 6
		}
		if size > httprelation.MaxViewBytes-4<<10 {
			break
		}
		bag := backendBag(fmt.Sprintf("10.0.%d.%d", u/250, 1+u%250), "80")
		bag["extended_data"] = "[" + strings.Join(entries, ",") + "]"
		units[fmt.Sprintf("web/%d", u)] = bag
	}
	rel := ep + ":3"
	m := httprelationtest.New(t, &toolsim.Model{Unit: "haproxy/0", Hook: plainHook("config-changed"),
		Relations: map[string]toolsim.Relation{rel: {RemoteApp: "web", Units: units}}})
	hook := func(h toolsim.Hook) (int, []slog.Record) {
		require.NoError(t, m.SetHook(h))
		m.ResetCalls()
		unit := m.Unit() // its Store is Juju's charm state, through state-set
		reg, err := httprelation.NewRegistry(ctx, unit.Store)
		require.NoError(t, err)
		logs := &recordHandler{}
		got, err := httprelation.NewRequires(unit.Accessor, ep, httprelation.WithLogger(slog.New(logs)), httprelation.WithIncrementalView(reg)).Services(ctx)
		require.NoError(t, err)
		reads := m.CallCount("relation-get")
		require.Equal(t, fullRead(t, m, ep), got)
		require.NoError(t, reg.Save(ctx), "Juju's state-set takes the view")
		return reads, logs.all()
	}
	reads, logs := hook(plainHook("config-changed"))
	assert.Equal(t, len(units), reads)
	assert.Empty(t, logs, "kept, not past the limits")
	size := 0
	for k, v := range m.State() {
		assert.LessOrEqual(t, statekey.Size(k), statekey.MaxSize, k)
		assert.LessOrEqual(t, len(v), hooktools.MaxStateValueSize, k)
		size += len(v)
	}
	assert.Greater(t, size, httprelation.MaxViewBytes-16<<10, "near the limit")
	assert.Greater(t, len(m.State()), 8, "in several values")

	require.NoError(t, m.SetUnitData(rel, "web/7", backendBag("10.9.9.9", "81")))
	reads, logs = hook(toolsim.Hook{Name: ep + "-relation-changed", RelationID: rel, RemoteUnit: "web/7"})
	assert.Equal(t, 1, reads)
	assert.Empty(t, logs)
}
