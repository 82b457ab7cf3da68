package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// The two tests the README shows, as they are there: they use only the
// public API, and a module of its own runs them (see ../outside_test.go).

var charmBinary string

func TestMain(m *testing.M) { os.Exit(toolsim.TestMain(m, &charmBinary)) }

// TestProxy runs the README's requirer through seven cases, each event
// firing the hooks Juju fires for it: a backend joins; it changes; another
// sends bad data; one departs; config changes; a hook fails; the relation
// goes.
func TestProxy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir() // the charm directory: metadata.yaml and config.yaml, then upstreams.conf
	require.NoError(t, os.CopyFS(dir, os.DirFS(".")))
	h := httprelationtest.New(t, &toolsim.Model{Unit: "proxy/0", CharmDir: dir,
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", RemoteEndpoint: "website"}}})
	fire := func(ev toolsim.Event) error { _, err := h.Fire(ctx, ev, proxy); return err }
	conf := filepath.Join(dir, "upstreams.conf")
	upstreams := func() string { data, _ := os.ReadFile(conf); return string(data) }
	flags := func() []string { f, err := h.Flags(); require.NoError(t, err); return f }

	// 1. A backend joins: its upstream is rendered, and the flag raised.
	require.NoError(t, fire(toolsim.Join("reverseproxy:1", "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})))
	assert.Equal(t, "upstream web {\n    server 10.0.0.1:8080;\n}\n", upstreams())
	assert.Equal(t, []string{"reverseproxy.available"}, flags())

	// 2. It changes its port.
	require.NoError(t, fire(toolsim.Change("reverseproxy:1", "web/0", map[string]string{"port": "8081"})))
	assert.Equal(t, "upstream web {\n    server 10.0.0.1:8081;\n}\n", upstreams())

	// 3. Another backend's port is not one: skipped, with one warning in
	// each of the hooks of its joining (joined, changed).
	require.NoError(t, fire(toolsim.Join("reverseproxy:1", "web/1", map[string]string{"private-address": "10.0.0.2", "port": "http"})))
	assert.Equal(t, "upstream web {\n    server 10.0.0.1:8081;\n}\n", upstreams())
	require.Len(t, h.Warnings(), 2)
	assert.Contains(t, h.Warnings()[1], "unit=web/1 key=port value=http")

	// 4. web/0 departs: no backend is left, and the flag drops.
	require.NoError(t, fire(toolsim.Depart("reverseproxy:1", "web/0")))
	assert.Empty(t, upstreams())
	assert.Empty(t, flags())

	// 5. Config changes: the services did not, so nothing is written.
	h.ResetCalls()
	require.NoError(t, fire(toolsim.ChangeConfig(map[string]any{"log-level": "debug"})))
	assert.Zero(t, h.CallCount("state-set"))

	// 6. A hook fails (upstreams.conf cannot be written): Juju keeps
	// nothing it wrote, and the next hook renders again.
	require.NoError(t, os.Remove(conf))
	require.NoError(t, os.Mkdir(conf, 0o755))
	err := fire(toolsim.Change("reverseproxy:1", "web/1", map[string]string{"port": "80"}))
	var failed *toolsim.HookError
	require.ErrorAs(t, err, &failed)
	assert.Empty(t, flags(), "the failed hook's flag is not kept")
	require.NoError(t, os.Remove(conf))
	require.NoError(t, fire(toolsim.Change("reverseproxy:1", "web/1", map[string]string{"private-address": "10.0.0.2"})))
	assert.Equal(t, "upstream web {\n    server 10.0.0.2:80;\n}\n", upstreams())

	// 7. The relation goes: departed, then broken.
	require.NoError(t, fire(toolsim.RemoveRelation("reverseproxy:1")))
	assert.Empty(t, upstreams())
	assert.Empty(t, flags())
}

func TestProxyAsProcesses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(".")))
	sim := toolsim.Start(t, &toolsim.Model{
		Unit:      "proxy/0",
		CharmDir:  dir,
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", RemoteEndpoint: "website"}},
	}, nil)
	for _, step := range []struct {
		event     toolsim.Event
		hooks     int
		upstreams string
	}{
		{toolsim.Join("reverseproxy:1", "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"}), 2,
			"upstream web {\n    server 10.0.0.1:8080;\n}\n"},
		{toolsim.Change("reverseproxy:1", "web/0", map[string]string{"port": "8081"}), 1,
			"upstream web {\n    server 10.0.0.1:8081;\n}\n"},
		{toolsim.Depart("reverseproxy:1", "web/0"), 1, ""},
		{toolsim.RemoveRelation("reverseproxy:1"), 1, ""},
		{toolsim.ChangeConfig(map[string]any{"log-level": "debug"}), 1, ""},
	} {
		runs, err := sim.Fire(ctx, charmBinary, step.event) // one process per hook
		require.NoError(t, err, "%v", step.event)
		assert.Len(t, runs, step.hooks, "%v", step.event)
		data, err := os.ReadFile(filepath.Join(dir, "upstreams.conf"))
		require.NoError(t, err)
		assert.Equal(t, step.upstreams, string(data), "%v", step.event)
	}
	model, err := sim.Model()
	require.NoError(t, err)
	assert.Empty(t, model.Relations, "the removed relation is gone")
	flags, err := httprelationtest.Flags(model)
	require.NoError(t, err)
	assert.Empty(t, flags)
}
