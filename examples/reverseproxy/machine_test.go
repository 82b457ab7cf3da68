package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a commandFunc that remembers its calls and fails the
// program named in fail.
type recorder struct {
	calls [][]string
	fail  string
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.calls = append(r.calls, append([]string{name}, args...))
	if name == r.fail {
		return []byte("[ALERT] config : parsing [x.cfg:3]: unknown keyword 'evil'\n"), errors.New("exit status 1")
	}
	return nil, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestInstallConfigChecksRenamesAndReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	rec := &recorder{}
	m := machine{haproxy: "/usr/sbin/haproxy", systemctl: "/usr/bin/systemctl", run: rec.run, log: quietLogger()}

	require.NoError(t, m.installConfig(context.Background(), path, "global\n"))
	assert.Equal(t, [][]string{
		{"/usr/sbin/haproxy", "-c", "-f", path + ".new"},
		{"/usr/bin/systemctl", "reload-or-restart", "haproxy.service"},
	}, rec.calls)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "global\n", string(data))
	assert.NoFileExists(t, path+".new")
}

func TestInstallConfigRefusesRejectedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	require.NoError(t, os.WriteFile(path, []byte("# live\n"), 0o644))
	rec := &recorder{fail: "/usr/sbin/haproxy"}
	m := machine{haproxy: "/usr/sbin/haproxy", systemctl: "/usr/bin/systemctl", run: rec.run, log: quietLogger()}

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
	rec := &recorder{fail: "/usr/bin/systemctl"}
	m := machine{haproxy: "/usr/sbin/haproxy", systemctl: "/usr/bin/systemctl", run: rec.run, log: quietLogger()}
	err := m.installConfig(context.Background(), path, "global\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reload haproxy")
}

func TestInstallConfigWithoutDirectoryFails(t *testing.T) {
	m := machine{run: (&recorder{}).run, log: quietLogger()}
	err := m.installConfig(context.Background(), filepath.Join(t.TempDir(), "missing", "haproxy.cfg"), "global\n")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestInstallHAProxyWithApt(t *testing.T) {
	t.Setenv("PATH", fakeHAProxyDir(t))
	rec := &recorder{}
	m := machine{aptGet: "/usr/bin/apt-get", systemctl: "/usr/bin/systemctl", run: rec.run, log: quietLogger()}
	require.NoError(t, m.installHAProxy(context.Background()))
	assert.Equal(t, [][]string{
		{"/usr/bin/apt-get", "update"},
		{"/usr/bin/apt-get", "install", "-y", "haproxy"},
	}, rec.calls)
	assert.Equal(t, filepath.Join(os.Getenv("PATH"), "haproxy"), m.haproxy)
}

func TestInstallHAProxySkips(t *testing.T) {
	for name, m := range map[string]machine{
		"already installed": {haproxy: "/usr/sbin/haproxy", aptGet: "/usr/bin/apt-get", systemctl: "/usr/bin/systemctl"},
		"no systemd":        {aptGet: "/usr/bin/apt-get"},
		"no apt-get":        {systemctl: "/usr/bin/systemctl"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			var logs bytes.Buffer
			m.run, m.log = rec.run, slog.New(slog.NewTextHandler(&logs, nil))
			require.NoError(t, m.installHAProxy(context.Background()))
			assert.Empty(t, rec.calls)
			if m.haproxy == "" {
				assert.Contains(t, logs.String(), "not installing it")
			}
		})
	}
}

func TestInstallHAProxyReportsAptFailure(t *testing.T) {
	rec := &recorder{fail: "/usr/bin/apt-get"}
	m := machine{aptGet: "/usr/bin/apt-get", systemctl: "/usr/bin/systemctl", run: rec.run, log: quietLogger()}
	err := m.installHAProxy(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apt-get update")
}

// fakeHAProxyDir holds an executable named haproxy, as apt-get would
// leave.
func fakeHAProxyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Symlink("/bin/true", filepath.Join(dir, "haproxy")))
	return dir
}
