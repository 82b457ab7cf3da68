package toolsim

import (
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
	assert.Equal(t, map[string]string{"private-address": "10.0.0.1"}, m.Relations["proxy:1"].Units["web/0"])
	apply(t, m, Join("proxy:1", "web/1", map[string]string{"port": ""}))
	assert.Equal(t, map[string]string{}, m.Relations["proxy:1"].Units["web/1"], "joined, with an empty bag")
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

