package toolsim

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apply runs ev's steps on m as a runner does when every hook succeeds,
// and returns the hooks' names.
func apply(t *testing.T, m *Model, ev Event) []string {
	t.Helper()
	steps, err := ev.Steps(m)
	require.NoError(t, err, "%v", ev)
	var names []string
	for _, s := range steps {
		s.Before(m)
		require.NoError(t, m.Validate(), "%v: the model in hook %s", ev, s.Hook.Name)
		names = append(names, s.Hook.Name)
		s.After(m)
	}
	return names
}

// After every event the model is still one Juju could be in, so that it
// can be saved, loaded again (ReadModel, httprelationtest.Load), or start
// another Sim: a departed unit or a removed relation takes the hook that
// named it away with it.
func TestEventsLeaveAValidModel(t *testing.T) {
	m := eventModel("")
	for _, tt := range []struct {
		ev    Event
		hooks []string
		hook  Hook
	}{
		{RunHook("install"), []string{"install"}, Hook{Name: "install"}},
		{Join("proxy:1", "web/0", map[string]string{"private-address": "10.0.0.1"}),
			[]string{"proxy-relation-joined", "proxy-relation-changed"},
			Hook{Name: "proxy-relation-changed", RelationID: "proxy:1", RemoteUnit: "web/0", RemoteApp: "web"}},
		{Join("proxy:1", "web/1", nil), []string{"proxy-relation-joined", "proxy-relation-changed"},
			Hook{Name: "proxy-relation-changed", RelationID: "proxy:1", RemoteUnit: "web/1", RemoteApp: "web"}},
		{Depart("proxy:1", "web/0"), []string{"proxy-relation-departed"}, Hook{}},
		{ChangeConfig(map[string]any{"port": 81}), []string{"config-changed"}, Hook{Name: "config-changed"}},
		{RemoveRelation("proxy:1"), []string{"proxy-relation-departed", "proxy-relation-broken"}, Hook{}},
		{AddRelation("proxy:2", "api", "web"), []string{"proxy-relation-created"},
			Hook{Name: "proxy-relation-created", RelationID: "proxy:2", RemoteApp: "api"}},
		{RemoveRelation("proxy:2"), []string{"proxy-relation-broken"}, Hook{}},
	} {
		assert.Equal(t, tt.hooks, apply(t, m, tt.ev), "%v", tt.ev)
		assert.Equal(t, tt.hook, m.Hook, "%v", tt.ev)
		assert.NoError(t, m.Validate(), "%v", tt.ev)
	}
	assert.Empty(t, m.Relations)
}

// The same through processes: the model file a Sim (or hook-tool-sim
// fire) leaves after a departure or a removed relation loads again, and
// the Sim's own hook variables no longer name what is gone.
func TestFireLeavesALoadableModelFile(t *testing.T) {
	t.Parallel()
	charm := charmBinary(t)
	s := Start(t, eventModel(t.TempDir()), nil)
	ctx := context.Background()
	for _, ev := range []Event{
		Join("proxy:1", "web/0", nil), Join("proxy:1", "web/1", nil), Depart("proxy:1", "web/0"), RemoveRelation("proxy:1"),
	} {
		_, err := s.Fire(ctx, charm, ev)
		require.NoError(t, err, "%v", ev)
		m, err := ReadModel(s.ModelPath)
		require.NoError(t, err, "after %v", ev)
		Start(t, m, nil) // and it starts another Sim
	}
	for _, kv := range s.Environ() {
		for _, v := range hookVars {
			assert.NotContains(t, kv, v+"=", "no hook after the relation is gone")
		}
	}
	m, err := ReadModel(s.ModelPath)
	require.NoError(t, err)
	assert.Equal(t, Hook{}, m.Hook)
}

// A joining unit's bag holds no empty value, as Juju never stores one.
func TestJoinLeavesEmptyValuesOut(t *testing.T) {
	m := eventModel("")
	apply(t, m, Join("proxy:1", "web/0", map[string]string{"private-address": "10.0.0.1", "port": "", "hostname": ""}))
	assert.Equal(t, map[string]string{"private-address": "10.0.0.1", "ingress-address": "10.0.0.1", "egress-subnets": "10.0.0.1/32"},
		m.Relations["proxy:1"].Units["web/0"])
	apply(t, m, Join("proxy:1", "web/1", map[string]string{"port": ""}))
	assert.Equal(t, map[string]string{}, m.Relations["proxy:1"].Units["web/1"], "joined, with an empty bag")
}

