package httprelation_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// viewCharm is a charm that keeps a view for each of its requirer
// endpoints in one Registry, in every hook (dispatch), and checks in every
// hook that each view answers what a full read of the same hook does.
type viewCharm struct {
	t         *testing.T
	endpoints []string
	now       time.Time
	skip      func(h toolsim.Hook) bool // hooks the charm does not run the view in
	logs      *recordHandler
	reads     []string // relation-get calls of the view in the last hook run
}

func newViewCharm(t *testing.T, endpoints ...string) *viewCharm {
	return &viewCharm{t: t, endpoints: endpoints, now: t0, logs: &recordHandler{}}
}

// hook is the charm's HookFunc over model m.
func (c *viewCharm) hook(m *httprelationtest.Harness) httprelationtest.HookFunc {
	return func(ctx context.Context, unit httprelation.Unit) error {
		t := c.t
		hook := m.Snapshot().Hook
		c.reads = nil
		if c.skip != nil && c.skip(hook) {
			return nil
		}
		reg, err := httprelation.NewRegistry(ctx, unit.Store)
		require.NoError(t, err)
		m.ResetCalls()
		views := make([][]httprelation.Service, len(c.endpoints))
		for i, ep := range c.endpoints {
			now := c.now
			req := httprelation.NewRequires(unit.Accessor, ep, httprelation.WithLogger(slog.New(c.logs)),
				httprelation.WithIncrementalView(reg, httprelation.WithClock(func() time.Time { return now })))
			views[i], err = req.Services(ctx)
			require.NoError(t, err)
		}
		c.reads = bagReads(m.Calls())
		for i, ep := range c.endpoints {
			require.Equal(t, fullRead(t, m, ep), views[i], "%s in %+v", ep, hook)
		}
		return reg.Save(ctx)
	}
}

// fire makes each of events happen and runs the charm in each of their
// hooks.
func (c *viewCharm) fire(m *httprelationtest.Harness, events ...toolsim.Event) {
	c.t.Helper()
	for _, ev := range events {
		_, err := m.Fire(context.Background(), ev, c.hook(m))
		require.NoError(c.t, err, "%s", ev)
	}
}

// twoWebBackends relates the endpoint to web (reverseproxy:4), whose
// units web/0 and web/1 join.
var twoWebBackends = []toolsim.Event{
	toolsim.AddRelation("reverseproxy:4", "web", "website"),
	toolsim.Join("reverseproxy:4", "web/0", backendBag("10.0.0.1", "80")),
	toolsim.Join("reverseproxy:4", "web/1", backendBag("10.0.0.2", "80")),
}

// run runs hook h, with no change to the model.
func (c *viewCharm) run(m *httprelationtest.Harness, h toolsim.Hook) {
	c.t.Helper()
	require.NoError(c.t, m.SetHook(h))
	require.NoError(c.t, m.Run(context.Background(), c.hook(m)))
}

func (c *viewCharm) viewWarnings() []string {
	var out []string
	for _, r := range c.logs.all() {
		if strings.Contains(r.Message, "view") {
			out = append(out, r.Message)
		}
	}
	return out
}

func scenarioModel(t *testing.T) *httprelationtest.Harness {
	return httprelationtest.New(t, &toolsim.Model{Unit: "haproxy/0", Relations: map[string]toolsim.Relation{}})
}

// TestViewCoalescedChanges: a unit changes its data several times before
// the one relation-changed hook Juju runs for all of them.
func TestViewCoalescedChanges(t *testing.T) {
	m := scenarioModel(t)
	c := newViewCharm(t, endpoint)
	c.fire(m, twoWebBackends...)
	require.NoError(t, m.SetUnitData("reverseproxy:4", "web/0", backendBag("10.0.0.3", "81")))
	require.NoError(t, m.SetUnitData("reverseproxy:4", "web/0", backendBag("10.0.0.4", "82")))
	c.run(m, changed("reverseproxy:4", "web/0"))
	assert.Equal(t, []string{"reverseproxy:4 web/0"}, c.reads)
	c.run(m, plainHook("config-changed"))
	assert.Empty(t, c.reads)
}

