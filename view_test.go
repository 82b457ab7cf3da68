package httprelation_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// viewWorld is the remote side of the reverseproxy endpoint as Juju
// holds it. Each change makes a new harness (relations come and go
// between hooks, which one harness cannot do); hooks between changes
// share it.
type viewWorld struct {
	rels    map[string]*viewRel // by relation id
	version int                 // counts changes
	cache   *httprelationtest.Harness
	cached  int // the version cache serves
}

type viewRel struct {
	app   string
	units map[string]map[string]string
}

func newViewWorld() *viewWorld { return &viewWorld{rels: map[string]*viewRel{}, cached: -1} }

func (w *viewWorld) addRelation(id, app string) {
	w.rels[id] = &viewRel{app: app, units: map[string]map[string]string{}}
	w.version++
}

func (w *viewWorld) setUnit(id, unit string, bag map[string]string) {
	w.rels[id].units[unit] = maps.Clone(bag)
	w.version++
}

func (w *viewWorld) removeUnit(id, unit string) {
	delete(w.rels[id].units, unit)
	w.version++
}

func (w *viewWorld) removeRelation(id string) {
	delete(w.rels, id)
	w.version++
}

// model serves the world in hook h, with no calls recorded yet.
func (w *viewWorld) model(t testing.TB, h toolsim.Hook) *httprelationtest.Harness {
	if w.cached == w.version {
		if err := w.cache.SetHook(h); err != nil {
			t.Fatal(err)
		}
		w.cache.ResetCalls()
		return w.cache
	}
	m := &toolsim.Model{Unit: "haproxy/0", Hook: h, Relations: make(map[string]toolsim.Relation, len(w.rels))}
	for id, r := range w.rels {
		m.Relations[id] = toolsim.Relation{RemoteApp: r.app, RemoteEndpoint: "website", Units: r.units}
	}
	w.cache, w.cached = httprelationtest.New(t, m), w.version
	return w.cache
}

// hookStore is the charm's store for one hook: it starts from the
// committed state and counts the state-get and state-set calls Juju's
// store would make.
type hookStore struct {
	httprelation.MemoryStore
	loads, saves int
}

func (c *hookStore) Load(ctx context.Context) (map[string]string, error) {
	c.loads++
	return c.MemoryStore.Load(ctx)
}

func (c *hookStore) Save(ctx context.Context, changes map[string]string) error {
	c.saves++
	return c.MemoryStore.Save(ctx, changes)
}

// fullRead is Services without a view, in the same world and hook.
func (w *viewWorld) fullRead(t testing.TB, h toolsim.Hook) []httprelation.Service {
	t.Helper()
	return fullRead(t, w.model(t, h), endpoint)
}

// fullRead is Services of endpoint without a view, through a unit of its
// own, in m's hook.
func fullRead(t testing.TB, m *httprelationtest.Harness, endpoint string) []httprelation.Service {
	t.Helper()
	got, err := httprelation.NewRequires(m.Unit().Accessor, endpoint, httprelation.WithLogger(silent)).Services(context.Background())
	require.NoError(t, err)
	return got
}

// viewHook is one hook of a charm that keeps the view: it opens the
// endpoint with WithIncrementalView, asks for the services, updates the
// flag (a second read were there no memo) and, unless the hook fails,
// saves the registry.
type viewHook struct {
	hook  toolsim.Hook
	fail  bool
	now   time.Time
	opts  []httprelation.ViewOption
	order int // which of Services/Available/UpdateFlags comes first
}

// viewRun is what one hook did.
type viewRun struct {
	services []httprelation.Service
	full     []httprelation.Service // a full read of the same model
	calls    map[string]int         // by tool
	reads    []string               // "relation-id unit" of every relation-get call
	idsAsked int                    // the view's RelationIDs calls, cached or not
	warnings []slog.Record
	state    map[string]string // the store after the hook
}

