package httprelationtest_test

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

var ctx = context.Background()

// load returns a Harness serving a fixture under testdata/.
func load(t *testing.T, name string) *httprelationtest.Harness {
	t.Helper()
	model, err := toolsim.ReadModel(filepath.Join("testdata", name))
	require.NoError(t, err)
	return httprelationtest.New(t, model)
}

func TestRelationIDs(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{
		"website:3": {RemoteApp: "a"}, "admin:5": {RemoteApp: "b"}, "website:12": {RemoteApp: "c"}, "websites:7": {RemoteApp: "d"},
	}})
	ids, err := m.Unit().Accessor.RelationIDs(ctx, "website")
	require.NoError(t, err)
	assert.Equal(t, []string{"website:12", "website:3"}, ids, "relation-ids sorts as strings")
	ids, err = m.Unit().Accessor.RelationIDs(ctx, "nosuch")
	require.NoError(t, err)
	assert.NotNil(t, ids)
	assert.Empty(t, ids)
}

func TestRelationIDForms(t *testing.T) {
	m := load(t, "departed.json")
	for _, id := range []string{"backends:11", "11"} {
		units, err := m.Unit().Accessor.RelationUnits(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, []string{"blog/1"}, units, id)
		app, err := m.Unit().Accessor.RemoteApp(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, "blog", app, id)
		bag, err := m.Unit().Accessor.UnitData(ctx, id, "blog/1")
		require.NoError(t, err, id)
		assert.Equal(t, "172.20.2.11", bag["private-address"], id)
	}
	require.NoError(t, m.Unit().Accessor.SetLocalData(ctx, "11", map[string]string{"port": "80"}))
	assert.Equal(t, map[string]string{"port": "80"}, m.Local("backends:11"))
	assert.Equal(t, m.Local("backends:11"), m.Local("11"))
}

// TestUnknownRelation: a relation id the model lacks is Juju's "relation
// not found" for every tool (ErrRelationNotFound); one that is no relation
// id at all is refused too, as relation-get refuses it ("invalid relation
// id"), or before any tool runs. The harness's own editing methods say
// ErrRelationNotFound for both.
func TestUnknownRelation(t *testing.T) {
	m := load(t, "departed.json")
	for _, tc := range []struct {
		id       string
		notFound bool
	}{{"backends:99", true}, {"99", true}, {"bogus", false}, {"", false}} {
		t.Run(tc.id, func(t *testing.T) {
			check := func(err error) {
				t.Helper()
				require.Error(t, err)
				if tc.notFound {
					assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
				}
			}
			_, err := m.Unit().Accessor.RelationUnits(ctx, tc.id)
			check(err)
			_, err = m.Unit().Accessor.RemoteApp(ctx, tc.id)
			check(err)
			_, err = m.Unit().Accessor.UnitData(ctx, tc.id, "shop/0")
			check(err)
			check(m.Unit().Accessor.SetLocalData(ctx, tc.id, map[string]string{"k": "v"}))
			// network-get and the local bag fail; unit-get still answers.
			addr, err := m.Unit().Accessor.IngressAddress(ctx, tc.id)
			if tc.id != "" {
				require.NoError(t, err)
				assert.Equal(t, m.Snapshot().PrivateAddress, addr)
			}
			assert.ErrorIs(t, m.SetUnitData(tc.id, "shop/5", nil), httprelation.ErrRelationNotFound)
			assert.ErrorIs(t, m.RemoveUnit(tc.id, "shop/0"), httprelation.ErrRelationNotFound)
			assert.Nil(t, m.Local(tc.id))
		})
	}
}

// TestUnknownUnit: as in Juju, a unit of the remote application that is
// not in the relation has no settings (ErrUnitNotFound), while reading a
// unit of another application is "permission denied", a failure.
func TestUnknownUnit(t *testing.T) {
	m := load(t, "departed.json")
	_, err := m.Unit().Accessor.UnitData(ctx, "backends:4", "shop/9")
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)
	for _, unit := range []string{"blog/1", "other/0"} {
		_, err := m.Unit().Accessor.UnitData(ctx, "backends:4", unit)
		var te *hooktools.ToolError
		require.ErrorAs(t, err, &te, unit)
		assert.Equal(t, "permission denied", te.Message)
		assert.NotErrorIs(t, err, httprelation.ErrUnitNotFound, unit)
	}
	_, err = m.Unit().Accessor.UnitData(ctx, "backends:4", "")
	assert.ErrorContains(t, err, "invalid unit")
}