// TestViewUnitRejoins: a unit leaves and enters the same relation again
// under the same name with other data (a cross-model relation suspended
// and resumed), whether or not the charm ran in its departed hook.
func TestViewUnitRejoins(t *testing.T) {
	for _, skipDeparted := range []bool{false, true} {
		m := scenarioModel(t)
		c := newViewCharm(t, endpoint)
		c.fire(m, twoWebBackends...)
		if skipDeparted {
			c.skip = func(h toolsim.Hook) bool { return strings.HasSuffix(h.Name, "-departed") }
		}
		c.fire(m, toolsim.Depart("reverseproxy:4", "web/0"))
		c.skip = nil
		c.fire(m, toolsim.Join("reverseproxy:4", "web/0", backendBag("10.0.0.9", "8080")))
		assert.Equal(t, []string{"reverseproxy:4 web/0"}, c.reads, "skip departed %v", skipDeparted)
		c.run(m, plainHook("update-status"))
		assert.Empty(t, c.reads)
	}
}

// TestViewRelationReAdded: a relation is removed and added again with a
// new id and the same remote application, whose units have the same
// names (the application was deployed again) and other data.
func TestViewRelationReAdded(t *testing.T) {
	for _, skipRemoval := range []bool{false, true} {
		m := scenarioModel(t)
		c := newViewCharm(t, endpoint)
		c.fire(m, toolsim.AddRelation("reverseproxy:4", "web", "website"))
		c.fire(m, toolsim.Join("reverseproxy:4", "web/0", backendBag("10.0.0.1", "80")))
		if skipRemoval {
			c.skip = func(h toolsim.Hook) bool { return h.Name != "" && h.Name != "config-changed" }
		}
		c.fire(m, toolsim.RemoveRelation("reverseproxy:4"))
		c.fire(m, toolsim.AddRelation("reverseproxy:5", "web", "website"))
		c.fire(m, toolsim.Join("reverseproxy:5", "web/0", backendBag("10.0.0.7", "81")))
		c.skip = nil
		c.run(m, plainHook("config-changed"))
		if skipRemoval {
			assert.Equal(t, []string{"reverseproxy:5 web/0"}, c.reads, "the new relation's unit is not the old one")
		} else {
			assert.Empty(t, c.reads)
		}
	}
}

// TestViewHooksThatNameNoUnitOfTheEndpoint: relation-created, a
// relation-changed for the remote application's data, the hooks of
// another endpoint (whose remote unit has the name of one of ours) and
// the usual other hooks read nothing, and still drop what left.
func TestViewHooksThatNameNoUnitOfTheEndpoint(t *testing.T) {
	m := scenarioModel(t)
	c := newViewCharm(t, endpoint)
	c.fire(m, twoWebBackends[0])
	assert.Empty(t, c.reads, "relation-created")
	c.fire(m, twoWebBackends[1:]...)
	c.fire(m, toolsim.AddRelation("website:9", "web", "proxy"))
	c.fire(m, toolsim.Join("website:9", "web/0", map[string]string{"private-address": "10.0.0.1"}))
	assert.Empty(t, c.reads, "another endpoint's joined and changed")

	c.run(m, toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:4", RemoteApp: "web"})
	assert.Empty(t, c.reads, "application data changed")

	c.fire(m, toolsim.Depart("website:9", "web/0"))
	assert.Empty(t, c.reads, "another endpoint's departed keeps our web/0")
	for _, name := range []string{"leader-elected", "update-status", "config-changed", "start", ""} {
		c.run(m, plainHook(name))
		assert.Empty(t, c.reads, name)
	}
	// web/1 goes without a hook of ours (the charm was not run in it).
	require.NoError(t, m.RemoveUnit("reverseproxy:4", "web/1"))
	c.run(m, plainHook("leader-elected"))
	assert.Empty(t, c.reads)
}

// TestViewLocalUnitDeparts: the local unit leaves the relation; Juju
// runs relation-departed for each remote unit in turn, naming the local
// unit as the departing one.
func TestViewLocalUnitDeparts(t *testing.T) {
	m := scenarioModel(t)
	c := newViewCharm(t, endpoint)
	c.fire(m, toolsim.AddRelation("reverseproxy:4", "web", "website"))
	for _, u := range []string{"web/0", "web/1", "web/2"} {
		c.fire(m, toolsim.Join("reverseproxy:4", u, backendBag("10.0.1."+u[4:], "80")))
	}
	for _, u := range []string{"web/2", "web/0", "web/1"} {
		c.run(m, toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: u, DepartingUnit: "haproxy/0"})
		assert.Empty(t, c.reads, u)
		require.NoError(t, m.SetHook(plainHook("")))
		require.NoError(t, m.RemoveUnit("reverseproxy:4", u))
	}
	c.run(m, broken("reverseproxy:4"))
	assert.Empty(t, c.reads)
}

