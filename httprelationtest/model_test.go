package httprelationtest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

var ctx = context.Background()

// load returns the Model of a fixture under testdata/.
func load(t *testing.T, name string) *httprelationtest.Model {
	t.Helper()
	m, err := httprelationtest.Load(filepath.Join("testdata", name))
	require.NoError(t, err)
	return m
}

func TestRelationIDs(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{
		"website:3": {RemoteApp: "a"}, "admin:5": {RemoteApp: "b"}, "website:12": {RemoteApp: "c"}, "websites:7": {RemoteApp: "d"},
	}})
	ids, err := m.RelationIDs(ctx, "website")
	require.NoError(t, err)
	assert.Equal(t, []string{"website:12", "website:3"}, ids, "relation-ids sorts as strings")
	ids, err = m.RelationIDs(ctx, "nosuch")
	require.NoError(t, err)
	assert.NotNil(t, ids)
	assert.Empty(t, ids)
}

func TestRelationIDForms(t *testing.T) {
	m := load(t, "departed.json")
	for _, id := range []string{"backends:11", "11"} {
		units, err := m.RelationUnits(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, []string{"blog/1"}, units, id)
		app, err := m.RemoteApp(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, "blog", app, id)
		bag, err := m.UnitData(ctx, id, "blog/1")
		require.NoError(t, err, id)
		assert.Equal(t, "172.20.2.11", bag["private-address"], id)
	}
	require.NoError(t, m.SetLocalData(ctx, "11", map[string]string{"port": "80"}))
	assert.Equal(t, map[string]string{"port": "80"}, m.Local("backends:11"))
	assert.Equal(t, m.Local("backends:11"), m.Local("11"))
}

func TestUnknownRelation(t *testing.T) {
	m := load(t, "departed.json")
	for _, id := range []string{"backends:99", "99", "bogus", ""} {
		t.Run(id, func(t *testing.T) {
			_, err := m.RelationUnits(ctx, id)
			assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
			_, err = m.RemoteApp(ctx, id)
			assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
			_, err = m.UnitData(ctx, id, "shop/0")
			assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
			assert.ErrorIs(t, m.SetLocalData(ctx, id, map[string]string{"k": "v"}), httprelation.ErrRelationNotFound)
			_, err = m.IngressAddress(ctx, id)
			assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
			assert.ErrorIs(t, m.SetUnitData(id, "shop/5", nil), httprelation.ErrRelationNotFound)
			assert.ErrorIs(t, m.RemoveUnit(id, "shop/0"), httprelation.ErrRelationNotFound)
			assert.Nil(t, m.Local(id))
		})
	}
}

func TestUnknownUnit(t *testing.T) {
	m := load(t, "departed.json")
	for _, unit := range []string{"shop/9", "blog/1", "other/0", ""} {
		_, err := m.UnitData(ctx, "backends:4", unit)
		assert.ErrorIs(t, err, httprelation.ErrUnitNotFound, unit)
	}
}

func TestDeparted(t *testing.T) {
	m := load(t, "departed.json")
	hc, err := m.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, httprelation.HookContext{Unit: "lb/0", HookName: "backends-relation-departed",
		RelationID: "backends:4", RemoteUnit: "shop/3", RemoteApp: "shop", DepartingUnit: "shop/3"}, hc)

	units, err := m.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/0"}, units, "the departing unit is not listed")
	bag, err := m.UnitData(ctx, "backends:4", "shop/3")
	require.NoError(t, err, "the departing unit's data stays readable")
	assert.Equal(t, "172.20.1.13", bag["private-address"])

	units, err = m.RelationUnits(ctx, "backends:11")
	require.NoError(t, err)
	assert.Equal(t, []string{"blog/1"}, units, "another relation is not affected")
}