func (w *viewWorld) run(t testing.TB, state map[string]string, vh viewHook) viewRun {
	ctx := context.Background()
	m := w.model(t, vh.hook)
	store := &hookStore{}
	if err := store.Save(ctx, state); err != nil {
		t.Fatal(err)
	}
	store.saves = 0
	logs := &recordHandler{}
	reg, err := httprelation.NewRegistry(ctx, store)
	require.NoError(t, err)
	now := vh.now
	opts := append([]httprelation.ViewOption{httprelation.WithClock(func() time.Time { return now })}, vh.opts...)
	acc := &asking{Accessor: m.Unit().Accessor}
	req := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(slog.New(logs)), httprelation.WithIncrementalView(reg, opts...))

	var services []httprelation.Service
	steps := []func(){
		func() { services, err = req.Services(ctx); require.NoError(t, err) },
		func() { require.NoError(t, req.UpdateFlags(ctx, reg)) },
		func() { _, err := req.Available(ctx); require.NoError(t, err) },
	}
	for i := range steps {
		steps[(i+vh.order)%len(steps)]()
	}
	if !vh.fail {
		require.NoError(t, reg.Save(ctx))
	}
	calls := m.Calls()
	run := viewRun{services: services, warnings: logs.all(), calls: toolCounts(calls), reads: bagReads(calls)}
	run.idsAsked = acc.count("RelationIDs")
	run.calls["state-get"], run.calls["state-set"] = store.loads, store.saves
	run.state = state
	if !vh.fail {
		if run.state, err = store.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The full read goes through the hook's own accessor, as a second
	// Requires of the hook would: it reads what the view did not, and
	// the tools are not asked twice for a bag (what the property test
	// spends most of its time on).
	run.full, err = httprelation.NewRequires(acc.Accessor, endpoint, httprelation.WithLogger(silent)).Services(ctx)
	require.NoError(t, err)
	return run
}

// viewBytes is the size of the stored view in state.
func viewBytes(state map[string]string) int {
	n := 0
	for k, v := range state {
		if strings.HasPrefix(k, "view.") {
			n += len(k) + len(v)
		}
	}
	return n
}

// backendBag is a provider unit's bag after it configured port.
func backendBag(addr, port string) map[string]string {
	return map[string]string{"private-address": addr, "ingress-address": addr, "port": port}
}

func changed(id, unit string) toolsim.Hook {
	return toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: id, RemoteUnit: unit}
}

func joined(id, unit string) toolsim.Hook {
	return toolsim.Hook{Name: "reverseproxy-relation-joined", RelationID: id, RemoteUnit: unit}
}

func departed(id, unit string) toolsim.Hook {
	return toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: id, RemoteUnit: unit, DepartingUnit: unit}
}

func broken(id string) toolsim.Hook {
	return toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: id}
}

func plainHook(name string) toolsim.Hook { return toolsim.Hook{Name: name} }

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// warmWorld is two relations, three backends and one bad unit, with the
// view built by a first hook.
func warmWorld(t *testing.T) (*viewWorld, map[string]string) {
	w := newViewWorld()
	w.addRelation("reverseproxy:1", "web")
	w.addRelation("reverseproxy:2", "api")
	w.setUnit("reverseproxy:1", "web/0", backendBag("10.0.0.1", "80"))
	w.setUnit("reverseproxy:1", "web/1", backendBag("10.0.0.2", "80"))
	w.setUnit("reverseproxy:1", "web/2", backendBag("10.0.0.3", "http")) // bad port
	w.setUnit("reverseproxy:2", "api/0", backendBag("2001:db8::1", "8443"))
	run := w.run(t, nil, viewHook{hook: plainHook("config-changed"), now: t0})
	require.Equal(t, 4, run.calls["relation-get"], "an empty view reads every unit")
	require.Len(t, run.warnings, 1, "the bad port, once")
	assert.Equal(t, w.fullRead(t, plainHook("config-changed")), run.services)
	return w, run.state
}

func TestViewRelationHookReadsItsUnitOnly(t *testing.T) {
	w, state := warmWorld(t)
	w.setUnit("reverseproxy:1", "web/1", backendBag("10.0.0.22", "8080"))
	h := changed("reverseproxy:1", "web/1")
	run := w.run(t, state, viewHook{hook: h, now: t0})
	assert.Equal(t, []string{"reverseproxy:1 web/1"}, run.reads)
	assert.Empty(t, run.warnings, "web/2's bad port was logged when it was read, not again")
	assert.Equal(t, w.fullRead(t, h), run.services)
	// state-get, relation-ids, R relation-list, 1 relation-get, state-set:
	// the hook context comes from the environment, at no call.
	assert.Equal(t, map[string]int{"state-get": 1, "relation-ids": 1, "relation-list": 2, "relation-get": 1, "state-set": 1}, run.calls)
}

func TestViewOtherHooksReadNothing(t *testing.T) {
	w, state := warmWorld(t)
	for _, name := range []string{"config-changed", "leader-elected", "start", "update-status", ""} {
		run := w.run(t, state, viewHook{hook: plainHook(name), now: t0.Add(time.Minute)})
		assert.Empty(t, run.reads, name)
		assert.Zero(t, run.calls["state-set"], "%s: nothing changed, nothing written", name)
		assert.Equal(t, w.fullRead(t, plainHook(name)), run.services, name)
	}
}

