package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// The hook's work runs in-process here, through every hook Juju fires for
// the website relation; process_test.go runs the binary.

// websiteModel is website/0, whose charm is this directory, related on
// website:3 to one haproxy unit.
func websiteModel(port any) *toolsim.Model {
	return &toolsim.Model{
		Unit:           "website/0",
		Leader:         true,
		CharmDir:       ".",
		Config:         map[string]any{"port": port},
		PrivateAddress: "10.0.0.9",
		Relations: map[string]toolsim.Relation{
			"website:3": {
				RemoteApp:      "haproxy",
				RemoteEndpoint: "reverseproxy",
				Local:          map[string]string{"private-address": "10.0.0.9"},
				Units:          map[string]map[string]string{"haproxy/0": {"private-address": "10.0.0.20"}},
			},
		},
		Networks: map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.0.9")},
	}
}

// noRelations is websiteModel before any unit is related.
func noRelations(port any) *toolsim.Model {
	m := websiteModel(port)
	m.Relations = nil
	return m
}

// inProcess is the charm's hook, with services as the machine's service
// manager (the zero value: no systemd): main's charm, but for the unit a
// harness gives and the service manager.
func inProcess(services serviceManager) httprelationtest.HookFunc {
	return func(ctx context.Context, u httprelation.Unit) error {
		return hook(ctx, charm{Unit: u, services: services})
	}
}

// fire makes ev happen and runs the charm for its hooks; every hook must
// succeed.
func fire(t *testing.T, m *httprelationtest.Harness, ev toolsim.Event) []string {
	t.Helper()
	hooks, err := m.Fire(context.Background(), ev, inProcess(serviceManager{}))
	require.NoError(t, err, "%v", ev)
	return hooks.Names()
}

// flags is the flags the charm state holds.
func flags(t *testing.T, m *httprelationtest.Harness) []string {
	t.Helper()
	got, err := m.Flags()
	require.NoError(t, err)
	return got
}

// tools lists the hook tools the charm ran since the last ResetCalls.
func tools(m *httprelationtest.Harness) []string {
	var names []string
	for _, c := range m.Calls() {
		names = append(names, c.Tool)
	}
	return names
}

func containsLine(lines []string, substr string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, substr) })
}

func TestRelationLifecycle(t *testing.T) {
	m := httprelationtest.New(t, noRelations(8080))
	assert.Equal(t, []string{"install"}, fire(t, m, toolsim.RunHook("install")))
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "serving on :8080"}, m.Status())
	assert.Empty(t, flags(t, m))

	assert.Equal(t, []string{"website-relation-created"}, fire(t, m, toolsim.AddRelation("website:3", "haproxy", "reverseproxy")))
	assert.Empty(t, flags(t, m), "no remote unit yet")

	m.ResetCalls()
	logged := len(m.Log())
	assert.Equal(t, []string{"website-relation-joined", "website-relation-changed"},
		fire(t, m, toolsim.Join("website:3", "haproxy/0", map[string]string{"private-address": "10.0.0.20"})))
	assert.Equal(t, map[string]string{"hostname": "10.0.0.9", "private-address": "10.0.0.9", "port": "8080",
		"ingress-address": "10.0.0.9", "egress-subnets": "10.0.0.9/32"}, m.Local("website:3"),
		"published next to what Juju put in the bag on entering scope")
	assert.Equal(t, []string{"website.available"}, flags(t, m))
	calls := tools(m)
	require.NotEmpty(t, calls)
	assert.Equal(t, "config-get", calls[0])
	assert.Equal(t, "status-set", calls[len(calls)-1])
	assert.False(t, containsLine(m.Log()[logged:], "service manager"), "the service is only (re)installed on install and config-changed")

	before := m.Local("website:3")
	assert.Equal(t, []string{"website-relation-changed"},
		fire(t, m, toolsim.Change("website:3", "haproxy/0", map[string]string{"frontend": "80"})))
	assert.Equal(t, before, m.Local("website:3"))

	fire(t, m, toolsim.Join("website:3", "haproxy/1", nil))
	m.ResetCalls()
	assert.Equal(t, []string{"website-relation-departed"}, fire(t, m, toolsim.Depart("website:3", "haproxy/0")))
	assert.Equal(t, []string{"website.available"}, flags(t, m), "haproxy/1 is still there")
	assert.NotContains(t, tools(m), "status-set", "a departing unit changes no status")

	assert.Equal(t, []string{"website-relation-departed", "website-relation-broken"},
		fire(t, m, toolsim.RemoveRelation("website:3")))
	assert.Empty(t, flags(t, m), "the flag drops with the last remote unit")
	assert.Nil(t, m.Local("website:3"), "the relation is gone")
}

func TestConfigChangedRepublishesAndLogsMissingServiceManager(t *testing.T) {
	model := websiteModel(8080)
	model.Relations["website:3"].Local["port"] = "8080" // published by an earlier hook
	m := httprelationtest.New(t, model)
	assert.Equal(t, []string{"config-changed"}, fire(t, m, toolsim.ChangeConfig(map[string]any{"port": 9090})))
	assert.Equal(t, "9090", m.Local("website:3")["port"])
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "serving on :9090"}, m.Status())
	assert.True(t, containsLine(m.Log(), "service manager absent"), "log: %q", m.Log())
}

func TestConfigDefaultWhenUnset(t *testing.T) {
	m := httprelationtest.New(t, noRelations(nil)) // null: the config.yaml default
	fire(t, m, toolsim.RunHook("install"))
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "serving on :8080"}, m.Status())
	assert.NotContains(t, tools(m), "relation-set")
}

func TestInvalidPortFailsWithoutWriting(t *testing.T) {
	for name, port := range map[string]any{
		"zero":     0,
		"too big":  70000,
		"negative": -1,
		"fraction": 80.5,
		"string":   "8080",
		"bool":     true,
	} {
		t.Run(name, func(t *testing.T) {
			// Set in the model, not with ChangeConfig, which refuses what
			// juju config refuses (80.5 for an int): the charm must cope
			// with whatever config-get prints all the same.
			m := httprelationtest.New(t, websiteModel(port))
			before := m.Snapshot()
			_, err := m.Fire(context.Background(), toolsim.RunHook("config-changed"), inProcess(serviceManager{}))
			var he *toolsim.HookError
			require.ErrorAs(t, err, &he)
			assert.ErrorIs(t, err, hooktools.ErrInvalidConfig)
			assert.ErrorContains(t, err, `invalid config: option "port"`)
			assert.Equal(t, []string{"config-get"}, tools(m))
			assert.Nil(t, m.Status())
			assert.Equal(t, before.Relations["website:3"].Local, m.Local("website:3"))
		})
	}
}

func TestOtherHooksDoNothing(t *testing.T) {
	for _, h := range []string{"start", "stop", "update-status", "leader-elected", "remove"} {
		t.Run(h, func(t *testing.T) {
			m := httprelationtest.New(t, websiteModel(8080))
			assert.Equal(t, []string{h}, fire(t, m, toolsim.RunHook(h)))
			assert.Empty(t, m.Calls(), "the hook context only, from the environment: no tool runs")
		})
	}
}
