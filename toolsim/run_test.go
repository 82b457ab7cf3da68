package toolsim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/internal/gobuild"
	"github.com/charmkit/httprelation/internal/testcompat"
)

// buildAlpha builds testdata/cmds/alpha into a fresh directory and returns
// its path.
func buildAlpha(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(testcompat.Context(t), 2*time.Minute)
	defer cancel()
	bins, err := gobuild.Packages(ctx, "", t.TempDir(), "./testdata/cmds/alpha")
	require.NoError(t, err)
	return bins[0]
}

func TestSimRun(t *testing.T) {
	t.Parallel()
	alpha := buildAlpha(t)
	s := Start(t, baseModel(t), map[string]string{"JUJU_UNIT_NAME": "lb/0", "JUJU_RELATION_ID": "site:2"})
	ctx, cancel := context.WithTimeout(testcompat.Context(t), time.Minute)
	defer cancel()

	// A program gets the hook environment and finds the tools on PATH.
	res, err := s.Run(ctx, alpha, "env=JUJU_UNIT_NAME", "env=TOOLSIM_MODEL", "tool=is-leader", "stderr=done")
	require.NoError(t, err)
	assert.Equal(t, Result{
		ExitCode: 0,
		Stdout:   "JUJU_UNIT_NAME=lb/0\nTOOLSIM_MODEL=" + s.ModelPath + "\nFalse\n",
		Stderr:   "done\n",
	}, res)

	// A failing exit status is a result, not an error.
	res, err = s.Run(ctx, alpha, "stderr=bad input", "exit=3")
	require.NoError(t, err)
	assert.Equal(t, Result{ExitCode: 3, Stderr: "bad input\n"}, res)

	// A tool's name runs the tool.
	res, err = s.Run(ctx, "relation-get", "-", "other/0")
	require.NoError(t, err)
	assert.Equal(t, Result{ExitCode: 1, Stderr: "ERROR permission denied\n"}, res)

	// A process that dies of a signal has no exit status.
	res, err = s.Run(ctx, alpha, "env=JUJU_RELATION_ID", "kill")
	require.NoError(t, err)
	assert.Equal(t, Result{ExitCode: -1, Stdout: "JUJU_RELATION_ID=site:2\n"}, res)

	names, err := calllog.ToolNames(s.LogPath)
	require.NoError(t, err)
	assert.Equal(t, []string{"is-leader", "relation-get"}, names)
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	alpha := buildAlpha(t)
	s := Start(t, baseModel(t), nil)

	// A program that cannot be started is an error.
	missing := filepath.Join(t.TempDir(), "nosuch")
	res, err := s.Run(testcompat.Context(t), missing)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, -1, res.ExitCode)

	// A program killed because ctx ended is an error, with what it
	// printed before.
	ctx, cancel := context.WithTimeout(testcompat.Context(t), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err = s.Run(ctx, alpha, "env=TOOLSIM_LOG", "sleep")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, Result{ExitCode: -1, Stdout: "TOOLSIM_LOG=" + s.LogPath + "\n"}, res)
	assert.Less(t, time.Since(start), 30*time.Second)
}
