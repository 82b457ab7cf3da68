// Package charmtest holds the test helpers that this repository's
// commands share beyond the public harness (packages toolsim and
// httprelationtest): running a program with a deadline, in a simulated
// hook or outside any. The helpers fail the test on any error that is not
// what the test is about. The example charms do not use it: their tests
// use public packages only, as a charm author's would.
package charmtest

import (
	"context"
	"os/exec"
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
