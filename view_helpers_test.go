package httprelation_test

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// viewWorld is the remote side of the reverseproxy endpoint as Juju
// holds it. Each change makes a new httprelationtest.Model (relations
// come and go between hooks, which one Model cannot do); hooks between
// changes share it.
type viewWorld struct {
	rels    map[string]*viewRel // by relation id
	version int                 // counts changes
	cache   *httprelationtest.Model
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
func (w *viewWorld) model(t testing.TB, h toolsim.Hook) *httprelationtest.Model {
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
// committed state and counts Juju's state-get and state-set calls.
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
	got, err := httprelation.NewRequires(w.model(t, h), endpoint, httprelation.WithLogger(silent)).Services(context.Background())
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
	calls    map[string]int
	reads    []string // "relation-id unit" of every UnitData call
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
	req := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(slog.New(logs)), httprelation.WithIncrementalView(reg, opts...))

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
	run := viewRun{services: services, warnings: logs.all(),
		calls: map[string]int{"StateLoad": store.loads, "StateSave": store.saves}}
	for _, c := range m.Calls() {
		run.calls[c.Method]++
		if c.Method == "UnitData" {
			run.reads = append(run.reads, c.Arg)
		}
	}
	run.state = state
	if !vh.fail {
		if run.state, err = store.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run.full, err = httprelation.NewRequires(m, endpoint, httprelation.WithLogger(silent)).Services(ctx)
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

// silent drops every record without formatting it: the full reads that
// the view is compared with log what the view's hook already logged.
var silent = slog.New(disabledHandler{})

type disabledHandler struct{}

func (disabledHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (disabledHandler) Handle(context.Context, slog.Record) error { return nil }
func (h disabledHandler) WithAttrs([]slog.Attr) slog.Handler      { return h }
func (h disabledHandler) WithGroup(string) slog.Handler           { return h }

// recordHandler keeps every record logged at warning level or above.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordHandler) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.records)
}

// attr returns the string value of a record's attribute.
func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
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
