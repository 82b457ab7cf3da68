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

// TestViewOversizedStoredViewIsReplaced: a stored view larger than the
// view ever writes, however valid its lines, is refused before it is
// decoded: one warning naming the bound, every unit read, the answer of
// a full read (not the stored hosts), and the next Save puts a view of
// its own in its place, every other key of the old one deleted, which
// the next hook uses.
func TestViewOversizedStoredViewIsReplaced(t *testing.T) {
	w, state := warmWorld(t)
	// Lines valid but for their hosts, which a full read does not give.
	lines := func(size int) string {
		var b strings.Builder
		b.WriteString(fmt.Sprintf("httprelation-view 1 %d kept\n", t0.Unix()))
		for u := 0; b.Len() < size; u++ {
			fmt.Fprintf(&b, "1 web/%d 10.99.%d.%d,8080\n", u, u>>8&255, u&255)
		}
		return b.String()
	}
	parts := func(n, size int) map[string]string {
		s := map[string]string{}
		for i := range n {
			s[fmt.Sprintf("view.reverseproxy.%d", i)] = lines(size)[:size]
		}
		return s
	}
	tests := []struct {
		name   string
		stored map[string]string
		reason string
	}{
		{"one part of 15 MiB", map[string]string{"view.reverseproxy.0": lines(15 << 20)}, "part 0 is "},
		{"one part of Juju's 64 KiB", parts(1, 64<<10), "part 0 is 65536 bytes"},
		{"one part just past 60 KiB", parts(1, 60<<10+1), "part 0 is 61441 bytes"},
		{"nine full parts, 540 KiB in all", parts(9, 60<<10), "552960 bytes, at most 524288"},
		{"a hundred parts of 60 KiB", parts(100, 60<<10), "100 parts, at most 10"},
		{"units past MaxViewUnits, in 60 KiB", map[string]string{"view.reverseproxy.0": unitsOnly(httprelation.MaxViewUnits + 1)},
			"more than 5000 units"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := changed("reverseproxy:1", "web/1")
			run := w.run(t, tc.stored, viewHook{hook: h, now: t0})
			assert.Len(t, run.reads, 4, "every unit read")
			assert.Equal(t, w.fullRead(t, h), run.services)
			var reasons []string
			for _, r := range run.warnings {
				if strings.Contains(r.Message, "stored view unusable") {
					reasons = append(reasons, attr(r, "error"))
				}
			}
			require.Len(t, reasons, 1, "one warning for the view")
			assert.Contains(t, reasons[0], tc.reason)
			assert.Equal(t, map[string]string{"view.reverseproxy.0": state["view.reverseproxy.0"]}, viewKeysOf(run.state),
				"replaced by a view of its own, the other parts deleted")
			next := w.run(t, run.state, viewHook{hook: h, now: t0})
			assert.Equal(t, []string{"reverseproxy:1 web/1"}, next.reads)
			assert.Empty(t, next.warnings)
		})
	}
}

// unitsOnly is a stored view of n units without hosts: about 10 bytes
// each.
func unitsOnly(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "httprelation-view 1 %d kept\n", t0.Unix())
	for u := range n {
		fmt.Fprintf(&b, "1 gone/%d\n", u)
	}
	return b.String()
}

// viewKeysOf is the part of state that holds the view.
func viewKeysOf(state map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range state {
		if strings.HasPrefix(k, "view.") {
			out[k] = v
		}
	}
	return out
}
