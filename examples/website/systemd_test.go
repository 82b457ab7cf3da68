package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestUnitFileGolden(t *testing.T) {
	got, err := unitFile("/var/lib/juju/agents/unit-website-0/charm/bin/website", 8080, "website/0")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "website.service")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func TestUnitFileRefusesUnsafeValues(t *testing.T) {
	for name, tc := range map[string]struct{ binary, unit string }{
		"relative path":  {"bin/website", "website/0"},
		"space in path":  {"/srv/my charm/bin/website", "website/0"},
		"specifier":      {"/srv/%h/website", "website/0"},
		"newline":        {"/srv/website\nExecStartPre=/bin/rm", "website/0"},
		"quote":          {`/srv/"website`, "website/0"},
		"unit newline":   {"/srv/website", "website/0\nUser=root"},
		"unit not juju":  {"/srv/website", "website"},
		"unit uppercase": {"/srv/website", "Website/0"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := unitFile(tc.binary, 8080, tc.unit)
			assert.Error(t, err)
		})
	}
}

// recorder is a commandFunc that remembers its calls and fails on demand.
type recorder struct {
	calls [][]string
	fail  string // the systemctl verb to fail
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.calls = append(r.calls, append([]string{name}, args...))
	if len(args) > 0 && args[0] == r.fail {
		return []byte("Failed to restart website.service: Unit not found.\n"), errors.New("exit status 5")
	}
	return nil, nil
}

func TestEnsureWritesUnitAndRestarts(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	m := serviceManager{systemctl: "/usr/bin/systemctl", unitDir: dir, run: rec.run}
	ctx := context.Background()

	require.NoError(t, m.ensure(ctx, "/charm/bin/website", 8080, "website/0"))
	assert.Equal(t, [][]string{
		{"/usr/bin/systemctl", "daemon-reload"},
		{"/usr/bin/systemctl", "enable", serviceName},
		{"/usr/bin/systemctl", "restart", serviceName},
	}, rec.calls)
	content, err := os.ReadFile(filepath.Join(dir, serviceName))
	require.NoError(t, err)
	assert.Contains(t, string(content), "ExecStart=/charm/bin/website serve --port 8080 --unit website/0 --bind 0.0.0.0\n")

	// Same unit again: no daemon-reload, but still a restart.
	rec.calls = nil
	require.NoError(t, m.ensure(ctx, "/charm/bin/website", 8080, "website/0"))
	assert.Equal(t, [][]string{
		{"/usr/bin/systemctl", "enable", serviceName},
		{"/usr/bin/systemctl", "restart", serviceName},
	}, rec.calls)

	// A new port rewrites the unit.
	rec.calls = nil
	require.NoError(t, m.ensure(ctx, "/charm/bin/website", 9090, "website/0"))
	assert.Equal(t, "daemon-reload", rec.calls[0][1])
	content, err = os.ReadFile(filepath.Join(dir, serviceName))
	require.NoError(t, err)
	assert.Contains(t, string(content), "--port 9090 ")
}

func TestEnsureReportsSystemctlOutput(t *testing.T) {
	rec := &recorder{fail: "restart"}
	m := serviceManager{systemctl: "/usr/bin/systemctl", unitDir: t.TempDir(), run: rec.run}
	err := m.ensure(context.Background(), "/charm/bin/website", 8080, "website/0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "systemctl restart")
	assert.Contains(t, err.Error(), "Unit not found.")
}

// TestInstallHookWithSystemd runs the install hook in-process with a fake
// systemd: the branch the process tests cannot reach, as they hide the
// machine's systemctl.
func TestInstallHookWithSystemd(t *testing.T) {
	charmDir := t.TempDir()
	for _, name := range []string{"metadata.yaml", "config.yaml"} {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(charmDir, name), data, 0o644))
	}
	model := websiteModel(8080)
	model.CharmDir = charmDir
	m := httprelationtest.New(t, model)
	unitDir := t.TempDir()
	rec := &recorder{}
	services := serviceManager{systemctl: "/bin/systemctl", unitDir: unitDir, run: rec.run}

	_, err := m.Fire(context.Background(), toolsim.RunHook("install"), inProcess(services))
	require.NoError(t, err)

	assert.Len(t, rec.calls, 3)
	content, err := os.ReadFile(filepath.Join(unitDir, serviceName))
	require.NoError(t, err)
	assert.Contains(t, string(content),
		"ExecStart="+filepath.Join(charmDir, "bin", "website")+" serve --port 8080 --unit website/0 --bind 0.0.0.0\n")
	assert.False(t, containsLine(m.Log(), "service manager absent"))
	assert.Equal(t, "8080", m.Local("website:3")["port"])
	assert.Equal(t, "serving on :8080", m.Status().Message)
}