// A joining unit's bag gets the ingress-address and egress-subnets Juju
// derives from its private-address, unless the data names them.
func TestJoinAddsJujusAddresses(t *testing.T) {
	for _, tc := range []struct {
		name string
		data map[string]string
		want map[string]string
	}{
		{"ipv4", map[string]string{"private-address": "10.0.0.1", "port": "80"},
			map[string]string{"private-address": "10.0.0.1", "ingress-address": "10.0.0.1", "egress-subnets": "10.0.0.1/32", "port": "80"}},
		{"ipv6", map[string]string{"private-address": "fd00::1"},
			map[string]string{"private-address": "fd00::1", "ingress-address": "fd00::1", "egress-subnets": "fd00::1/128"}},
		{"named", map[string]string{"private-address": "10.0.0.1", "ingress-address": "192.0.2.1", "egress-subnets": "192.0.2.0/24"},
			map[string]string{"private-address": "10.0.0.1", "ingress-address": "192.0.2.1", "egress-subnets": "192.0.2.0/24"}},
		{"named empty", map[string]string{"private-address": "10.0.0.1", "ingress-address": ""},
			map[string]string{"private-address": "10.0.0.1", "egress-subnets": "10.0.0.1/32"}},
		{"no address", map[string]string{"port": "80"}, map[string]string{"port": "80"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := eventModel("")
			apply(t, m, Join("proxy:1", "web/0", tc.data))
			assert.Equal(t, tc.want, m.Relations["proxy:1"].Units["web/0"])
		})
	}
}

// An event that does not fit says what is wrong and what to do instead.
func TestEventErrorsSayWhatToDo(t *testing.T) {
	m := eventModel("")
	apply(t, m, Join("proxy:1", "web/0", nil))
	for _, tt := range []struct {
		ev   Event
		want []string
	}{
		{Join("proxy:2", "web/1", nil), []string{`relation "proxy:2" is not in the model (have proxy:1)`, "AddRelation"}},
		{Change("site:9", "web/1", nil), []string{"(have proxy:1)"}},
		{Join("proxy:1", "web/0", nil), []string{"already joined", "fire Change"}},
		{Change("proxy:1", "web/5", nil), []string{"web/5 is not in proxy:1 (have web/0)", "fire Join first"}},
		{Depart("proxy:1", "web/5"), []string{"(have web/0)", "fire Join first"}},
		{Join("proxy:1", "api/0", nil), []string{`remote application "web"`, `"web/0"`}},
		{RunHook("proxy-relation-changed"), []string{"relation events (Join, Change"}},
		{RunHook("update_status"), []string{`did you mean "update-status"?`}},
	} {
		_, err := tt.ev.Steps(m)
		require.ErrorIs(t, err, ErrInvalidModel, "%v", tt.ev)
		for _, w := range tt.want {
			assert.ErrorContains(t, err, w, "%v", tt.ev)
		}
	}
	empty := &Model{Unit: "lb/0"}
	_, err := Join("proxy:1", "web/0", nil).Steps(empty)
	assert.ErrorContains(t, err, "(have none)")
}

// RunHook runs the hooks Juju runs, and refuses names Juju never runs, so
// that a typo does not pass as a hook the charm ignores.
func TestRunHookNames(t *testing.T) {
	for _, name := range []string{
		"install", "start", "stop", "remove", "config-changed", "upgrade-charm", "update-status",
		"leader-elected", "leader-settings-changed", "collect-metrics", "pre-series-upgrade", "post-series-upgrade",
		"secret-changed", "secret-rotate", "data-storage-attached", "shared-fs-storage-detaching",
		"web-pebble-ready", "web-pebble-custom-notice", "db2-pebble-check-failed",
	} {
		steps, err := RunHook(name).Steps(&Model{Unit: "lb/0"})
		require.NoError(t, err, name)
		require.Len(t, steps, 1)
		assert.Equal(t, Hook{Name: name}, steps[0].Hook)
		m := &Model{Unit: "lb/0", Hook: Hook{Name: name}}
		assert.NoError(t, m.Validate(), "a model may be in hook %s", name)
	}
	for _, name := range []string{
		"", "update_status", "Install", "installs", "foo", "storage-attached", "-storage-attached",
		"Data-storage-attached", "data_1-storage-attached", "pebble-ready", "web-pebble-readyy",
		"action", "relation-joined", "proxy-relation-joined", "proxy-relation-broke",
	} {
		_, err := RunHook(name).Steps(&Model{Unit: "lb/0"})
		assert.ErrorIs(t, err, ErrInvalidModel, "%q", name)
		if name != "" {
			m := &Model{Unit: "lb/0", Hook: Hook{Name: name}}
			assert.ErrorIs(t, m.Validate(), ErrInvalidModel, "a model cannot be in hook %q", name)
		}
	}
}

// Juju runs leader-elected on the unit it has made leader, and
// leader-settings-changed only on the others.
func TestLeaderHooks(t *testing.T) {
	m := &Model{Unit: "lb/0"}
	apply(t, m, RunHook("leader-settings-changed"))
	assert.False(t, m.Leader)
	apply(t, m, RunHook("leader-elected"))
	assert.True(t, m.Leader, "is-leader answers true in leader-elected")
	var out, errOut bytes.Buffer
	require.Equal(t, 0, m.Call(nil, nil, &out, &errOut, "is-leader", "--format=json"), errOut.String())
	assert.Equal(t, "true\n", out.String())
	_, err := RunHook("leader-settings-changed").Steps(m)
	assert.ErrorIs(t, err, ErrInvalidModel)
	assert.ErrorContains(t, err, "not the leader")
}