// TestViewTwoEndpoints: two requirer endpoints of one charm keep their
// views in one Registry, the same remote application on both; a hook of
// one endpoint reads nothing of the other.
func TestViewTwoEndpoints(t *testing.T) {
	m := scenarioModel(t)
	c := newViewCharm(t, "reverseproxy", "reverseproxy-admin")
	c.fire(m, toolsim.AddRelation("reverseproxy:4", "web", "website"))
	c.fire(m, toolsim.AddRelation("reverseproxy-admin:5", "web", "admin"))
	c.fire(m, toolsim.Join("reverseproxy:4", "web/0", backendBag("10.0.0.1", "80")))
	c.fire(m, toolsim.Join("reverseproxy-admin:5", "web/0", backendBag("10.0.0.1", "9000")))
	c.fire(m, toolsim.Change("reverseproxy-admin:5", "web/0", map[string]string{"port": "9001"}))
	assert.Equal(t, []string{"reverseproxy-admin:5 web/0"}, c.reads)
	c.fire(m, toolsim.Change("reverseproxy:4", "web/0", map[string]string{"port": "81"}))
	assert.Equal(t, []string{"reverseproxy:4 web/0"}, c.reads)
	c.run(m, plainHook("config-changed"))
	assert.Empty(t, c.reads)
	state := m.State()
	assert.Contains(t, state, "view.reverseproxy.0")
	assert.Contains(t, state, "view.reverseproxy-admin.0")
	assert.Empty(t, c.viewWarnings())
}

// TestViewSameUnitInTwoRelations: one application related twice to the
// endpoint; its unit has a bag in each relation, and a hook for one
// reads that one only.
func TestViewSameUnitInTwoRelations(t *testing.T) {
	m := scenarioModel(t)
	c := newViewCharm(t, endpoint)
	c.fire(m, toolsim.AddRelation("reverseproxy:4", "web", "website"))
	c.fire(m, toolsim.AddRelation("reverseproxy:12", "web", "website-tls"))
	c.fire(m, toolsim.Join("reverseproxy:4", "web/0", backendBag("10.0.0.1", "80")))
	c.fire(m, toolsim.Join("reverseproxy:12", "web/0", backendBag("10.0.0.1", "443")))
	c.fire(m, toolsim.Change("reverseproxy:12", "web/0", map[string]string{"port": "8443"}))
	assert.Equal(t, []string{"reverseproxy:12 web/0"}, c.reads)
	c.fire(m, toolsim.Change("reverseproxy:4", "web/0", map[string]string{"port": "8080"}))
	assert.Equal(t, []string{"reverseproxy:4 web/0"}, c.reads)
	c.fire(m, toolsim.Depart("reverseproxy:12", "web/0"))
	assert.Empty(t, c.reads)
	c.run(m, plainHook("update-status"))
	assert.Empty(t, c.reads)
}

// TestViewClockBefore1970: a clock before the Unix epoch (a test's fake
// clock at time.Time{}, a machine whose clock was reset) is a clock like
// any other: the view it writes is used by the next hook, and the
// interval still counts from the last full read.
func TestViewClockBefore1970(t *testing.T) {
	for _, start := range []time.Time{{}, time.Unix(-100, 0)} {
		w, _ := warmWorld(t)
		first := w.run(t, nil, viewHook{hook: plainHook("config-changed"), now: start})
		require.Len(t, first.reads, 4)
		h := changed("reverseproxy:1", "web/1")
		next := w.run(t, first.state, viewHook{hook: h, now: start.Add(time.Minute)})
		assert.Equal(t, []string{"reverseproxy:1 web/1"}, next.reads, "start %v", start)
		assert.Empty(t, next.warnings, "start %v", start)
		assert.Equal(t, w.fullRead(t, h), next.services)
		status := w.run(t, next.state, viewHook{hook: plainHook("update-status"), now: start.Add(2 * time.Minute)})
		assert.Empty(t, status.reads, "within the interval")
		status = w.run(t, next.state, viewHook{hook: plainHook("update-status"), now: start.Add(5 * time.Minute)})
		assert.Len(t, status.reads, 4, "once the interval passed")
	}
}

