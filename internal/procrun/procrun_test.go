package procrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/testcompat"
)

// programVar, set in its environment, makes this test binary the program
// a test runs instead of running the tests.
const programVar = "PROCRUN_TEST_PROGRAM"

func TestMain(m *testing.M) {
	switch os.Getenv(programVar) {
	case "":
		os.Exit(m.Run())
	case "print":
		fmt.Print("out")
		fmt.Fprint(os.Stderr, "err")
		os.Exit(3)
	case "kill":
		fmt.Print("dying")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case "sleep":
		fmt.Print("sleeping")
	}
	time.Sleep(time.Minute)
	os.Exit(100)
}

// program prepares this test binary to run as the program called name.
func program(ctx context.Context, name string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), programVar+"="+name)
	return cmd
}

// A failing exit status, or death by a signal, is a result to assert on.
func TestRunResults(t *testing.T) {
	t.Parallel()
	ctx := testcompat.Context(t)
	res, err := Run(ctx, program(ctx, "print"))
	require.NoError(t, err)
	assert.Equal(t, Result{ExitCode: 3, Stdout: "out", Stderr: "err"}, res)

	res, err = Run(ctx, program(ctx, "kill"))
	require.NoError(t, err)
	assert.Equal(t, Result{ExitCode: -1, Stdout: "dying"}, res)
}

// A program that cannot start, or that ctx ends, is an error, with what
// it printed before.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	ctx := testcompat.Context(t)
	missing := filepath.Join(t.TempDir(), "nosuch")
	res, err := Run(ctx, exec.CommandContext(ctx, missing))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, -1, res.ExitCode)

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err = Run(short, program(short, "sleep"))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, Result{ExitCode: -1, Stdout: "sleeping"}, res)
	assert.Less(t, time.Since(start), 30*time.Second)
}