func TestBroken(t *testing.T) {
	m := load(t, "departed.json")
	require.NoError(t, m.SetHook(toolsim.Hook{Name: "backends-relation-broken", RelationID: "backends:11"}))
	hc, err := m.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, "blog", hc.RemoteApp, "the remote app defaults to the relation's")
	assert.True(t, hc.IsBroken("backends:11"))

	units, err := m.RelationUnits(ctx, "backends:11")
	require.NoError(t, err)
	assert.NotNil(t, units)
	assert.Empty(t, units)
	ids, err := m.RelationIDs(ctx, "backends")
	require.NoError(t, err)
	assert.Equal(t, []string{"backends:11", "backends:4"}, ids, "a broken relation is still listed")
	units, err = m.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/0", "shop/3"}, units)
}

func TestSetUnitDataAndRemoveUnit(t *testing.T) {
	m := load(t, "departed.json")
	bag := map[string]string{"private-address": "172.20.1.15"}
	require.NoError(t, m.SetUnitData("backends:4", "shop/5", bag))
	require.NoError(t, m.SetHook(toolsim.Hook{Name: "backends-relation-joined", RelationID: "backends:4", RemoteUnit: "shop/5"}))
	bag["private-address"] = "changed"
	got, err := m.UnitData(ctx, "backends:4", "shop/5")
	require.NoError(t, err)
	assert.Equal(t, "172.20.1.15", got["private-address"], "the bag must be copied")

	require.NoError(t, m.RemoveUnit("4", "shop/0"))
	units, err := m.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/3", "shop/5"}, units)
	_, err = m.UnitData(ctx, "backends:4", "shop/0")
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)

	assert.ErrorIs(t, m.RemoveUnit("backends:4", "shop/0"), httprelation.ErrUnitNotFound, "already gone")
	assert.ErrorIs(t, m.RemoveUnit("backends:4", "shop/5"), toolsim.ErrInvalidModel, "the hook's remote unit")
	units, err = m.RelationUnits(ctx, "backends:4")
	require.NoError(t, err)
	assert.Equal(t, []string{"shop/3", "shop/5"}, units, "a refused removal changes nothing")
	assert.ErrorIs(t, m.SetHook(toolsim.Hook{Name: "backends-relation-joined", RelationID: "backends:4", RemoteUnit: "shop/0"}),
		toolsim.ErrInvalidModel)
	hc, err := m.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, "shop/5", hc.RemoteUnit, "a refused hook leaves the hook as it was")
}

func TestSetLocalData(t *testing.T) {
	m := load(t, "departed.json")
	old, err := m.UnitData(ctx, "backends:4", "lb/0")
	require.NoError(t, err)
	require.NoError(t, m.SetLocalData(ctx, "backends:4", map[string]string{"port": "8080", "private-address": ""}))
	assert.Equal(t, map[string]string{"ingress-address": "172.20.0.5", "port": "8080"}, m.Local("backends:4"))
	assert.Equal(t, map[string]string{"private-address": "172.20.0.5", "ingress-address": "172.20.0.5"}, old,
		"a map returned earlier must not change")
	now, err := m.UnitData(ctx, "backends:4", "lb/0")
	require.NoError(t, err)
	assert.Equal(t, m.Local("backends:4"), now)

	local := m.Local("backends:4")
	local["port"] = "1"
	assert.Equal(t, "8080", m.Local("backends:4")["port"], "Local must return a copy")

	err = m.SetLocalData(ctx, "backends:4", map[string]string{"a": "1", "": "x"})
	require.ErrorIs(t, err, httprelation.ErrInvalidKey)
	assert.Equal(t, now, m.Local("backends:4"), "a rejected write changes nothing")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, m.SetLocalData(cancelled, "backends:4", map[string]string{"a": "1"}), context.Canceled)
	assert.Equal(t, now, m.Local("backends:4"))

	empty, err := m.UnitData(ctx, "backends:11", "lb/0")
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
			got, err := m.IngressAddress(ctx, "1")
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
	state, err := m.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"backends.available": "1"}, state)
	state["x"] = "mutated"

	require.NoError(t, m.Save(ctx, map[string]string{"backends.available": "", "hash": "abc"}))
	require.NoError(t, m.Save(ctx, map[string]string{"other": "1"}))
	assert.Equal(t, map[string]string{"hash": "abc", "other": "1"}, m.State(), "keys not named keep their values")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, m.Save(cancelled, map[string]string{"hash": ""}), context.Canceled)
	assert.Equal(t, "abc", m.State()["hash"])

	empty := httprelationtest.New(t, &toolsim.Model{Unit: "web/0"})
	state, err = empty.Load(ctx)
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
	bag, err := m.UnitData(ctx, "website:1", "lb/0")
	require.NoError(t, err)
	assert.Equal(t, "1", bag["a"])
	units, err := m.RelationUnits(ctx, "website:1")
	require.NoError(t, err)
	assert.Equal(t, []string{"lb/0"}, units)

	snap := m.Snapshot()
	snap.Relations["website:1"].Local["port"] = "82"
	assert.Equal(t, "80", m.Local("website:1")["port"], "a snapshot is a copy")
}

