// Package charmtest holds the test helpers that this repository's example
// charms and commands share beyond the public harness (packages toolsim
// and httprelationtest): running a program with a deadline, laying a
// charm out as charmcraft packs it, and checking that the files of this
// repository's example charms follow its packing layout. The helpers
// work on the current directory, the package under test, and fail the
// test on any error that is not what the test is about.
package charmtest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/procrun"
	"github.com/charmkit/httprelation/toolsim"
)

// runTimeout bounds one run of a charm; a hook is over in well under a
// second, so reaching it means the charm hangs.
const runTimeout = time.Minute

// Run runs binary with args in sim's hook and returns how it ended.
func Run(t testing.TB, sim *toolsim.Sim, binary string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res, err := sim.Run(ctx, binary, args...)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	return res
}

// RunEnv runs binary with args and env as its whole environment, outside
// any hook, and returns how it ended: how a charm behaves when it is not
// in a hook, or when its tools are missing.
func RunEnv(t testing.TB, env []string, binary string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	res, err := procrun.Run(ctx, cmd)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	return toolsim.Result(res)
}

// CharmDir lays the charm in the working directory (the package under
// test) out in a temporary directory as charmcraft packs it, for a test
// that runs it through its dispatch script as Juju does: dispatch,
// metadata.yaml and config.yaml (those present), and binary linked as
// bin/<name>. It fails the test on any error.
func CharmDir(t testing.TB, binary, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"dispatch", "metadata.yaml", "config.yaml"} {
		info, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = copyFile(f, filepath.Join(dir, f), info.Mode().Perm())
		}
		require.NoError(t, err, "charm dir")
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755), "charm dir")
	require.NoError(t, os.Symlink(binary, filepath.Join(dir, "bin", name)), "charm dir")
	return dir
}

// copyFile copies a file, giving the copy perm.
func copyFile(from, to string, perm fs.FileMode) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, perm)
}