// TestViewStateFileAheadOfFailedHook: with a statefile store, a hook
// saves its view and then fails (Juju keeps none of what it did but the
// file stays); the unit changes again before Juju's retry, which reads it
// again and answers what a full read does.
func TestViewStateFileAheadOfFailedHook(t *testing.T) {
	ctx := context.Background()
	m := scenarioModel(t)
	c := newViewCharm(t, endpoint)
	store := statefile.InCharmDir(t.TempDir())
	withFile := func(ctx context.Context, u httprelation.Unit) error {
		u.Store = store
		return c.hook(m)(ctx, u)
	}
	for _, ev := range twoWebBackends {
		_, err := m.Fire(ctx, ev, withFile)
		require.NoError(t, err)
	}
	require.NoError(t, m.SetUnitData("reverseproxy:4", "web/0", backendBag("10.0.0.3", "81")))
	h := changed("reverseproxy:4", "web/0")
	require.NoError(t, m.SetHook(h))
	err := m.Run(ctx, func(ctx context.Context, u httprelation.Unit) error {
		require.NoError(t, withFile(ctx, u)) // the view is saved
		return errors.New("render failed")   // then the hook fails
	})
	require.Error(t, err)
	saved, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Contains(t, saved["view.reverseproxy.0"], "4 web/0 10.0.0.3,81", "the file is ahead of Juju")

	require.NoError(t, m.SetUnitData("reverseproxy:4", "web/0", backendBag("10.0.0.4", "82")))
	require.NoError(t, m.Run(ctx, withFile)) // Juju's retry; the charm compares with a full read
	assert.Equal(t, []string{"reverseproxy:4 web/0"}, c.reads)
	require.NoError(t, m.SetHook(plainHook("config-changed")))
	require.NoError(t, m.Run(ctx, withFile))
	assert.Empty(t, c.reads)
}

// How a charm may call the view: twice in a hook, from goroutines, on the
// wrong side.

// TestViewOpenedTwiceInOneHook: a charm that opens the endpoint twice in
// a hook, with one Registry, gets the same answer from both; the second
// reads at most the hook's unit again, and one Save keeps a view the
// next hook uses.
func TestViewOpenedTwiceInOneHook(t *testing.T) {
	for _, h := range []toolsim.Hook{changed("reverseproxy:1", "web/1"), plainHook("upgrade-charm"), plainHook("config-changed")} {
		w, state := warmWorld(t)
		if h.RemoteUnit != "" {
			w.setUnit("reverseproxy:1", "web/1", backendBag("10.0.0.21", "81"))
		}
		m := w.model(t, h)
		store := &httprelation.MemoryStore{}
		require.NoError(t, store.Save(context.Background(), state))
		reg, err := httprelation.NewRegistry(context.Background(), store)
		require.NoError(t, err)
		unit := m.Unit()
		var answers [2][]httprelation.Service
		var asked, reads [2]int
		for i := range answers {
			m.ResetCalls()
			acc := &asking{Accessor: unit.Accessor}
			req := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(silent),
				httprelation.WithIncrementalView(reg, httprelation.WithClock(func() time.Time { return t0 })))
			answers[i], err = req.Services(context.Background())
			require.NoError(t, err)
			asked[i], reads[i] = len(acc.bags()), m.CallCount("relation-get")
		}
		assert.Equal(t, answers[0], answers[1], h.Name)
		assert.Equal(t, w.fullRead(t, h), answers[1], h.Name)
		if h.RemoteUnit != "" {
			assert.Equal(t, 1, asked[1], "%s: the hook's unit again", h.Name)
			assert.Zero(t, reads[1], "%s: which the unit's accessor read already", h.Name)
		}
		require.NoError(t, reg.Save(context.Background()))
		saved, err := store.Load(context.Background())
		require.NoError(t, err)
		next := w.run(t, saved, viewHook{hook: plainHook("config-changed"), now: t0})
		assert.Empty(t, next.reads, h.Name)
		assert.Equal(t, w.fullRead(t, plainHook("config-changed")), next.services, h.Name)
	}
}

