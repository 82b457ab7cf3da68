package main

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// The provider of the README, tested with the public API only: a module
// of its own runs these tests too (see ../outside_test.go).

var charmBinary string

func TestMain(m *testing.M) { os.Exit(toolsim.TestMain(m, &charmBinary)) }

// webapp is webapp/0, whose charm is this directory, on a machine whose
// website binding has the address 10.0.0.5.
func webapp() *toolsim.Model {
	return &toolsim.Model{
		Unit:     "webapp/0",
		CharmDir: ".",
		Networks: map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.0.5")},
	}
}

var published = map[string]string{"hostname": "10.0.0.5", "private-address": "10.0.0.5", "port": "8080",
	"ingress-address": "10.0.0.5", "egress-subnets": "10.0.0.5/32"}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, webapp())
	fire := func(ev toolsim.Event, hooks ...string) {
		t.Helper()
		ran, err := m.Fire(ctx, ev, publish)
		require.NoError(t, err)
		assert.Equal(t, hooks, ran.Names())
	}
	flags := func() []string {
		t.Helper()
		flags, err := m.Flags()
		require.NoError(t, err)
		return flags
	}

	fire(toolsim.RunHook("install"), "install")
	fire(toolsim.AddRelation("website:3", "proxy", "reverseproxy"), "website-relation-created")
	assert.Empty(t, flags(), "no proxy joined yet")
	assert.Equal(t, published, m.Local("website:3"), "published as soon as the relation exists")

	fire(toolsim.Join("website:3", "proxy/0", map[string]string{"private-address": "10.0.0.9"}),
		"website-relation-joined", "website-relation-changed")
	assert.Equal(t, published, m.Local("website:3"))
	assert.Equal(t, []string{"website.available"}, flags())

	fire(toolsim.Change("website:3", "proxy/0", map[string]string{"frontend": "80"}), "website-relation-changed")
	fire(toolsim.Join("website:3", "proxy/1", nil), "website-relation-joined", "website-relation-changed")
	fire(toolsim.Depart("website:3", "proxy/0"), "website-relation-departed")
	assert.Equal(t, []string{"website.available"}, flags(), "proxy/1 is still there")

	fire(toolsim.RemoveRelation("website:3"), "website-relation-departed", "website-relation-broken")
	assert.Empty(t, flags())
	assert.Nil(t, m.Local("website:3"), "the relation is gone")
	assert.Empty(t, m.Warnings())
}

// A hook that fails keeps nothing it wrote: here the metadata does not
// provide the endpoint, so publish fails before writing.
func TestPublishFailsWithoutMetadata(t *testing.T) {
	model := webapp()
	model.CharmDir = t.TempDir()
	m := httprelationtest.New(t, model)
	_, err := m.Fire(context.Background(), toolsim.AddRelation("website:3", "proxy", "reverseproxy"), publish)
	var he *toolsim.HookError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, "website-relation-created", he.Hook.Name)
	assert.Empty(t, m.State())
}

func TestPublishAsProcesses(t *testing.T) {
	ctx := context.Background()
	sim := toolsim.Start(t, webapp(), nil)
	for _, step := range []struct {
		event toolsim.Event
		hooks []string
		port  string
	}{
		{toolsim.AddRelation("website:3", "proxy", "reverseproxy"), []string{"website-relation-created"}, "8080"},
		{toolsim.Join("website:3", "proxy/0", map[string]string{"private-address": "10.0.0.9"}),
			[]string{"website-relation-joined", "website-relation-changed"}, "8080"},
		{toolsim.Change("website:3", "proxy/0", map[string]string{"frontend": "80"}), []string{"website-relation-changed"}, "8080"},
		{toolsim.Depart("website:3", "proxy/0"), []string{"website-relation-departed"}, "8080"},
		{toolsim.ChangeConfig(map[string]any{"log-level": "debug"}), []string{"config-changed"}, "8080"},
		{toolsim.RemoveRelation("website:3"), []string{"website-relation-broken"}, ""},
	} {
		runs, err := sim.Fire(ctx, charmBinary, step.event)
		require.NoError(t, err, "%v", step.event)
		assert.Equal(t, step.hooks, runs.Names())
		model, err := sim.Model()
		require.NoError(t, err)
		assert.Equal(t, step.port, model.Relations["website:3"].Local["port"], "%v", step.event)
	}
	model, err := sim.Model()
	require.NoError(t, err)
	flags, err := httprelationtest.Flags(model)
	require.NoError(t, err)
	assert.Empty(t, flags)
}