func TestDeparted(t *testing.T) {
	m := load(t, "departed.json")
	hc, err := m.Unit().Accessor.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, httprelation.HookContext{Unit: "lb/0", HookName: "backends-relation-departed",
		RelationID: "backends:4", RemoteUnit: "shop/3", RemoteApp: "shop", DepartingUnit: "shop/3"}, hc)

	units, err := m.Unit().Accessor.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/0"}, units, "the departing unit is not listed")
	bag, err := m.Unit().Accessor.UnitData(ctx, "backends:4", "shop/3")
	require.NoError(t, err, "the departing unit's data stays readable")
	assert.Equal(t, "172.20.1.13", bag["private-address"])

	units, err = m.Unit().Accessor.RelationUnits(ctx, "backends:11")
	require.NoError(t, err)
	assert.Equal(t, []string{"blog/1"}, units, "another relation is not affected")
}

func TestBroken(t *testing.T) {
	m := load(t, "departed.json")
	require.NoError(t, m.SetHook(toolsim.Hook{Name: "backends-relation-broken", RelationID: "backends:11"}))
	hc, err := m.Unit().Accessor.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, "blog", hc.RemoteApp, "the remote app defaults to the relation's")
	assert.True(t, hc.IsBroken("backends:11"))

	units, err := m.Unit().Accessor.RelationUnits(ctx, "backends:11")
	require.NoError(t, err)
	assert.NotNil(t, units)
	assert.Empty(t, units)
	ids, err := m.Unit().Accessor.RelationIDs(ctx, "backends")
	require.NoError(t, err)
	assert.Equal(t, []string{"backends:11", "backends:4"}, ids, "a broken relation is still listed")
	units, err = m.Unit().Accessor.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/0", "shop/3"}, units)
}

func TestSetUnitDataAndRemoveUnit(t *testing.T) {
	m := load(t, "departed.json")
	bag := map[string]string{"private-address": "172.20.1.15"}
	require.NoError(t, m.SetUnitData("backends:4", "shop/5", bag))
	require.NoError(t, m.SetHook(toolsim.Hook{Name: "backends-relation-joined", RelationID: "backends:4", RemoteUnit: "shop/5"}))
	bag["private-address"] = "changed"
	got, err := m.Unit().Accessor.UnitData(ctx, "backends:4", "shop/5")
	require.NoError(t, err)
	assert.Equal(t, "172.20.1.15", got["private-address"], "the bag must be copied")

	require.NoError(t, m.RemoveUnit("4", "shop/0"))
	units, err := m.Unit().Accessor.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/3", "shop/5"}, units)
	_, err = m.Unit().Accessor.UnitData(ctx, "backends:4", "shop/0")
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)

	assert.ErrorIs(t, m.RemoveUnit("backends:4", "shop/0"), httprelation.ErrUnitNotFound, "already gone")
	assert.ErrorIs(t, m.RemoveUnit("backends:4", "shop/5"), toolsim.ErrInvalidModel, "the hook's remote unit")
	units, err = m.Unit().Accessor.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/3", "shop/5"}, units, "a refused removal changes nothing")
	assert.ErrorIs(t, m.SetHook(toolsim.Hook{Name: "backends-relation-joined", RelationID: "backends:4", RemoteUnit: "shop/0"}),
		toolsim.ErrInvalidModel)
	hc, err := m.Unit().Accessor.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, "shop/5", hc.RemoteUnit, "a refused hook leaves the hook as it was")
}

func TestSetLocalData(t *testing.T) {
	m := load(t, "departed.json")
	old, err := m.Unit().Accessor.UnitData(ctx, "backends:4", "lb/0")
	require.NoError(t, err)
	require.NoError(t, m.Unit().Accessor.SetLocalData(ctx, "backends:4", map[string]string{"port": "8080", "private-address": ""}))
	assert.Equal(t, map[string]string{"ingress-address": "172.20.0.5", "port": "8080"}, m.Local("backends:4"))
	assert.Equal(t, map[string]string{"private-address": "172.20.0.5", "ingress-address": "172.20.0.5"}, old,
		"a map returned earlier must not change")
	now, err := m.Unit().Accessor.UnitData(ctx, "backends:4", "lb/0")
	require.NoError(t, err)
	assert.Equal(t, m.Local("backends:4"), now)

	local := m.Local("backends:4")
	local["port"] = "1"
	assert.Equal(t, "8080", m.Local("backends:4")["port"], "Local must return a copy")

	err = m.Unit().Accessor.SetLocalData(ctx, "backends:4", map[string]string{"a": "1", "": "x"})
	require.ErrorIs(t, err, httprelation.ErrInvalidKey)
	assert.Equal(t, now, m.Local("backends:4"), "a rejected write changes nothing")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, m.Unit().Accessor.SetLocalData(cancelled, "backends:4", map[string]string{"a": "1"}), context.Canceled)
	assert.Equal(t, now, m.Local("backends:4"))

	empty, err := m.Unit().Accessor.UnitData(ctx, "backends:11", "lb/0")
	require.NoError(t, err)
	assert.NotNil(t, empty, "an empty local bag reads as {}")
}

