// Package charmtest holds the test helpers that the example charms share:
// building the charm under test, running it in a simulated hook (package
// toolsim) and checking the files that go into the packed charm.
//
// The helpers work on the current directory, the package under test, and
// fail the test on any error that is not what the test is about.
package charmtest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/charmkit/httprelation/toolsim"
)

// runTimeout bounds one run of a charm; a hook is over in well under a
// second, so reaching it means the charm hangs.
const runTimeout = time.Minute

// Main is the TestMain of a charm's package. It builds the charm in the
// current directory once, so that every test runs the charm as Juju
// does, as a separate process; stores the binary's path in *binary; runs
// the tests and returns their exit status:
//
//	func TestMain(m *testing.M) { os.Exit(charmtest.Main(m, &charmBinary)) }
func Main(m *testing.M, binary *string) int {
	dir, err := os.MkdirTemp("", "charmtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	bins, err := toolsim.BuildPackages(ctx, "", dir, ".")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*binary = bins[0]
	return m.Run()
}

// HookEnv is the environment of hook for unit, whose charm directory is
// the current one; extra adds a relation hook's variables.
func HookEnv(t testing.TB, unit, hook string, extra map[string]string) map[string]string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	env := map[string]string{
		"JUJU_UNIT_NAME": unit,
		"JUJU_CHARM_DIR": dir,
		"JUJU_HOOK_NAME": hook,
	}
	maps.Copy(env, extra)
	return env
}

// StartSim starts a simulator of model m in the hook env whose PATH holds
// the hook tools and the directories in path only, so that the machine's
// own systemctl, haproxy or apt-get are never reached by accident.
func StartSim(t testing.TB, m *toolsim.Model, env map[string]string, path ...string) *toolsim.Sim {
	t.Helper()
	sim := toolsim.Start(t, m, nil)
	env = maps.Clone(env)
	env["PATH"] = strings.Join(append([]string{sim.Dir}, path...), string(os.PathListSeparator))
	sim.SetHookEnv(env)
	return sim
}

// Run runs binary with args in sim's hook and returns how it ended.
func Run(t testing.TB, sim *toolsim.Sim, binary string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(testcompat.Context(t), runTimeout)
	defer cancel()
	res, err := sim.Run(ctx, binary, args...)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	return res
}

// RunEnv runs binary with args and env as its whole environment, outside
// any hook, and returns how it ended.
func RunEnv(t testing.TB, env []string, binary string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(testcompat.Context(t), runTimeout)
	defer cancel()
	res, err := toolsim.RunEnv(ctx, env, binary, args...)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	return res
}

// ToolNames lists the tools sim has answered, in order.
func ToolNames(t testing.TB, sim *toolsim.Sim) []string {
	t.Helper()
	names, err := sim.ToolNames()
	require.NoError(t, err)
	return names
}

// Model is sim's model as the charm left it.
func Model(t testing.TB, sim *toolsim.Sim) *toolsim.Model {
	t.Helper()
	m, err := sim.Model()
	require.NoError(t, err)
	return m
}

// CharmDir lays the charm in the current directory out in a temporary
// directory as charmcraft packs it, and returns that directory: dispatch,
// metadata.yaml and config.yaml, and binary linked as bin/<name>, which
// dispatch runs.
func CharmDir(t testing.TB, binary, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"dispatch", "metadata.yaml", "config.yaml"} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		info, err := os.Stat(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, info.Mode().Perm()))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.Symlink(binary, filepath.Join(dir, "bin", name)))
	return dir
}