func TestViewBadUnitWarnsWhenRead(t *testing.T) {
	w, state := warmWorld(t)
	run := w.run(t, state, viewHook{hook: changed("reverseproxy:1", "web/2"), now: t0})
	require.Len(t, run.warnings, 1, "its own hook reads it again")
	assert.Equal(t, "web/2", attr(run.warnings[0], "unit"))
	assert.Equal(t, "port", attr(run.warnings[0], "key"))
}

func TestViewDrops(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *viewWorld)
		hook   toolsim.Hook
		after  func(w *viewWorld)
	}{{
		name: "departed unit",
		hook: departed("reverseproxy:1", "web/0"),
		after: func(w *viewWorld) {
			w.removeUnit("reverseproxy:1", "web/0")
		},
	}, {
		name: "broken relation",
		hook: broken("reverseproxy:2"),
		after: func(w *viewWorld) {
			w.removeRelation("reverseproxy:2")
		},
	}, {
		name:   "unit gone without its departed hook",
		change: func(w *viewWorld) { w.removeUnit("reverseproxy:1", "web/1") },
		hook:   plainHook("config-changed"),
	}, {
		name:   "relation gone without its broken hook",
		change: func(w *viewWorld) { w.removeRelation("reverseproxy:2") },
		hook:   plainHook("update-status"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, state := warmWorld(t)
			if tt.change != nil {
				tt.change(w)
			}
			run := w.run(t, state, viewHook{hook: tt.hook, now: t0})
			assert.Empty(t, run.reads)
			assert.Equal(t, w.fullRead(t, tt.hook), run.services)
			if tt.after != nil {
				tt.after(w)
			}
			next := w.run(t, run.state, viewHook{hook: plainHook("config-changed"), now: t0})
			assert.Empty(t, next.reads)
			assert.Equal(t, w.fullRead(t, plainHook("config-changed")), next.services)
		})
	}
}

func TestViewReadsUnitsListedButNotKept(t *testing.T) {
	w, state := warmWorld(t)
	// A unit whose joined hook the charm did not open the view in.
	w.setUnit("reverseproxy:2", "api/1", backendBag("10.0.2.2", "80"))
	run := w.run(t, state, viewHook{hook: plainHook("config-changed"), now: t0})
	assert.Equal(t, []string{"reverseproxy:2 api/1"}, run.reads)
	assert.Equal(t, w.fullRead(t, plainHook("config-changed")), run.services)

	// A lost store: every unit is read again.
	run = w.run(t, nil, viewHook{hook: changed("reverseproxy:1", "web/0"), now: t0})
	assert.Len(t, run.reads, 5)
	assert.Equal(t, w.fullRead(t, changed("reverseproxy:1", "web/0")), run.services)
}

func TestViewFailedHookCommitsNothing(t *testing.T) {
	w, state := warmWorld(t)
	w.setUnit("reverseproxy:1", "web/0", backendBag("10.0.0.100", "80"))
	h := changed("reverseproxy:1", "web/0")
	failed := w.run(t, state, viewHook{hook: h, now: t0, fail: true})
	assert.Equal(t, w.fullRead(t, h), failed.services, "the failing hook saw the change")
	assert.Equal(t, state, failed.state, "and committed nothing")
	retry := w.run(t, failed.state, viewHook{hook: h, now: t0})
	assert.Equal(t, []string{"reverseproxy:1 web/0"}, retry.reads, "Juju's retry reads the unit again")
	assert.Equal(t, w.fullRead(t, h), retry.services)
}