func TestIngressAddress(t *testing.T) {
	network := func(addr string) toolsim.Network {
		return toolsim.Network{
			BindAddresses:    []toolsim.BindAddress{{InterfaceName: "eth0", Addresses: []toolsim.InterfaceAddress{{Value: addr, CIDR: addr + "/32"}}}},
			IngressAddresses: []string{addr},
		}
	}
	tests := []struct {
		name     string
		unitAddr string
		binding  *toolsim.Network
		id       string // "website:1" unless set
		rel      toolsim.Relation
		want     string
	}{
		{name: "network-get -r: the relation's own network", unitAddr: "10.0.0.4", want: "10.0.0.1", binding: ptr(network("10.0.0.5")),
			rel: toolsim.Relation{Network: ptr(network("10.0.0.1")), Local: map[string]string{"ingress-address": "10.0.0.2", "private-address": "10.0.0.3"}}},
		{name: "network-get: the endpoint's binding", unitAddr: "10.0.0.4", want: "10.0.0.5", binding: ptr(network("10.0.0.5")),
			rel: toolsim.Relation{Local: map[string]string{"ingress-address": "10.0.0.2"}}},
		{name: "binding without interfaces is no network config", unitAddr: "10.0.0.4", want: "10.0.0.2",
			binding: &toolsim.Network{IngressAddresses: []string{"10.0.0.5"}},
			rel:     toolsim.Relation{Local: map[string]string{"ingress-address": "10.0.0.2"}}},
		{name: "local ingress-address", unitAddr: "10.0.0.4", want: "10.0.0.2", rel: toolsim.Relation{
			Local: map[string]string{"ingress-address": "10.0.0.2", "private-address": "10.0.0.3"}}},
		{name: "local private-address", unitAddr: "10.0.0.4", want: "10.0.0.3", rel: toolsim.Relation{
			Local: map[string]string{"private-address": "10.0.0.3"}}},
		{name: "unit-get private-address", unitAddr: "10.0.0.4", want: "10.0.0.4"},
		{name: "a bare relation number outside its hook names no endpoint for network-get", id: "1", unitAddr: "10.0.0.4",
			want: "10.0.0.2", binding: ptr(network("10.0.0.5")), rel: toolsim.Relation{Local: map[string]string{"ingress-address": "10.0.0.2"}}},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rel.RemoteApp = "lb"
			model := &toolsim.Model{Unit: "web/0", PrivateAddress: tt.unitAddr,
				Relations: map[string]toolsim.Relation{"website:1": tt.rel}}
			if tt.binding != nil {
				model.Networks = map[string]toolsim.Network{"website": *tt.binding}
			}
			m := httprelationtest.New(t, model)
			id := cmp.Or(tt.id, "website:1")
			got, err := m.Unit().Accessor.IngressAddress(ctx, id)
			if tt.want == "" {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestStore(t *testing.T) {
	m := load(t, "departed.json")
	state, err := m.Unit().Store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"backends.available": "1"}, state)
	state["x"] = "mutated"

	require.NoError(t, m.Unit().Store.Save(ctx, map[string]string{"backends.available": "", "hash": "abc"}))
	require.NoError(t, m.Unit().Store.Save(ctx, map[string]string{"other": "1"}))
	assert.Equal(t, map[string]string{"hash": "abc", "other": "1"}, m.State(), "keys not named keep their values")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, m.Unit().Store.Save(cancelled, map[string]string{"hash": ""}), context.Canceled)
	assert.Equal(t, "abc", m.State()["hash"])

	empty := httprelationtest.New(t, &toolsim.Model{Unit: "web/0"})
	state, err = empty.Unit().Store.Load(ctx)
	require.NoError(t, err)
	assert.NotNil(t, state)
	assert.Empty(t, state)
}

