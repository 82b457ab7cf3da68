package httprelationtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// seen is what a hook saw of its relation.
type seen struct {
	hook   httprelation.HookContext
	listed []string
	bag    map[string]string // the hook's remote unit's bag, if readable
	ids    []string
}

// recorder is hook code that records what each hook saw.
type recorder struct{ hooks []seen }

func (r *recorder) hook(ctx context.Context, u httprelation.Unit) error {
	hc, err := u.Accessor.HookContext(ctx)
	if err != nil {
		return err
	}
	s := seen{hook: hc}
	if hc.RelationID != "" {
		if s.listed, err = u.Accessor.RelationUnits(ctx, hc.RelationID); err != nil {
			return err
		}
		if s.ids, err = u.Accessor.RelationIDs(ctx, "proxy"); err != nil {
			return err
		}
	}
	if hc.RemoteUnit != "" {
		if s.bag, err = u.Accessor.UnitData(ctx, hc.RelationID, hc.RemoteUnit); err != nil {
			return err
		}
	}
	r.hooks = append(r.hooks, s)
	return nil
}

func proxyModel(t *testing.T) *httprelationtest.Harness {
	return httprelationtest.New(t, &toolsim.Model{
		Unit:           "lb/0",
		PrivateAddress: "10.0.0.9",
		Config:         map[string]any{"port": 80},
		Relations:      map[string]toolsim.Relation{"proxy:1": {RemoteApp: "web", RemoteEndpoint: "website"}},
	})
}

// The events fire Juju's hooks in Juju's order, with Juju's variables,
// and the model changes around them as Juju's does.
func TestFireRelationLifecycle(t *testing.T) {
	m := proxyModel(t)
	rec := &recorder{}
	fire := func(ev toolsim.Event) []string {
		t.Helper()
		rec.hooks = nil
		hooks, err := m.Fire(ctx, ev, rec.hook)
		require.NoError(t, err, "%v", ev)
		return hooks.Names()
	}

	assert.Equal(t, []string{"proxy-relation-joined", "proxy-relation-changed"},
		fire(toolsim.Join("proxy:1", "web/0", map[string]string{"private-address": "10.0.0.1"})))
	for _, s := range rec.hooks {
		assert.Equal(t, "web/0", s.hook.RemoteUnit)
		assert.Equal(t, "web", s.hook.RemoteApp)
		assert.Empty(t, s.hook.DepartingUnit)
		assert.Equal(t, []string{"web/0"}, s.listed, "the joining unit is listed from relation-joined on")
		assert.Equal(t, map[string]string{"private-address": "10.0.0.1", "ingress-address": "10.0.0.1",
			"egress-subnets": "10.0.0.1/32"}, s.bag, "Juju adds a joining unit's addresses")
	}
	fire(toolsim.Join("proxy:1", "web/1", map[string]string{"private-address": "10.0.0.2"}))

	assert.Equal(t, []string{"proxy-relation-changed"},
		fire(toolsim.Change("proxy:1", "web/0", map[string]string{"port": "8080", "private-address": ""})))
	joined := map[string]string{"port": "8080", "ingress-address": "10.0.0.1", "egress-subnets": "10.0.0.1/32"}
	assert.Equal(t, joined, rec.hooks[0].bag, "relation-set rules: \"\" deletes")

	assert.Equal(t, []string{"proxy-relation-departed"}, fire(toolsim.Depart("proxy:1", "web/0")))
	s := rec.hooks[0]
	assert.Equal(t, "web/0", s.hook.RemoteUnit)
	assert.Equal(t, "web/0", s.hook.DepartingUnit)
	assert.Equal(t, []string{"web/1"}, s.listed, "the departing unit is not listed")
	assert.Equal(t, joined, s.bag, "but its bag stays readable")
	_, err := m.Unit().Accessor.UnitData(ctx, "proxy:1", "web/0")
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound, "after relation-departed the unit is gone")

	fire(toolsim.Join("proxy:1", "web/2", nil))
	assert.Equal(t, []string{"proxy-relation-departed", "proxy-relation-departed", "proxy-relation-broken"},
		fire(toolsim.RemoveRelation("proxy:1")))
	assert.Equal(t, "web/1", rec.hooks[0].hook.DepartingUnit)
	assert.Equal(t, []string{"web/2"}, rec.hooks[0].listed)
	assert.Equal(t, "web/2", rec.hooks[1].hook.DepartingUnit)
	assert.Empty(t, rec.hooks[1].listed)
	broken := rec.hooks[2]
	assert.Empty(t, broken.hook.RemoteUnit)
	assert.Equal(t, "web", broken.hook.RemoteApp)
	assert.True(t, broken.hook.IsBroken("proxy:1"))
	assert.Empty(t, broken.listed)
	assert.Equal(t, []string{"proxy:1"}, broken.ids, "relation-ids still lists the broken relation")
	_, err = m.Unit().Accessor.RelationUnits(ctx, "proxy:1")
	assert.ErrorIs(t, err, httprelation.ErrRelationNotFound, "after relation-broken the relation is gone")

	assert.Equal(t, []string{"proxy-relation-created"}, fire(toolsim.AddRelation("proxy:7", "api", "web")))
	assert.Equal(t, httprelation.HookContext{Unit: "lb/0", HookName: "proxy-relation-created", RelationID: "proxy:7", RemoteApp: "api"},
		rec.hooks[0].hook)
	assert.Empty(t, rec.hooks[0].listed)
	assert.Equal(t, map[string]string{"private-address": "10.0.0.9", "ingress-address": "10.0.0.9"}, m.Local("proxy:7"),
		"Juju fills the local bag on entering scope")
}

