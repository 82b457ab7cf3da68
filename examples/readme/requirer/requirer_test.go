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

func TestProxy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir() // the charm directory: metadata.yaml, then upstreams.conf
	require.NoError(t, os.CopyFS(dir, os.DirFS(".")))
	m := httprelationtest.New(t, &toolsim.Model{
		Unit:      "proxy/0",
		CharmDir:  dir,
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", RemoteEndpoint: "website"}},
	})
	upstreams := func() string {
		data, err := os.ReadFile(filepath.Join(dir, "upstreams.conf"))
		require.NoError(t, err)
		return string(data)
	}
	fire := func(ev toolsim.Event, hooks ...string) {
		t.Helper()
		ran, err := m.Fire(ctx, ev, proxy) // the hooks Juju fires for ev, in Juju's order
		require.NoError(t, err)
		assert.Equal(t, hooks, ran.Names())
	}

	fire(toolsim.Join("reverseproxy:1", "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"}),
		"reverseproxy-relation-joined", "reverseproxy-relation-changed")
	assert.Equal(t, "upstream web {\n    server 10.0.0.1:8080;\n}\n", upstreams())
	flags, err := m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{"reverseproxy.available"}, flags)

	fire(toolsim.Change("reverseproxy:1", "web/0", map[string]string{"port": "http"}), "reverseproxy-relation-changed")
	assert.Empty(t, upstreams(), "a port that is not one is skipped")
	require.NotEmpty(t, m.Warnings())
	assert.Contains(t, m.Warnings()[0], "web/0") // juju-log lines of the hook

	fire(toolsim.Join("reverseproxy:1", "web/1", map[string]string{"private-address": "fd00::2", "port": "80"}),
		"reverseproxy-relation-joined", "reverseproxy-relation-changed")
	fire(toolsim.Depart("reverseproxy:1", "web/0"), "reverseproxy-relation-departed")
	assert.Equal(t, "upstream web {\n    server [fd00::2]:80;\n}\n", upstreams())

	fire(toolsim.RemoveRelation("reverseproxy:1"), "reverseproxy-relation-departed", "reverseproxy-relation-broken")
	assert.Empty(t, upstreams())
	flags, err = m.Flags()
	require.NoError(t, err)
	assert.Empty(t, flags)
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
