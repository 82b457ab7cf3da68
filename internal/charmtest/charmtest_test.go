package charmtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/charmkit/httprelation/toolsim"
)

func TestHookEnv(t *testing.T) {
	testcompat.Chdir(t, filepath.Join("testdata", "shop"))
	dir, err := os.Getwd()
	require.NoError(t, err)
	extra := map[string]string{"JUJU_RELATION_ID": "shop:1", "JUJU_HOOK_NAME": "overridden"}
	assert.Equal(t, map[string]string{
		"JUJU_UNIT_NAME":   "shop/0",
		"JUJU_CHARM_DIR":   dir,
		"JUJU_HOOK_NAME":   "overridden",
		"JUJU_RELATION_ID": "shop:1",
	}, HookEnv(t, "shop/0", "install", extra))
	assert.Len(t, extra, 2, "extra is left alone")
}

// environ returns the value of key in env.
func environ(env []string, key string) (string, bool) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestStartSimAndRun(t *testing.T) {
	t.Parallel()
	extra := t.TempDir()
	env := map[string]string{"JUJU_UNIT_NAME": "shop/0", "JUJU_HOOK_NAME": "install"}
	sim := StartSim(t, &toolsim.Model{Unit: "shop/0", Leader: true}, env, extra)
	assert.NotContains(t, env, "PATH", "the caller's map is left alone")

	// PATH holds the tools and the extra directory, nothing of this
	// process's own PATH.
	got := sim.Environ()
	path, ok := environ(got, "PATH")
	require.True(t, ok)
	assert.Equal(t, sim.Dir+string(os.PathListSeparator)+extra, path)
	hook, _ := environ(got, "JUJU_HOOK_NAME")
	assert.Equal(t, "install", hook)

	res := Run(t, sim, "is-leader")
	assert.Equal(t, toolsim.Result{ExitCode: 0, Stdout: "True\n"}, res)
	res = Run(t, sim, "status-set", "active", "ready")
	assert.Equal(t, toolsim.Result{}, res)
	assert.Equal(t, []string{"is-leader", "status-set"}, ToolNames(t, sim))
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "ready"}, Model(t, sim).Status)

	// Outside the hook the tool has no model to answer from.
	res = RunEnv(t, []string{"PATH=" + sim.Dir}, filepath.Join(sim.Dir, "is-leader"))
	assert.NotEqual(t, 0, res.ExitCode)
	assert.Contains(t, res.Stderr, "TOOLSIM_MODEL")
}

func TestCharmDir(t *testing.T) {
	testcompat.Chdir(t, filepath.Join("testdata", "shop"))
	binary := filepath.Join(t.TempDir(), "shop-binary")
	require.NoError(t, os.WriteFile(binary, []byte("not run"), 0o755))

	dir := CharmDir(t, binary, "shop")
	for _, f := range []string{"dispatch", "metadata.yaml", "config.yaml"} {
		want, err := os.ReadFile(f)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Equal(t, string(want), string(got), f)
	}
	info, err := os.Stat(filepath.Join(dir, "dispatch"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm(), "dispatch stays executable")
	assert.NoFileExists(t, filepath.Join(dir, "charmcraft.yaml"), "charmcraft does not pack its own file")
	target, err := os.Readlink(filepath.Join(dir, "bin", "shop"))
	require.NoError(t, err)
	assert.Equal(t, binary, target)
}
