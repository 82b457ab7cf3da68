// Package charmtest holds the test helpers that this repository's example
// charms and commands share beyond the public harness (packages toolsim
// and httprelationtest): running a program with a deadline, and checking
// that the files of this repository's example charms follow its packing
// layout. The helpers work on the current directory, the
// package under test, and fail the test on any error that is not what the
// test is about.
package charmtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
// any hook, and returns how it ended.
func RunEnv(t testing.TB, env []string, binary string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res, err := toolsim.RunEnv(ctx, env, binary, args...)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	return res
}
