package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/charmtest"
	"github.com/charmkit/httprelation/toolsim"
)

// websiteModel is website/0 related to one haproxy unit on website:3.
func websiteModel(port any) *toolsim.Model {
	return &toolsim.Model{
		Unit:           "website/0",
		Leader:         true,
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
		Networks: map[string]toolsim.Network{
			"website": {
				BindAddresses: []toolsim.BindAddress{{InterfaceName: "eth0",
					Addresses: []toolsim.InterfaceAddress{{Value: "10.0.0.9", CIDR: "10.0.0.0/24"}}}},
				EgressSubnets:    []string{"10.0.0.9/32"},
				IngressAddresses: []string{"10.0.0.9"},
			},
		},
	}
}

var joinedEnv = map[string]string{
	"JUJU_RELATION":    "website",
	"JUJU_RELATION_ID": "website:3",
	"JUJU_REMOTE_UNIT": "haproxy/0",
	"JUJU_REMOTE_APP":  "haproxy",
}

// flagSet reads a flag from the charm state the way the charm does.
func flagSet(t *testing.T, m *toolsim.Model, flag string) bool {
	t.Helper()
	ctx := context.Background()
	store := &httprelation.MemoryStore{}
	require.NoError(t, store.Save(ctx, m.State))
	reg, err := httprelation.NewRegistry(ctx, store)
	require.NoError(t, err)
	return reg.Has(flag)
}

func TestRelationJoinedPublishesPort(t *testing.T) {
	sim := charmtest.StartSim(t, websiteModel(8080), hookEnv(t, "website-relation-joined", joinedEnv))

	res := runCharm(t, sim)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	m := charmtest.Model(t, sim)
	assert.Equal(t, map[string]string{"hostname": "10.0.0.9", "private-address": "10.0.0.9", "port": "8080"},
		m.Relations["website:3"].Local)
	require.NotNil(t, m.Status)
	assert.Equal(t, toolsim.Status{Status: "active", Message: "serving on :8080"}, *m.Status)
	assert.True(t, flagSet(t, m, "website.available"))

	calls, err := sim.Calls()
	require.NoError(t, err)
	require.NotEmpty(t, calls)
	assert.Equal(t, "config-get", calls[0].Tool)
	assert.Equal(t, []string{"--format=json", "port"}, calls[0].Args)
	assert.Equal(t, "status-set", calls[len(calls)-1].Tool)
	// The service is only (re)installed on install and config-changed.
	for _, line := range m.Log {
		assert.NotContains(t, line, "service manager")
	}
}

func TestConfigChangedRepublishesAndLogsMissingServiceManager(t *testing.T) {
	model := websiteModel(9090)
	model.Relations["website:3"].Local["port"] = "8080" // published by an earlier hook
	sim := charmtest.StartSim(t, model, hookEnv(t, "config-changed", nil))

	res := runCharm(t, sim)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	m := charmtest.Model(t, sim)
	assert.Equal(t, "9090", m.Relations["website:3"].Local["port"])
	assert.Equal(t, toolsim.Status{Status: "active", Message: "serving on :9090"}, *m.Status)
	assert.True(t, containsLine(m.Log, "service manager absent"), "log: %q", m.Log)
}

func TestInstallWithoutRelations(t *testing.T) {
	model := websiteModel(nil) // null: the config.yaml default
	model.Relations = nil
	sim := charmtest.StartSim(t, model, hookEnv(t, "install", nil))

	res := runCharm(t, sim)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	m := charmtest.Model(t, sim)
	assert.Equal(t, toolsim.Status{Status: "active", Message: "serving on :8080"}, *m.Status)
	assert.False(t, flagSet(t, m, "website.available"))
	assert.NotContains(t, charmtest.ToolNames(t, sim), "relation-set")
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
			sim := charmtest.StartSim(t, websiteModel(port), hookEnv(t, "config-changed", nil))

			res := runCharm(t, sim)
			assert.Equal(t, 1, res.ExitCode)
			assert.Contains(t, res.Stderr, "website: config-changed: invalid config: port")
			assert.Equal(t, []string{"config-get"}, charmtest.ToolNames(t, sim))
			assert.Nil(t, charmtest.Model(t, sim).Status)
		})
	}
}

func TestDepartedClearsAvailableFlag(t *testing.T) {
	model := websiteModel(8080)
	model.State = map[string]string{}
	sim := charmtest.StartSim(t, model, hookEnv(t, "website-relation-joined", joinedEnv))
	require.Equal(t, 0, runCharm(t, sim).ExitCode)
	require.True(t, flagSet(t, charmtest.Model(t, sim), "website.available"))

	env := hookEnv(t, "website-relation-departed", joinedEnv)
	env["JUJU_DEPARTING_UNIT"] = "haproxy/0"
	env["PATH"] = sim.Dir
	sim.SetHookEnv(env)
	res := runCharm(t, sim)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	m := charmtest.Model(t, sim)
	assert.False(t, flagSet(t, m, "website.available"))
	assert.NotContains(t, charmtest.ToolNames(t, sim)[len(charmtest.ToolNames(t, sim))-1], "status-set")
}

func TestOtherHooksDoNothing(t *testing.T) {
	for _, hook := range []string{"start", "stop", "update-status", "leader-elected", "remove"} {
		t.Run(hook, func(t *testing.T) {
			sim := charmtest.StartSim(t, websiteModel(8080), hookEnv(t, hook, nil))
			res := runCharm(t, sim)
			assert.Equal(t, 0, res.ExitCode, res.Stderr)
			assert.Empty(t, charmtest.ToolNames(t, sim))
		})
	}
}

func TestOutsideHookIsUsageError(t *testing.T) {
	sim := charmtest.StartSim(t, websiteModel(8080), map[string]string{"JUJU_HOOK_NAME": "install"})
	res := runCharm(t, sim)
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, "not in a Juju hook")
	assert.Empty(t, charmtest.ToolNames(t, sim))
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	res := charmtest.RunEnv(t, os.Environ(), charmBinary, "frobnicate")
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, `unknown command "frobnicate"`)
}

// TestDispatch runs the hook the way Juju 2.8+ does: through the charm's
// dispatch script, with the hook named only by JUJU_DISPATCH_PATH, from a
// charm directory laid out as charmcraft packs it.
func TestDispatch(t *testing.T) {
	charmDir := charmtest.CharmDir(t, charmBinary, "website")

	env := map[string]string{
		"JUJU_UNIT_NAME":     "website/0",
		"JUJU_CHARM_DIR":     charmDir,
		"JUJU_DISPATCH_PATH": "hooks/website-relation-changed",
	}
	for k, v := range joinedEnv {
		env[k] = v
	}
	sim := charmtest.StartSim(t, websiteModel(8081), env)

	res := charmtest.Run(t, sim, filepath.Join(charmDir, "dispatch"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, "8081", charmtest.Model(t, sim).Relations["website:3"].Local["port"])
}

func containsLine(lines []string, substr string) bool {
	for _, l := range lines {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}