func TestCalls(t *testing.T) {
	m := load(t, "departed.json")
	_, _ = m.HookContext(ctx)
	_, _ = m.RelationIDs(ctx, "backends")
	_, _ = m.RelationUnits(ctx, "4")
	_, _ = m.UnitData(ctx, "backends:4", "shop/0")
	_, _ = m.UnitData(ctx, "backends:4", "shop/9")
	_ = m.SetLocalData(ctx, "backends:99", nil)
	_, _ = m.RemoteApp(ctx, "backends:4")
	_, _ = m.IngressAddress(ctx, "backends:4")
	_, _ = m.Load(ctx)
	_ = m.Save(ctx, nil)
	assert.Equal(t, []httprelationtest.Call{
		{Method: "HookContext"}, {Method: "RelationIDs", Arg: "backends"}, {Method: "RelationUnits", Arg: "4"},
		{Method: "UnitData", Arg: "backends:4 shop/0"}, {Method: "UnitData", Arg: "backends:4 shop/9"},
		{Method: "SetLocalData", Arg: "backends:99"}, {Method: "RemoteApp", Arg: "backends:4"},
		{Method: "IngressAddress", Arg: "backends:4"}, {Method: "StateLoad"}, {Method: "StateSave"},
	}, m.Calls(), "failed calls are recorded too")
	assert.Equal(t, 2, m.CallCount(httprelationtest.CallUnitData))
	assert.Zero(t, m.CallCount("Local"), "inspection helpers are not calls")
	m.ResetCalls()
	assert.Empty(t, m.Calls())
	assert.Zero(t, m.CallCount("UnitData"))
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
			assert.NoError(t, m.SetLocalData(ctx, "backends:4", map[string]string{key: "v"}))
			assert.NoError(t, m.Save(ctx, map[string]string{key: "v"}))
			assert.NoError(t, m.SetUnitData("backends:11", fmt.Sprintf("blog/%d", i+10), map[string]string{"port": "80"}))
			bag, err := m.UnitData(ctx, "backends:4", "lb/0")
			assert.NoError(t, err)
			assert.Equal(t, "v", bag[key])
			_, err = m.RelationUnits(ctx, "backends:11")
			assert.NoError(t, err)
			_, err = m.IngressAddress(ctx, "backends:4")
			assert.NoError(t, err)
			_, err = m.Load(ctx)
			assert.NoError(t, err)
			assert.NoError(t, m.SetHook(toolsim.Hook{Name: "update-status"}))
			_ = m.Calls()
			_ = m.Local("backends:4")
			_ = m.Snapshot()
		}()
	}
	wg.Wait()
	local, state := m.Local("backends:4"), m.State()
	units, err := m.RelationUnits(ctx, "backends:11")
	require.NoError(t, err)
	assert.Len(t, units, workers+1)
	for i := range workers {
		key := fmt.Sprintf("k%d", i)
		assert.Equal(t, "v", local[key], key)
		assert.Equal(t, "v", state[key], key)
	}
	assert.Equal(t, workers, m.CallCount("SetLocalData"))
}