func TestViewPeriodicReread(t *testing.T) {
	w, state := warmWorld(t)
	// A change the charm missed (it did not open the view in the
	// changed hook): the view keeps the old hosts until a full re-read.
	w.setUnit("reverseproxy:1", "web/0", backendBag("10.0.0.100", "80"))
	status := plainHook("update-status")
	stale := w.run(t, state, viewHook{hook: status, now: t0.Add(4 * time.Minute)})
	assert.Empty(t, stale.reads, "within the interval")
	assert.NotEqual(t, w.fullRead(t, status), stale.services)

	other := w.run(t, stale.state, viewHook{hook: plainHook("config-changed"), now: t0.Add(10 * time.Minute)})
	assert.Empty(t, other.reads, "only update-status re-reads")

	due := w.run(t, other.state, viewHook{hook: status, now: t0.Add(5 * time.Minute)})
	assert.Len(t, due.reads, 4, "update-status once 5 minutes have passed")
	assert.Equal(t, w.fullRead(t, status), due.services)
	assert.Len(t, due.warnings, 1, "a full read logs what it reads")

	next := w.run(t, due.state, viewHook{hook: status, now: t0.Add(9 * time.Minute)})
	assert.Empty(t, next.reads, "the interval counts from the last full read")

	back := w.run(t, due.state, viewHook{hook: status, now: t0.Add(-time.Hour)})
	assert.Len(t, back.reads, 4, "a clock that went back re-reads")

	custom := w.run(t, due.state, viewHook{hook: status, now: t0.Add(6 * time.Minute),
		opts: []httprelation.ViewOption{httprelation.WithRereadInterval(0)}})
	assert.Len(t, custom.reads, 4, "interval 0: every update-status")

	upgrade := w.run(t, due.state, viewHook{hook: plainHook("upgrade-charm"), now: t0.Add(6 * time.Minute)})
	assert.Len(t, upgrade.reads, 4, "upgrade-charm always re-reads")
}

func TestViewCorruptStateIsReplaced(t *testing.T) {
	w, state := warmWorld(t)
	for name, edit := range map[string]func(map[string]string){
		"garbage":      func(s map[string]string) { s["view.reverseproxy.0"] = "garbage" },
		"other format": func(s map[string]string) { s["view.reverseproxy.0"] = "httprelation-view 2 0 kept\n" },
		"missing part": func(s map[string]string) { s["view.reverseproxy.2"] = "\n" },
		"bad host":     func(s map[string]string) { s["view.reverseproxy.0"] += "1 web/9 bad_host,80\n" },
		"bad port":     func(s map[string]string) { s["view.reverseproxy.0"] += "1 web/9 10.0.0.9,0\n" },
		"no relation":  func(s map[string]string) { s["view.reverseproxy.0"] += " web/9 10.0.0.9,80\n" },
		"unit twice":   func(s map[string]string) { s["view.reverseproxy.0"] += "1 web/0 10.0.0.9,80\n" },
		"units when over": func(s map[string]string) {
			s["view.reverseproxy.0"] = "httprelation-view 1 0 over\n1 web/0 10.0.0.1,80\n"
		},
		"bad time": func(s map[string]string) { s["view.reverseproxy.0"] = "httprelation-view 1 5m kept\n" },
		"too many parts": func(s map[string]string) {
			for i := range 30 {
				s[fmt.Sprintf("view.reverseproxy.%d", i)] = "\n"
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := make(map[string]string, len(state))
			for k, v := range state {
				s[k] = v
			}
			edit(s)
			h := changed("reverseproxy:1", "web/1")
			run := w.run(t, s, viewHook{hook: h, now: t0})
			assert.Len(t, run.reads, 4, "every unit read")
			assert.Equal(t, w.fullRead(t, h), run.services)
			var views int
			for _, r := range run.warnings {
				if strings.Contains(r.Message, "stored view unusable") {
					views++
				}
			}
			assert.Equal(t, 1, views, "one warning for the view")
			assert.Equal(t, state["view.reverseproxy.0"], run.state["view.reverseproxy.0"], "replaced by a good view")
			next := w.run(t, run.state, viewHook{hook: h, now: t0})
			assert.Len(t, next.reads, 1)
			assert.Empty(t, next.warnings)
		})
	}
}

// TestViewUnlistedStoredUnitIsDropped: a stored unit that the listing
// does not name, whatever its name, gives no host and is dropped from the
// view without a read.
func TestViewUnlistedStoredUnitIsDropped(t *testing.T) {
	w, state := warmWorld(t)
	for _, unit := range []string{"web/9", "Web/9", "web/09", "x"} {
		s := maps.Clone(state)
		s["view.reverseproxy.0"] += "1 " + unit + " 10.0.0.99,80\n"
		h := changed("reverseproxy:1", "web/1")
		run := w.run(t, s, viewHook{hook: h, now: t0})
		assert.Equal(t, []string{"reverseproxy:1 web/1"}, run.reads, unit)
		assert.Empty(t, run.warnings, unit)
		assert.Equal(t, w.fullRead(t, h), run.services, unit)
		assert.Equal(t, state["view.reverseproxy.0"], run.state["view.reverseproxy.0"], unit)
	}
}