func TestFireConfigAndPlainHooks(t *testing.T) {
	m := proxyModel(t)
	var ports []string
	readPort := func(ctx context.Context, u httprelation.Unit) error {
		hc, err := u.Accessor.HookContext(ctx)
		if err != nil {
			return err
		}
		out, err := m.Tools().Run(ctx, "config-get", []string{"port"}, nil)
		ports = append(ports, hc.HookName+" "+string(out))
		return err
	}
	for _, ev := range []toolsim.Event{toolsim.RunHook("install"), toolsim.ChangeConfig(map[string]any{"port": 8080}), toolsim.RunHook("update-status")} {
		_, err := m.Fire(ctx, ev, readPort)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"install 80\n", "config-changed 8080\n", "update-status 8080\n"}, ports)
	assert.Equal(t, 3, m.CallCount("config-get"))
}

func TestFireRefusesEventsThatDoNotFit(t *testing.T) {
	m := proxyModel(t)
	_, err := m.Fire(ctx, toolsim.Join("proxy:1", "web/0", nil), func(context.Context, httprelation.Unit) error { return nil })
	require.NoError(t, err)
	for _, ev := range []toolsim.Event{
		toolsim.Join("proxy:1", "web/0", nil),            // already joined
		toolsim.Join("proxy:1", "api/0", nil),            // not the remote application
		toolsim.Join("proxy:2", "web/1", nil),            // no such relation
		toolsim.Change("proxy:1", "web/5", nil),          // not joined
		toolsim.Depart("proxy:1", "web/5"),               // not joined
		toolsim.RemoveRelation("nosuch:3"),               // no such relation
		toolsim.AddRelation("proxy:1", "api", "website"), // the number is taken
		toolsim.AddRelation("proxy", "api", "website"),   // not an id
		toolsim.RunHook("proxy-relation-changed"),        // relation hooks come from relation events
		toolsim.RunHook(""),
	} {
		ran := false
		hooks, err := m.Fire(ctx, ev, func(context.Context, httprelation.Unit) error { ran = true; return nil })
		assert.ErrorIs(t, err, toolsim.ErrInvalidModel, "%v", ev)
		assert.Empty(t, hooks, "%v", ev)
		assert.False(t, ran, "%v", ev)
	}
}

// A failing hook leaves relation data and charm state as they were, as
// Juju does; reads within the hook saw its own writes; status and log
// lines stay.
func TestFailingHookCommitsNothing(t *testing.T) {
	m := proxyModel(t)
	_, err := m.Fire(ctx, toolsim.Join("proxy:1", "web/0", nil), func(ctx context.Context, u httprelation.Unit) error {
		return u.Store.Save(ctx, map[string]string{"kept": "1"})
	})
	require.NoError(t, err)
	before := m.Snapshot()

	errBoom := errors.New("boom")
	var readBack map[string]string
	hooks, err := m.Fire(ctx, toolsim.Change("proxy:1", "web/0", map[string]string{"port": "80"}), func(ctx context.Context, u httprelation.Unit) error {
		if err := u.Accessor.SetLocalData(ctx, "proxy:1", map[string]string{"port": "9"}); err != nil {
			return err
		}
		if err := u.Store.Save(ctx, map[string]string{"kept": "", "new": "1"}); err != nil {
			return err
		}
		var err error
		if readBack, err = u.Accessor.UnitData(ctx, "proxy:1", "lb/0"); err != nil {
			return err
		}
		if _, err := m.Tools().Run(ctx, "status-set", []string{"blocked", "half done"}, nil); err != nil {
			return err
		}
		u.Logger.Warn("about to fail")
		return errBoom
	})
	var he *toolsim.HookError
	require.ErrorAs(t, err, &he)
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, "proxy-relation-changed", he.Hook.Name)
	assert.Equal(t, []string{"proxy-relation-changed"}, hooks.Names())
	assert.Equal(t, "9", readBack["port"], "the hook read its own write")

	assert.Equal(t, before.Relations["proxy:1"].Local, m.Local("proxy:1"))
	assert.Equal(t, map[string]string{"kept": "1"}, m.State())
	assert.Equal(t, &toolsim.Status{Status: "blocked", Message: "half done"}, m.Status(), "status-set is not transactional in Juju")
	assert.Equal(t, []string{"proxy:1: about to fail"}, m.Warnings(), "nor is juju-log")
	bag, err := m.Unit().Accessor.UnitData(ctx, "proxy:1", "web/0")
	require.NoError(t, err)
	assert.Equal(t, "80", bag["port"], "the remote unit's change happened whatever the hook did")
}

