package main

import (
	"context"
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
// simulator: a process per hook, with Juju's environment, and only the
// given directories on its PATH besides the tools, so that the machine's
// own systemctl, haproxy or apt-get are never reached by accident.

// startSim lays out a simulator of the proxy model for the charm binary
// and returns it with the configuration file's path.
func startSim(t *testing.T, units map[string]map[string]string, path ...string) (*toolsim.Sim, string) {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "haproxy.cfg")
	sim := toolsim.Start(t, proxyModel(cfgPath, units), nil)
	sim.SetPath(path...)
	return sim, cfgPath
}

// fireProcess makes ev happen and runs the charm binary for its hooks.
func fireProcess(t *testing.T, sim *toolsim.Sim, ev toolsim.Event) ([]toolsim.HookRun, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return sim.Fire(ctx, charmBinary, ev)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func simModel(t *testing.T, sim *toolsim.Sim) *toolsim.Model {
	t.Helper()
	m, err := sim.Model()
	require.NoError(t, err)
	return m
}

func TestProcessRelationLifecycle(t *testing.T) {
	sim, cfgPath := startSim(t, nil)
	for _, u := range []string{"website/0", "website/1"} {
		runs, err := fireProcess(t, sim, toolsim.Join(relationID, u, webUnit("10.0.0.1"+u[len(u)-1:])))
		require.NoError(t, err)
		require.Len(t, runs, 2)
	}
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11"), readFile(t, cfgPath))
	m := simModel(t, sim)
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "1 services, 2 hosts"}, m.Status)
	flags, err := httprelationtest.Flags(m)
	require.NoError(t, err)
	assert.Equal(t, []string{"reverseproxy.available"}, flags)

	_, err = fireProcess(t, sim, toolsim.Depart(relationID, "website/0"))
	require.NoError(t, err)
	assert.Equal(t, rendered(t, "10.0.0.11"), readFile(t, cfgPath))

	runs, err := fireProcess(t, sim, toolsim.RemoveRelation(relationID))
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, rendered(t), readFile(t, cfgPath))
	m = simModel(t, sim)
	assert.Equal(t, &toolsim.Status{Status: "waiting", Message: "no backends"}, m.Status)
	flags, err = httprelationtest.Flags(m)
	require.NoError(t, err)
	assert.Empty(t, flags)
	assert.NotContains(t, m.Relations, relationID)
}

// The hook fails when haproxy refuses the file: the simulator keeps none
// of its writes to the charm state, as Juju does.
func TestProcessRejectedConfigCommitsNothing(t *testing.T) {
	fakeBin := t.TempDir()
	require.NoError(t, os.Symlink("/bin/false", filepath.Join(fakeBin, "haproxy")))
	sim, cfgPath := startSim(t, nil, fakeBin)
	require.NoError(t, os.WriteFile(cfgPath, []byte("# live\n"), 0o644))

	runs, err := fireProcess(t, sim, toolsim.Join(relationID, "website/0", webUnit("10.0.0.10")))
	var he *toolsim.HookError
	require.ErrorAs(t, err, &he)
	require.Len(t, runs, 1, "relation-changed never ran")
	assert.Equal(t, 1, he.Result.ExitCode)
	assert.Contains(t, he.Result.Stderr, "reverseproxy: reverseproxy-relation-joined: haproxy rejected the new configuration")
	assert.Equal(t, "# live\n", readFile(t, cfgPath))
	assert.Empty(t, simModel(t, sim).State)
}

func TestRealHAProxyChecksTheFile(t *testing.T) {
	haproxy := findHAProxy()
	if haproxy == "" {
		t.Skip("haproxy is not installed; run apt-get install -y haproxy to run the hook with haproxy -c")
	}
	sim, cfgPath := startSim(t, threeUnits(), filepath.Dir(haproxy))
	_, err := fireProcess(t, sim, toolsim.ChangeConfig(nil))
	require.NoError(t, err)
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), readFile(t, cfgPath))
	assert.False(t, containsLine(simModel(t, sim).Log, "installing "+cfgPath+" unchecked"))
}

func TestCommandLineIsUsageError(t *testing.T) {
	sim, _ := startSim(t, threeUnits())
	res := runIn(t, sim, charmBinary, "serve")
	assert.Equal(t, 2, res.ExitCode)
	sim.SetHookEnv(map[string]string{"JUJU_HOOK_NAME": "config-changed"})
	res = runIn(t, sim, charmBinary)
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, "not in a Juju hook")
}

// TestDispatch runs a hook the way Juju 2.8+ does: through the charm's
// dispatch script, with the hook named only by JUJU_DISPATCH_PATH, in the
// charm as charmcraft packs it (pack_test.go).
func TestDispatch(t *testing.T) {
	charmDir := packedWith(t, charmBinary)
	sim, cfgPath := startSim(t, threeUnits())
	sim.SetHookEnv(map[string]string{
		"JUJU_UNIT_NAME":     "reverseproxy/0",
		"JUJU_CHARM_DIR":     charmDir,
		"JUJU_DISPATCH_PATH": "hooks/reverseproxy-relation-joined",
		"JUJU_RELATION":      "reverseproxy",
		"JUJU_RELATION_ID":   relationID,
		"JUJU_REMOTE_UNIT":   "website/0",
		"JUJU_REMOTE_APP":    "website",
	})
	res := runIn(t, sim, filepath.Join(charmDir, "dispatch"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), readFile(t, cfgPath))
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
