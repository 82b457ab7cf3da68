package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/hooktools"
)

// recorder is a hooktools.Runner that remembers its calls and fails the
// program named in fail, as haproxy -c fails.
type recorder struct {
	calls [][]string
	fail  string
}

func (r *recorder) Run(_ context.Context, tool string, args []string, _ []byte) ([]byte, error) {
	r.calls = append(r.calls, append([]string{tool}, args...))
	if tool == r.fail {
		return nil, &hooktools.ToolError{Tool: tool, Args: args, ExitCode: 1,
			Message: "[ALERT] config : parsing [x.cfg:3]: unknown keyword 'evil'"}
	}
	return nil, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestInstallConfigChecksRenamesAndReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	rec := &recorder{}
	m := machine{haproxy: true, systemctl: true, run: rec, log: quietLogger()}

	require.NoError(t, m.installConfig(context.Background(), path, "global\n"))
	assert.Equal(t, [][]string{
		{"haproxy", "-c", "-f", path + ".new"},
		{"systemctl", "reload-or-restart", "haproxy.service"},
	}, rec.calls)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "global\n", string(data))
	assert.NoFileExists(t, path+".new")
}

func TestInstallConfigRefusesRejectedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	require.NoError(t, os.WriteFile(path, []byte("# live\n"), 0o644))
	rec := &recorder{fail: "haproxy"}
	m := machine{haproxy: true, systemctl: true, run: rec, log: quietLogger()}

	err := m.installConfig(context.Background(), path, "evil\n")
	require.ErrorIs(t, err, errConfigRejected)
	assert.Contains(t, err.Error(), "unknown keyword 'evil'")
	assert.Len(t, rec.calls, 1, "no reload after a rejected file")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# live\n", string(data))
}

func TestInstallConfigReportsReloadFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	rec := &recorder{fail: "systemctl"}
	m := machine{haproxy: true, systemctl: true, run: rec, log: quietLogger()}
	err := m.installConfig(context.Background(), path, "global\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reload haproxy")
}

func TestInstallConfigWithoutDirectoryFails(t *testing.T) {
	m := machine{run: &recorder{}, log: quietLogger()}
	err := m.installConfig(context.Background(), filepath.Join(t.TempDir(), "missing", "haproxy.cfg"), "global\n")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestInstallConfigKillsHungPrograms: an haproxy -c or a systemctl that
// never answers, and leaves a child of its own holding its output, is
// killed with that child at its deadline; the hook fails at once, the
// live file is untouched after a hung check, and a hung check is not
// taken for a verdict on the file.
func TestInstallConfigKillsHungPrograms(t *testing.T) {
	const limit = 500 * time.Millisecond
	for _, hung := range []string{"haproxy", "systemctl"} {
		t.Run(hung, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "haproxy.cfg")
			require.NoError(t, os.WriteFile(path, []byte("# live\n"), 0o644))
			dir := fakeProgramDir(t, hung)
			require.NoError(t, os.Symlink("/bin/true", filepath.Join(dir, otherProgram(hung))))
			lock := filepath.Join(t.TempDir(), "hung.lock")
			m := machine{haproxy: true, systemctl: true, log: quietLogger(),
				run:          hooktools.ExecRunner{Env: []string{"PATH=" + dir, fakeProgramEnv + "=hang", "FAKE_LOCK=" + lock}},
				checkTimeout: limit, reloadTimeout: limit}

			// Without its own deadline the hook would hang for the
			// child's 10 minutes; this one ends the test first.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			err := m.installConfig(ctx, path, "global\n")
			elapsed := time.Since(start)

			require.Error(t, err)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, errConfigRejected)
			assert.Contains(t, err.Error(), "no answer within 500ms, killed")
			// The deadline, plus at most the runner's second of grace
			// for pipes a child holds, plus slack for a busy machine;
			// far below the child's own 10 minutes.
			assert.Less(t, elapsed, limit+5*time.Second)
			assert.GreaterOrEqual(t, elapsed, limit)
			require.FileExists(t, lock+".held", "the fake never locked and started its child")
			assert.Eventually(t, func() bool { return lockFree(t, lock) }, 5*time.Second, 20*time.Millisecond,
				"the hung %s or its child outlived the deadline: its lock is still held", hung)
			if hung == "haproxy" {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, "# live\n", string(data), "an unchecked file is not installed")
			}
		})
	}
}