// Departing stops when relation-departed fails: the unit stays until the
// hook succeeds, as in Juju.
func TestFailedDepartedKeepsTheUnit(t *testing.T) {
	m := proxyModel(t)
	ok := func(context.Context, httprelation.Unit) error { return nil }
	_, err := m.Fire(ctx, toolsim.Join("proxy:1", "web/0", nil), ok)
	require.NoError(t, err)
	_, err = m.Fire(ctx, toolsim.Join("proxy:1", "web/1", nil), ok)
	require.NoError(t, err)
	hooks, err := m.Fire(ctx, toolsim.RemoveRelation("proxy:1"), func(context.Context, httprelation.Unit) error { return errors.New("no") })
	require.Error(t, err)
	assert.Equal(t, []string{"proxy-relation-departed"}, hooks.Names(), "the first failure stops the event")
	units, err := m.Unit().Accessor.RelationUnits(ctx, "proxy:1")
	require.NoError(t, err)
	assert.Equal(t, []string{"web/1"}, units, "web/0 is still departing")
	_, err = m.Unit().Accessor.UnitData(ctx, "proxy:1", "web/0")
	assert.NoError(t, err)
}

// After a departure or a removed relation the model is in no hook, so
// that the test can go on with SetUnitData or start a Model or a Sim from
// its Snapshot.
func TestSnapshotAfterEventsStartsAgain(t *testing.T) {
	m := proxyModel(t)
	ok := func(context.Context, httprelation.Unit) error { return nil }
	for _, ev := range []toolsim.Event{
		toolsim.Join("proxy:1", "web/0", nil), toolsim.Join("proxy:1", "web/1", nil),
		toolsim.Depart("proxy:1", "web/0"), toolsim.RemoveRelation("proxy:1"),
	} {
		_, err := m.Fire(ctx, ev, ok)
		require.NoError(t, err, "%v", ev)
		_, err = httprelationtest.NewHarness(m.Snapshot())
		require.NoError(t, err, "after %v", ev)
	}
	assert.Equal(t, toolsim.Hook{}, m.Snapshot().Hook)
	hc, err := m.Unit().Accessor.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, httprelation.HookContext{Unit: "lb/0"}, hc)
}

func TestToolsAndLogger(t *testing.T) {
	m := load(t, "changed.json")
	tools := m.Tools()
	out, err := tools.Run(ctx, "relation-get", []string{"--format=json", "port"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "\"8000\"\n", string(out), "the hook's remote unit by default")
	_, err = tools.Run(ctx, "relation-get", []string{"-r", "backends:99", "-", "shop/0"}, nil)
	var te *hooktools.ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 2, te.ExitCode)
	assert.Equal(t, `invalid value "backends:99" for option -r: relation not found`, te.Message)
	assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
	_, err = tools.Run(ctx, "state-set", []string{"--file", "-"}, []byte("a: \"1\"\n"))
	require.NoError(t, err)
	assert.Equal(t, "1", m.State()["a"])
	_, err = tools.Run(ctx, "no-such-tool", nil, nil)
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 127, te.ExitCode)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = tools.Run(cancelled, "is-leader", nil, nil)
	assert.ErrorIs(t, err, context.Canceled)

	m.Unit().Logger.Info("hello", "n", 1)
	m.Unit().Logger.Debug("not sent")
	m.Unit().Logger.Warn("careful")
	assert.Equal(t, []string{"INFO backends:4: hello n=1", "WARNING backends:4: careful"}, m.Log())
	assert.Equal(t, []string{"backends:4: careful"}, m.Warnings())
	var calls []string
	for _, c := range m.Calls() {
		calls = append(calls, fmt.Sprintf("%d %s", c.Exit, strings.Join(append([]string{c.Tool}, c.Args...), " ")))
	}
	assert.Equal(t, []string{
		"0 relation-get --format=json port", "2 relation-get -r backends:99 - shop/0",
		"0 state-set --file -", "127 no-such-tool",
		"0 juju-log -l INFO hello n=1", "0 juju-log -l WARNING careful",
	}, calls)
	assert.Equal(t, 2, m.CallCount("relation-get"))
	m.ResetCalls()
	assert.Empty(t, m.Calls())
}

