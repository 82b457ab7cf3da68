package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// The charm binary runs here as Juju runs it, under the hook-tool
// simulator: a process per hook, with Juju's environment, and the
// machine's own programs out of its PATH.

// startSim lays out a simulator of model for the charm binary.
func startSim(t *testing.T, model *toolsim.Model) *toolsim.Sim {
	t.Helper()
	sim := toolsim.Start(t, model, nil)
	sim.SetPath() // no systemctl: the charm must not install services here
	return sim
}

// fireProcess makes ev happen and runs the charm binary for its hooks.
func fireProcess(t *testing.T, sim *toolsim.Sim, ev toolsim.Event) ([]toolsim.HookRun, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return sim.Fire(ctx, charmBinary, ev)
}

func simModel(t *testing.T, sim *toolsim.Sim) *toolsim.Model {
	t.Helper()
	m, err := sim.Model()
	require.NoError(t, err)
	return m
}

// toolCall is a line of the simulator's call log (sim.LogPath): one JSON
// object per hook-tool call.
type toolCall struct {
	Tool string   `json:"tool"`
	Args []string `json:"args"`
}

// toolCalls reads the hook-tool calls the charm made, in order.
func toolCalls(t *testing.T, sim *toolsim.Sim) []toolCall {
	t.Helper()
	data, err := os.ReadFile(sim.LogPath)
	require.NoError(t, err)
	var calls []toolCall
	for dec := json.NewDecoder(bytes.NewReader(data)); dec.More(); {
		var c toolCall
		require.NoError(t, dec.Decode(&c))
		calls = append(calls, c)
	}
	return calls
}

// toolNames lists the hook tools the charm ran, in order.
func toolNames(t *testing.T, sim *toolsim.Sim) []string {
	t.Helper()
	var names []string
	for _, c := range toolCalls(t, sim) {
		names = append(names, c.Tool)
	}
	return names
}

func TestProcessRelationLifecycle(t *testing.T) {
	model := websiteModel(8080)
	delete(model.Relations["website:3"].Units, "haproxy/0")
	sim := startSim(t, model)

	runs, err := fireProcess(t, sim, toolsim.Join("website:3", "haproxy/0", map[string]string{"private-address": "10.0.0.20"}))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	m := simModel(t, sim)
	assert.Equal(t, map[string]string{"hostname": "10.0.0.9", "private-address": "10.0.0.9", "port": "8080"}, m.Relations["website:3"].Local)
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "serving on :8080"}, m.Status)
	flags, err := httprelationtest.Flags(m)
	require.NoError(t, err)
	assert.Equal(t, []string{"website.available"}, flags)
	calls := toolCalls(t, sim)
	require.NotEmpty(t, calls)
	assert.Equal(t, "config-get", calls[0].Tool)
	assert.Equal(t, []string{"--format=json", "--all"}, calls[0].Args)

	_, err = fireProcess(t, sim, toolsim.ChangeConfig(map[string]any{"port": 9090}))
	require.NoError(t, err)
	m = simModel(t, sim)
	assert.Equal(t, "9090", m.Relations["website:3"].Local["port"])
	assert.True(t, containsLine(m.Log, "service manager absent"), "log: %q", m.Log)

	runs, err = fireProcess(t, sim, toolsim.RemoveRelation("website:3"))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	flags, err = httprelationtest.Flags(simModel(t, sim))
	require.NoError(t, err)
	assert.Empty(t, flags, "the flag drops with the last remote unit")
}

func TestProcessInvalidPortCommitsNothing(t *testing.T) {
	sim := startSim(t, websiteModel(8080))
	runs, err := fireProcess(t, sim, toolsim.ChangeConfig(map[string]any{"port": 0}))
	var he *toolsim.HookError
	require.ErrorAs(t, err, &he)
	require.Len(t, runs, 1)
	assert.Equal(t, 1, runs[0].Result.ExitCode)
	assert.Contains(t, runs[0].Result.Stderr, `website: config-changed: invalid config: option "port"`)
	assert.Equal(t, []string{"config-get"}, toolNames(t, sim))
	m := simModel(t, sim)
	assert.Nil(t, m.Status)
	assert.Equal(t, websiteModel(8080).Relations["website:3"].Local, m.Relations["website:3"].Local)
}

func TestProcessOtherHooksDoNothing(t *testing.T) {
	sim := startSim(t, websiteModel(8080))
	for _, h := range []string{"start", "update-status"} {
		_, err := fireProcess(t, sim, toolsim.RunHook(h))
		require.NoError(t, err)
	}
	assert.Empty(t, toolNames(t, sim))
}

func TestOutsideHookIsUsageError(t *testing.T) {
	sim := startSim(t, websiteModel(8080))
	sim.SetHookEnv(map[string]string{"JUJU_HOOK_NAME": "install"})
	res := runIn(t, sim, charmBinary)
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, "not in a Juju hook")
	assert.Empty(t, toolNames(t, sim))
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	sim := startSim(t, websiteModel(8080))
	res := runIn(t, sim, charmBinary, "frobnicate")
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, `unknown command "frobnicate"`)
	assert.Empty(t, toolNames(t, sim))
}

// TestDispatch runs the hook the way Juju 2.8+ does: through the charm's
// dispatch script, with the hook named only by JUJU_DISPATCH_PATH, in the
// charm as charmcraft packs it (pack_test.go).
func TestDispatch(t *testing.T) {
	model := websiteModel(8081)
	model.CharmDir = packedWith(t, charmBinary)
	sim := startSim(t, model)
	env := model.HookEnv()
	delete(env, "JUJU_HOOK_NAME")
	env["JUJU_DISPATCH_PATH"] = "hooks/website-relation-changed"
	env["JUJU_RELATION"], env["JUJU_RELATION_ID"] = "website", "website:3"
	env["JUJU_REMOTE_UNIT"], env["JUJU_REMOTE_APP"] = "haproxy/0", "haproxy"
	sim.SetHookEnv(env)
	res := runIn(t, sim, filepath.Join(model.CharmDir, "dispatch"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, "8081", simModel(t, sim).Relations["website:3"].Local["port"])
}

// runIn runs program with args in sim's current hook and returns how it
// ended.
func runIn(t *testing.T, sim *toolsim.Sim, program string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := sim.Run(ctx, program, args...)
	require.NoError(t, err, res.Stderr)
	return res
}