// TestViewConcurrentCalls: Services, Available and UpdateFlags of two
// endpoints' Requires, and a second Requires of one of them, called from
// goroutines over one Registry, agree with a full read and leave a view
// the next hook uses (run with -race).
func TestViewConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	m := scenarioModel(t)
	c := newViewCharm(t, "reverseproxy", "reverseproxy-admin")
	c.fire(m, toolsim.AddRelation("reverseproxy:4", "web", "website"))
	c.fire(m, toolsim.AddRelation("reverseproxy-admin:5", "api", "admin"))
	for _, u := range []string{"web/0", "web/1", "web/2"} {
		require.NoError(t, m.SetHook(plainHook("")))
		require.NoError(t, m.SetUnitData("reverseproxy:4", u, backendBag("10.0.4."+u[4:], "80")))
	}
	require.NoError(t, m.SetUnitData("reverseproxy-admin:5", "api/0", backendBag("10.0.5.1", "9000")))
	require.NoError(t, m.SetHook(changed("reverseproxy:4", "web/1")))

	unit := m.Unit()
	reg, err := httprelation.NewRegistry(ctx, unit.Store)
	require.NoError(t, err)
	open := func(ep string) *httprelation.Requires {
		return httprelation.NewRequires(unit.Accessor, ep, httprelation.WithLogger(silent), httprelation.WithIncrementalView(reg))
	}
	endpoints := []string{"reverseproxy", "reverseproxy", "reverseproxy-admin"}
	reqs := []*httprelation.Requires{open(endpoints[0]), open(endpoints[1]), open(endpoints[2])}
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(reqs)*4)
	answers := make([][]httprelation.Service, len(reqs)*4)
	for i, req := range reqs {
		for k := range 4 {
			wg.Add(3)
			go func() {
				defer wg.Done()
				var err error
				answers[i*4+k], err = req.Services(ctx)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := req.Available(ctx)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				errs <- req.UpdateFlags(ctx, reg)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i, ep := range endpoints {
		full := fullRead(t, m, ep)
		for k := range 4 {
			assert.Equal(t, full, answers[i*4+k], ep)
		}
	}
	require.NoError(t, reg.Save(ctx))
	c.run(m, plainHook("config-changed"))
	assert.Empty(t, c.reads, "the view saved by the concurrent hook is whole")
}

// TestViewHasNoEffectOnProvides: the option given to a Provides changes
// neither its calls nor its answers, and keeps nothing in the Registry.
func TestViewHasNoEffectOnProvides(t *testing.T) {
	ctx := context.Background()
	world := &toolsim.Model{Unit: "web/0", PrivateAddress: "10.0.0.9", Relations: map[string]toolsim.Relation{
		"website:3": {RemoteApp: "haproxy", Units: map[string]map[string]string{"haproxy/0": {"private-address": "10.0.1.1"}}},
	}}
	run := func(opts ...httprelation.Option) (bool, []string, []httprelationtest.Call, map[string]string) {
		m, acc := serve(t, world)
		asked := &asking{Accessor: acc}
		reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
		require.NoError(t, err)
		p := httprelation.NewProvides(asked, "website", append(opts, httprelation.WithLogger(silent))...)
		require.NoError(t, p.Configure(ctx, 8080))
		ok, err := p.Available(ctx)
		require.NoError(t, err)
		require.NoError(t, p.UpdateFlags(ctx, reg))
		require.NoError(t, reg.Save(ctx))
		return ok, asked.trace(), m.Calls(), m.Local("website:3")
	}
	store := &httprelation.MemoryStore{}
	reg, err := httprelation.NewRegistry(ctx, store)
	require.NoError(t, err)
	plainOK, plainAsked, plainCalls, plainBag := run()
	viewOK, viewAsked, viewCalls, viewBag := run(httprelation.WithIncrementalView(reg))
	assert.True(t, plainOK)
	assert.Equal(t, plainOK, viewOK)
	assert.Equal(t, plainAsked, viewAsked)
	assert.Equal(t, plainCalls, viewCalls)
	assert.Equal(t, plainBag, viewBag)
	require.NoError(t, reg.Save(ctx))
	kept, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Empty(t, kept)
}