func TestFlags(t *testing.T) {
	m := proxyModel(t)
	flags, err := m.Flags()
	require.NoError(t, err)
	assert.Empty(t, flags)
	require.NoError(t, m.Run(ctx, func(ctx context.Context, u httprelation.Unit) error {
		reg, err := httprelation.NewRegistry(ctx, u.Store)
		if err != nil {
			return err
		}
		if err := reg.Set("b.ready"); err != nil {
			return err
		}
		if err := reg.Set("a.ready"); err != nil {
			return err
		}
		return reg.Save(ctx)
	}))
	flags, err = m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{"a.ready", "b.ready"}, flags)
	assert.Nil(t, m.Status())
}

// The Unit is hooktools' over the model's tools: its accessor, store and
// logger read and write the model through relation-*, state-* and
// juju-log.
func TestUnitOfTheModel(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{Unit: "web/0", CharmDir: "testdata", State: map[string]string{"k": "v"}})
	u := m.Unit()
	assert.Equal(t, "testdata", u.CharmDir)
	hc, err := u.Accessor.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, "web/0", hc.Unit)
	state, err := u.Store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, state)
	u.Logger.Warn("hi")
	assert.Equal(t, []string{"state-get", "juju-log"}, []string{m.Calls()[0].Tool, m.Calls()[1].Tool})
}

// Warnings are the last event's: the hooks of the last Fire, or the last
// Run; every hook's lines stay in Log.
func TestWarningsAreTheLastEvents(t *testing.T) {
	m := proxyModel(t)
	warn := func(msg string) httprelationtest.HookFunc {
		return func(ctx context.Context, u httprelation.Unit) error {
			hc, err := u.Accessor.HookContext(ctx)
			if err != nil {
				return err
			}
			u.Logger.Warn(msg + " in " + hc.HookName)
			return nil
		}
	}
	_, err := m.Fire(ctx, toolsim.Join("proxy:1", "web/0", nil), warn("first"))
	require.NoError(t, err)
	assert.Equal(t, []string{"proxy:1: first in proxy-relation-joined", "proxy:1: first in proxy-relation-changed"}, m.Warnings(),
		"both hooks of the event")
	_, err = m.Fire(ctx, toolsim.RunHook("update-status"), warn("second"))
	require.NoError(t, err)
	assert.Equal(t, []string{"second in update-status"}, m.Warnings())
	require.NoError(t, m.Run(ctx, func(context.Context, httprelation.Unit) error { return nil }))
	assert.Empty(t, m.Warnings(), "a quiet hook has none")
	assert.Len(t, m.Log(), 3, "Log keeps every hook's lines")
}

// recordingTB keeps what a test reports, so that a test can check how a
// helper fails its test.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// CallCount counts by the tools' own names, and a name that is no tool
// fails the test instead of counting nothing forever.
func TestCallCountRefusesNamesThatAreNoTool(t *testing.T) {
	rec := &recordingTB{TB: t}
	m := httprelationtest.New(rec, &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": {RemoteApp: "web"}}})
	_, err := m.Unit().Accessor.RelationIDs(ctx, "proxy")
	require.NoError(t, err)
	assert.Equal(t, 1, m.CallCount("relation-ids"))
	assert.Zero(t, m.CallCount("relation-get"))
	assert.Empty(t, rec.errors)
	for _, name := range []string{"RelationIDs", "UnitData", "relation_get", ""} {
		assert.Zero(t, m.CallCount(name))
	}
	require.Len(t, rec.errors, 4)
	assert.Contains(t, rec.errors[0], `CallCount("RelationIDs"): not a hook tool`)

	quiet, err := httprelationtest.NewHarness(&toolsim.Model{Unit: "lb/0"})
	require.NoError(t, err)
	assert.Zero(t, quiet.CallCount("UnitData"), "without a test to fail, nothing is counted")
}