func TestNewCopiesTheModel(t *testing.T) {
	model := &toolsim.Model{Unit: "web/0", State: map[string]string{"k": "v"},
		Relations: map[string]toolsim.Relation{"website:1": {RemoteApp: "lb",
			Local: map[string]string{"port": "80"}, Units: map[string]map[string]string{"lb/0": {"a": "1"}}}}}
	m := httprelationtest.New(t, model)
	model.State["k"] = "changed"
	model.Relations["website:1"].Local["port"] = "81"
	model.Relations["website:1"].Units["lb/0"]["a"] = "2"
	model.Relations["website:1"].Units["lb/1"] = nil
	assert.Equal(t, map[string]string{"k": "v"}, m.State())
	assert.Equal(t, map[string]string{"port": "80"}, m.Local("website:1"))
	bag, err := m.Unit().Accessor.UnitData(ctx, "website:1", "lb/0")
	require.NoError(t, err)
	assert.Equal(t, "1", bag["a"])
	units, err := m.Unit().Accessor.RelationUnits(ctx, "website:1")
	require.NoError(t, err)
	assert.Equal(t, []string{"lb/0"}, units)

	snap := m.Snapshot()
	snap.Relations["website:1"].Local["port"] = "82"
	assert.Equal(t, "80", m.Local("website:1")["port"], "a snapshot is a copy")
}

// TestCalls: every tool call of the unit's parts is recorded under the
// tool's name, failed ones included; the hook context comes from the
// environment and inspection helpers are no calls.
func TestCalls(t *testing.T) {
	m := load(t, "departed.json")
	u := m.Unit()
	_, _ = u.Accessor.HookContext(ctx)
	_, _ = u.Accessor.RelationIDs(ctx, "backends")
	_, _ = u.Accessor.RelationUnits(ctx, "4")
	_, _ = u.Accessor.UnitData(ctx, "backends:4", "shop/0")
	_, _ = u.Accessor.UnitData(ctx, "backends:4", "shop/9")
	_ = u.Accessor.SetLocalData(ctx, "backends:99", map[string]string{"k": "v"})
	_, _ = u.Accessor.IngressAddress(ctx, "backends:4")
	_, _ = u.Store.Load(ctx)
	_ = u.Store.Save(ctx, map[string]string{"k": "v"})
	_ = m.Local("backends:4")
	var calls []string
	for _, c := range m.Calls() {
		calls = append(calls, fmt.Sprintf("%d %s", c.Exit, c.Tool))
	}
	assert.Equal(t, []string{
		"0 relation-ids", "0 relation-list", "0 relation-get", "1 relation-get", "2 relation-set",
		"0 network-get", "0 state-get", "0 state-set",
	}, calls, "failed calls are recorded too")
	assert.Equal(t, 2, m.CallCount("relation-get"))
	m.ResetCalls()
	assert.Empty(t, m.Calls())
	assert.Zero(t, m.CallCount("relation-get"))
}

// TestConcurrentUse is meant for -race: every method at once, then a check
// that no write was lost.
func TestConcurrentUse(t *testing.T) {
	m := load(t, "departed.json")
	const workers = 16
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("k%d", i)
			assert.NoError(t, m.Unit().Accessor.SetLocalData(ctx, "backends:4", map[string]string{key: "v"}))
			assert.NoError(t, m.Unit().Store.Save(ctx, map[string]string{key: "v"}))
			assert.NoError(t, m.SetUnitData("backends:11", fmt.Sprintf("blog/%d", i+10), map[string]string{"port": "80"}))
			bag, err := m.Unit().Accessor.UnitData(ctx, "backends:4", "lb/0")
			assert.NoError(t, err)
			assert.Equal(t, "v", bag[key])
			_, err = m.Unit().Accessor.RelationUnits(ctx, "backends:11")
			assert.NoError(t, err)
			_, err = m.Unit().Accessor.IngressAddress(ctx, "backends:4")
			assert.NoError(t, err)
			_, err = m.Unit().Store.Load(ctx)
			assert.NoError(t, err)
			assert.NoError(t, m.SetHook(toolsim.Hook{Name: "update-status"}))
			_ = m.Calls()
			_ = m.Local("backends:4")
			_ = m.Snapshot()
		}()
	}
	wg.Wait()
	local, state := m.Local("backends:4"), m.State()
	units, err := m.Unit().Accessor.RelationUnits(ctx, "backends:11")
	require.NoError(t, err)
	assert.Len(t, units, workers+1)
	for i := range workers {
		key := fmt.Sprintf("k%d", i)
		assert.Equal(t, "v", local[key], key)
		assert.Equal(t, "v", state[key], key)
	}
	assert.Equal(t, workers, m.CallCount("relation-set"))
}
