package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

// charmBinary is the reverseproxy binary, built once by TestMain so that every
// hook test runs the charm as Juju would: as a separate process.
var charmBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "reverseproxy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	charmBinary = filepath.Join(dir, "reverseproxy")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", charmBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build reverseproxy: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// hookEnv is the environment of a hook of reverseproxy/0; relation hooks add
// their variables through extra.
func hookEnv(t *testing.T, hook string, extra map[string]string) map[string]string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	env := map[string]string{
		"JUJU_UNIT_NAME": "reverseproxy/0",
		"JUJU_CHARM_DIR": dir,
		"JUJU_HOOK_NAME": hook,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// startSim starts a simulator whose PATH holds the hook tools and the
// directories in extraPath only, so that the machine's own haproxy,
// systemctl and apt-get are never reached by accident.
func startSim(t *testing.T, m *toolsim.Model, env map[string]string, extraPath ...string) *toolsim.Sim {
	t.Helper()
	sim := toolsim.Start(t, m, nil)
	env["PATH"] = strings.Join(append([]string{sim.Dir}, extraPath...), string(os.PathListSeparator))
	sim.SetHookEnv(env)
	return sim
}

// result is one run of a program.
type result struct {
	code   int
	stdout string
	stderr string
}

// runProgram runs path with args in env and returns how it ended.
func runProgram(t *testing.T, env []string, path string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		require.NoError(t, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// runCharm runs the charm binary in the simulated hook.
func runCharm(t *testing.T, sim *toolsim.Sim) result {
	t.Helper()
	return runProgram(t, sim.Environ(), charmBinary)
}

// toolNames lists the tools called, in order.
func toolNames(t *testing.T, sim *toolsim.Sim) []string {
	t.Helper()
	calls, err := sim.Calls()
	require.NoError(t, err)
	names := make([]string, 0, len(calls))
	for _, c := range calls {
		names = append(names, c.Tool)
	}
	return names
}

func simModel(t *testing.T, sim *toolsim.Sim) *toolsim.Model {
	t.Helper()
	m, err := sim.Model()
	require.NoError(t, err)
	return m
}