// TestInstallConfigDefaultDeadlines: a machine without deadlines of its
// own uses the stated ones; TestInstallConfigKillsHungPrograms proves
// they are enforced.
func TestInstallConfigDefaultDeadlines(t *testing.T) {
	var got []time.Duration
	m := machine{haproxy: true, systemctl: true, log: quietLogger(), run: runnerFunc(func(ctx context.Context) {
		deadline, ok := ctx.Deadline()
		require.True(t, ok, "every program runs with a deadline")
		got = append(got, time.Until(deadline).Round(time.Second))
	})}
	require.NoError(t, m.installConfig(context.Background(), filepath.Join(t.TempDir(), "haproxy.cfg"), "global\n"))
	assert.Equal(t, []time.Duration{checkTimeout, reloadTimeout}, got)
	assert.Equal(t, []time.Duration{30 * time.Second, time.Minute}, got, "the bounds doc.go states")
}

// runnerFunc is a hooktools.Runner that only looks at the context.
type runnerFunc func(ctx context.Context)

func (f runnerFunc) Run(ctx context.Context, _ string, _ []string, _ []byte) ([]byte, error) {
	f(ctx)
	return nil, nil
}

func otherProgram(name string) string {
	if name == "haproxy" {
		return "systemctl"
	}
	return "haproxy"
}

func TestInstallHAProxyWithApt(t *testing.T) {
	t.Setenv("PATH", linkDir(t, "haproxy", "/bin/true"))
	rec := &recorder{}
	m := machine{aptGet: true, systemctl: true, run: rec, log: quietLogger()}
	require.NoError(t, m.installHAProxy(context.Background()))
	assert.Equal(t, [][]string{
		{"apt-get", "update"},
		{"apt-get", "install", "-y", "haproxy"},
	}, rec.calls)
	assert.True(t, m.haproxy)
}

func TestInstallHAProxySkips(t *testing.T) {
	for name, m := range map[string]machine{
		"already installed": {haproxy: true, aptGet: true, systemctl: true},
		"no systemd":        {aptGet: true},
		"no apt-get":        {systemctl: true},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			var logs bytes.Buffer
			m.run, m.log = rec, slog.New(slog.NewTextHandler(&logs, nil))
			require.NoError(t, m.installHAProxy(context.Background()))
			assert.Empty(t, rec.calls)
			if !m.haproxy {
				assert.Contains(t, logs.String(), "not installing it")
			}
		})
	}
}

func TestInstallHAProxyReportsAptFailure(t *testing.T) {
	rec := &recorder{fail: "apt-get"}
	m := machine{aptGet: true, systemctl: true, run: rec, log: quietLogger()}
	err := m.installHAProxy(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apt-get update")
}

// TestProgramEnvIsNonInteractive: apt-get, like every program the charm
// runs, gets the charm's environment and never asks a question.
func TestProgramEnvIsNonInteractive(t *testing.T) {
	t.Setenv("REVERSEPROXY_TEST_MARK", "kept")
	env := programEnv()
	assert.Contains(t, env, "REVERSEPROXY_TEST_MARK=kept")
	assert.Equal(t, "DEBIAN_FRONTEND=noninteractive", env[len(env)-1], "the last value of a key wins")
	assert.True(t, slices.Contains(detectMachine(quietLogger()).run.(hooktools.ExecRunner).Env, "DEBIAN_FRONTEND=noninteractive"))
}

// linkDir holds a link named name to target, to put on a PATH.
func linkDir(t *testing.T, name, target string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Symlink(target, filepath.Join(dir, name)))
	return dir
}

// fakeProgramEnv switches the test binary into a fake program (see
// TestMain). "hang" takes an exclusive lock on $FAKE_LOCK, starts a child
// that shares the lock and its output, writes $FAKE_LOCK.held and waits;
// "sleep" is that child. The lock is free again only once both are gone.
const fakeProgramEnv = "REVERSEPROXY_FAKE_PROGRAM"

// fakeProgramDir holds the test binary under the given name.
func fakeProgramDir(t *testing.T, name string) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	return linkDir(t, name, exe)
}

// fakeProgram is the test binary run as a fake program.
func fakeProgram(mode string) int {
	if mode == "sleep" {
		time.Sleep(10 * time.Minute)
		return 0
	}
	if mode != "hang" {
		fmt.Fprintf(os.Stderr, "unknown fake program %q\n", mode)
		return 2
	}
	if err := hangWithChild(os.Getenv("FAKE_LOCK")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// hangWithChild is the "hang" fake program.
func hangWithChild(lock string) error {
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("lock %s: %w", lock, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(exe)
	child.Env = append(os.Environ(), fakeProgramEnv+"=sleep")
	child.Stdout, child.Stderr, child.ExtraFiles = os.Stdout, os.Stderr, []*os.File{f}
	if err := child.Start(); err != nil {
		return err
	}
	if err := os.WriteFile(lock+".held", nil, 0o644); err != nil {
		return err
	}
	return child.Wait()
}

// lockFree reports whether the lock a hung fake program took is free,
// which it is once no process of its group is left.
func lockFree(t *testing.T, lock string) bool {
	t.Helper()
	f, err := os.Open(lock)
	require.NoError(t, err)
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) == nil
}
