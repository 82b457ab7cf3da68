package toolsim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/testcompat"
)

// TestMain leaves the charm unbuilt: its binary is a stand-in, the
// simulator's own file, until a test first runs it. Then it is built
// once, even by concurrent first runs, takes the stand-in's place, and
// runs with the run's arguments, environment and standard streams; later
// runs run the charm itself.
func TestStandInBuildsTheCharmOnFirstRun(t *testing.T) {
	testcompat.Chdir(t, filepath.Join("testdata", "cmds", "alpha"))
	dir := t.TempDir()
	bin, err := standIn(dir)
	require.NoError(t, err)
	assert.Equal(t, "alpha", filepath.Base(bin), "named as go build names it")
	sim, err := sharedBinary()
	require.NoError(t, err)
	simInfo, err := os.Stat(sim)
	require.NoError(t, err)
	before, err := os.Stat(bin)
	require.NoError(t, err)
	assert.Equal(t, simInfo.Size(), before.Size(), "nothing built yet: the stand-in is the simulator")
	assert.NoFileExists(t, filepath.Join(dir, builtFile))

	var wg sync.WaitGroup
	results := make([]Result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "env=PROBE", "stderr=to stderr", "exit=3")
			cmd.Env = append(os.Environ(), fmt.Sprintf("PROBE=%d", i))
			results[i], _ = run(ctx, cmd)
		}()
	}
	wg.Wait()
	for i, res := range results {
		assert.Equal(t, Result{ExitCode: 3, Stdout: fmt.Sprintf("PROBE=%d\n", i), Stderr: "to stderr\n"}, res, "run %d", i)
	}
	assert.FileExists(t, filepath.Join(dir, builtFile))
	after, err := os.Stat(bin)
	require.NoError(t, err)
	assert.False(t, os.SameFile(before, after), "the charm took the stand-in's place")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"alpha", launchFile, builtFile, builtFile + ".lock"}, names, "built once, nothing left over")

	start := time.Now()
	res, err := run(context.Background(), exec.Command(bin, "env=PROBE"))
	require.NoError(t, err)
	assert.Equal(t, Result{Stdout: "PROBE=\n"}, res)
	assert.Less(t, time.Since(start), 2*time.Second, "no build on a later run")
}

// A stand-in whose package does not build fails the run with the go
// command's error, and builds nothing.
func TestStandInReportsABuildFailure(t *testing.T) {
	testcompat.Chdir(t, filepath.Join("testdata", "cmds"))
	dir := t.TempDir()
	bin, err := standIn(dir)
	require.NoError(t, err)
	res, err := run(context.Background(), exec.Command(bin, "install"))
	require.NoError(t, err)
	assert.Equal(t, 1, res.ExitCode)
	assert.Contains(t, res.Stderr, "ERROR toolsim: run the charm under test: go list")
	assert.Contains(t, res.Stderr, "no Go files")
	assert.NoFileExists(t, filepath.Join(dir, builtFile))
}
