package hooktools

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

func TestNewUnitOutsideHook(t *testing.T) {
	t.Setenv("JUJU_UNIT_NAME", "")
	_, err := NewUnit()
	assert.ErrorIs(t, err, ErrNotInHook)
	_, err = NewUnit(WithEnv(Env{CharmDir: "/c"}))
	assert.ErrorIs(t, err, ErrNotInHook)
	_, err = newAccessor(answer(nil)).HookContext(context.Background())
	assert.ErrorIs(t, err, ErrNotInHook)
}

// TestNewUnitFromProcessEnv: by default the unit is the process's hook,
// over the tools on PATH, with the hook named by JUJU_DISPATCH_PATH when
// JUJU_HOOK_NAME is unset.
func TestNewUnitFromProcessEnv(t *testing.T) {
	t.Setenv("JUJU_UNIT_NAME", "lb/0")
	t.Setenv("JUJU_CHARM_DIR", "/var/lib/juju/agents/unit-lb-0/charm")
	t.Setenv("JUJU_HOOK_NAME", "")
	t.Setenv("JUJU_DISPATCH_PATH", "hooks/website-relation-joined")
	unit, err := NewUnit()
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/juju/agents/unit-lb-0/charm", unit.CharmDir)
	hc, err := unit.Accessor.HookContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, httprelation.HookContext{Unit: "lb/0", HookName: "website-relation-joined"}, hc)
	acc := unit.Accessor.(*accessor)
	assert.IsType(t, ExecRunner{}, acc.call.runner)
	assert.Equal(t, DefaultTimeout, acc.call.timeout)
	assert.IsType(t, &stateStore{}, unit.Store)
	assert.IsType(t, &logHandler{}, unit.Logger.Handler())
}

// TestNewUnitOptions: the runner, the hook and the deadline reach every
// part of the unit, and the log level its Logger.
func TestNewUnitOptions(t *testing.T) {
	r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
		return []byte(map[string]string{
			"state-get":    `{"flag.web.available":"1"}`,
			"relation-ids": `["web:1"]`,
		}[c.Tool]), nil
	}}
	unit, err := NewUnit(WithRunner(r), WithEnv(Env{Unit: "lb/0", CharmDir: "/c"}),
		WithTimeout(time.Second), WithLogLevel(slog.LevelError))
	require.NoError(t, err)
	ctx := context.Background()
	ids, err := unit.Accessor.RelationIDs(ctx, "web")
	require.NoError(t, err)
	assert.Equal(t, []string{"web:1"}, ids)
	state, err := unit.Store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"flag.web.available": "1"}, state)
	unit.Logger.Warn("not sent")
	unit.Logger.Error("boom")
	var tools []string
	for _, c := range r.seen() {
		tools = append(tools, c.Tool)
	}
	assert.Equal(t, []string{"relation-ids", "state-get", "juju-log"}, tools)
	assert.Equal(t, time.Second, unit.Accessor.(*accessor).call.timeout)
}
