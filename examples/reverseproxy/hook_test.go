package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/charmtest"
	"github.com/charmkit/httprelation/toolsim"
)

// fixture is reverseproxy/0 related to three website units, with its
// haproxy configuration in a temporary directory.
type fixture struct {
	sim     *toolsim.Sim
	path    string // PATH of every hook
	cfgPath string
}

const relationID = "reverseproxy:1"

func webUnit(addr string) map[string]string {
	return map[string]string{"hostname": addr, "private-address": addr, "port": "8080"}
}

func newFixture(t *testing.T, extraPath ...string) *fixture {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "haproxy.cfg")
	model := &toolsim.Model{
		Unit:   "reverseproxy/0",
		Leader: true,
		Config: map[string]any{
			"frontend-port":  8000,
			"bind-address":   "127.0.0.1",
			"haproxy-config": cfgPath,
		},
		PrivateAddress: "10.0.0.2",
		Relations: map[string]toolsim.Relation{
			relationID: {
				RemoteApp:      "website",
				RemoteEndpoint: "website",
				Local:          map[string]string{"private-address": "10.0.0.2"},
				Units: map[string]map[string]string{
					"website/0": webUnit("10.0.0.10"),
					"website/1": webUnit("10.0.0.11"),
					"website/2": webUnit("10.0.0.12"),
				},
			},
		},
	}
	sim := charmtest.StartSim(t, model, hookEnv(t, "install", nil), extraPath...)
	f := &fixture{sim: sim, cfgPath: cfgPath}
	f.path = strings.Join(append([]string{sim.Dir}, extraPath...), string(os.PathListSeparator))
	return f
}

// relationEnv is the environment of a relation hook from remote.
func relationEnv(remote string) map[string]string {
	return map[string]string{
		"JUJU_RELATION":    "reverseproxy",
		"JUJU_RELATION_ID": relationID,
		"JUJU_REMOTE_UNIT": remote,
		"JUJU_REMOTE_APP":  "website",
	}
}

// hook runs one hook and returns how the charm ended.
func (f *fixture) hook(t *testing.T, name string, extra map[string]string) toolsim.Result {
	t.Helper()
	env := hookEnv(t, name, extra)
	env["PATH"] = f.path
	f.sim.SetHookEnv(env)
	return runCharm(t, f.sim)
}

// changeModel edits the simulated model between hooks.
func (f *fixture) changeModel(t *testing.T, edit func(m *toolsim.Model)) {
	t.Helper()
	m := charmtest.Model(t, f.sim)
	edit(m)
	require.NoError(t, m.WriteFile(f.sim.ModelPath))
}

func (f *fixture) config(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(f.cfgPath)
	require.NoError(t, err)
	return string(data)
}

// rendered is what the charm must write for these website hosts.
func rendered(t *testing.T, addrs ...string) string {
	t.Helper()
	svc := httprelation.Service{Name: "website"}
	for _, a := range addrs {
		svc.Hosts = append(svc.Hosts, httprelation.Host{Hostname: a, PrivateAddress: a, Port: 8080})
	}
	var services []httprelation.Service
	if len(addrs) > 0 {
		services = []httprelation.Service{svc}
	}
	text, skipped, err := renderHAProxy(services, frontend{Bind: "127.0.0.1", Port: 8000})
	require.NoError(t, err)
	require.Empty(t, skipped)
	return text
}

// newCalls returns the tools called since the call log had n entries.
func newCalls(t *testing.T, sim *toolsim.Sim, n int) []string {
	t.Helper()
	return charmtest.ToolNames(t, sim)[n:]
}

func TestRelationChangedRendersConfig(t *testing.T) {
	f := newFixture(t)
	res := f.hook(t, "reverseproxy-relation-changed", relationEnv("website/2"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
	info, err := os.Stat(f.cfgPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	assert.NoFileExists(t, f.cfgPath+".new")

	m := charmtest.Model(t, f.sim)
	assert.Equal(t, toolsim.Status{Status: "active", Message: "1 services, 3 hosts"}, *m.Status)
	assert.True(t, flagSet(t, m, "reverseproxy.available"))
	assert.True(t, containsLine(m.Log, "reloading haproxy is left to whoever runs it"), "log: %q", m.Log)
	assert.True(t, containsLine(m.Log, "haproxy is not on PATH"), "log: %q", m.Log)

	calls, err := f.sim.Calls()
	require.NoError(t, err)
	assert.Equal(t, "config-get", calls[0].Tool)
	assert.Equal(t, []string{"--format=json"}, calls[0].Args)
	names := charmtest.ToolNames(t, f.sim)
	assert.Less(t, slices.Index(names, "status-set"), slices.Index(names, "state-set"), "state is saved last")
}

func TestIdenticalRunWritesNothing(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, 0, f.hook(t, "reverseproxy-relation-changed", relationEnv("website/2")).ExitCode)
	// A marker in the live file shows whether the second run touches it.
	require.NoError(t, os.WriteFile(f.cfgPath, []byte("# marker\n"), 0o644))
	before := len(charmtest.ToolNames(t, f.sim))
	status := *charmtest.Model(t, f.sim).Status

	for _, hook := range []string{"reverseproxy-relation-changed", "config-changed"} {
		env := relationEnv("website/1")
		if hook == "config-changed" {
			env = nil
		}
		res := f.hook(t, hook, env)
		require.Equal(t, 0, res.ExitCode, res.Stderr)
	}

	assert.Equal(t, "# marker\n", f.config(t))
	assert.NoFileExists(t, f.cfgPath+".new")
	for _, tool := range newCalls(t, f.sim, before) {
		assert.NotContains(t, []string{"state-set", "state-delete", "status-set", "relation-set"}, tool)
	}
	assert.Equal(t, status, *charmtest.Model(t, f.sim).Status)
}

func TestUpgradeCharmAlwaysRenders(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, 0, f.hook(t, "config-changed", nil).ExitCode)
	require.NoError(t, os.WriteFile(f.cfgPath, []byte("# old charm's output\n"), 0o644))

	res := f.hook(t, "upgrade-charm", nil)
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
}

func TestDepartedDropsUnit(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, 0, f.hook(t, "reverseproxy-relation-changed", relationEnv("website/2")).ExitCode)

	env := relationEnv("website/1")
	env["JUJU_DEPARTING_UNIT"] = "website/1"
	res := f.hook(t, "reverseproxy-relation-departed", env)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.12"), f.config(t))
	m := charmtest.Model(t, f.sim)
	assert.Equal(t, toolsim.Status{Status: "active", Message: "1 services, 2 hosts"}, *m.Status)
	assert.True(t, flagSet(t, m, "reverseproxy.available"))
}

func TestBrokenLeavesNoBackends(t *testing.T) {
	f := newFixture(t)
	require.Equal(t, 0, f.hook(t, "reverseproxy-relation-changed", relationEnv("website/2")).ExitCode)

	env := relationEnv("")
	res := f.hook(t, "reverseproxy-relation-broken", env)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	assert.Equal(t, rendered(t), f.config(t))
	assert.Contains(t, f.config(t), "http-request deny deny_status 503")
	m := charmtest.Model(t, f.sim)
	assert.Equal(t, toolsim.Status{Status: "waiting", Message: "no backends"}, *m.Status)
	assert.False(t, flagSet(t, m, "reverseproxy.available"))
}

func TestHostileUnitsNeverReachTheFile(t *testing.T) {
	f := newFixture(t)
	f.changeModel(t, func(m *toolsim.Model) {
		units := m.Relations[relationID].Units
		units["website/3"] = map[string]string{"hostname": "10.0.0.99\n    server evil 6.6.6.6:80 check",
			"private-address": "6.6.6.7\nlisten evil", "port": "8080"}
		units["website/4"] = map[string]string{"private-address": "10.0.0.98", "port": "0"}
		units["website/5"] = map[string]string{"private-address": "10.0.0.97", "port": "8080\n    bind :1"}
		units["website/6"] = map[string]string{"private-address": "10.0.0.96", "port": "8080",
			"extended_data": `[{"hostname": "a b", "port": 80}, {"hostname": "10.0.0.95", "port": "99999"}, "junk"]`}
	})
	res := f.hook(t, "reverseproxy-relation-changed", relationEnv("website/3"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	text := f.config(t)
	for _, bad := range []string{"evil", "6.6.6", "10.0.0.98", "10.0.0.97", "10.0.0.95", "99999", "a b", ":1\n", "junk"} {
		assert.NotContains(t, text, bad)
	}
	// The good units, and website/6's own good top-level host, survive.
	services := []httprelation.Service{{Name: "website", Hosts: []httprelation.Host{
		{Hostname: "10.0.0.10", PrivateAddress: "10.0.0.10", Port: 8080},
		{Hostname: "10.0.0.11", PrivateAddress: "10.0.0.11", Port: 8080},
		{Hostname: "10.0.0.12", PrivateAddress: "10.0.0.12", Port: 8080},
		{Hostname: "10.0.0.96", PrivateAddress: "10.0.0.96", Port: 8080},
	}}}
	checkStructure(t, services, text)
	assert.True(t, containsLine(charmtest.Model(t, f.sim).Log, "WARNING"), "bad entries are logged")
}

func TestRejectedConfigKeepsLiveFile(t *testing.T) {
	// /bin/false stands in for an haproxy that refuses every file.
	fakeBin := t.TempDir()
	require.NoError(t, os.Symlink("/bin/false", filepath.Join(fakeBin, "haproxy")))
	f := newFixture(t, fakeBin)
	require.NoError(t, os.WriteFile(f.cfgPath, []byte("# live\n"), 0o644))

	res := f.hook(t, "reverseproxy-relation-changed", relationEnv("website/2"))
	assert.Equal(t, 1, res.ExitCode)
	assert.Contains(t, res.Stderr, "reverseproxy: reverseproxy-relation-changed: haproxy rejected the new configuration")

	assert.Equal(t, "# live\n", f.config(t))
	next, err := os.ReadFile(f.cfgPath + ".new")
	require.NoError(t, err, "the rejected file stays for inspection")
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), string(next))
	names := charmtest.ToolNames(t, f.sim)
	assert.NotContains(t, names, "state-set", "a failed hook must see the change again")
	assert.NotContains(t, names, "status-set")
}

func TestRealHAProxyChecksTheFile(t *testing.T) {
	haproxy := findHAProxy()
	if haproxy == "" {
		t.Skip("haproxy is not installed; run apt-get install -y haproxy to run the hook with haproxy -c")
	}
	f := newFixture(t, filepath.Dir(haproxy))
	res := f.hook(t, "reverseproxy-relation-changed", relationEnv("website/2"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
	assert.False(t, containsLine(charmtest.Model(t, f.sim).Log, "installing "+f.cfgPath+" unchecked"))
}

func TestInvalidConfigFailsWithoutWriting(t *testing.T) {
	for name, tc := range map[string]struct {
		key   string
		value any
	}{
		"port zero":          {"frontend-port", 0},
		"port too big":       {"frontend-port", 65536},
		"port string":        {"frontend-port", "80"},
		"port fraction":      {"frontend-port", 80.5},
		"bind hostname":      {"bind-address", "localhost"},
		"bind injection":     {"bind-address", "0.0.0.0\n    bind :1"},
		"bind number":        {"bind-address", 1},
		"relative path":      {"haproxy-config", "haproxy.cfg"},
		"unclean path":       {"haproxy-config", "/etc/haproxy/../haproxy.cfg"},
		"newline in path":    {"haproxy-config", "/tmp/x\ny.cfg"},
		"path is the root":   {"haproxy-config", "/"},
		"path not a string ": {"haproxy-config", true},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.changeModel(t, func(m *toolsim.Model) { m.Config[tc.key] = tc.value })
			res := f.hook(t, "config-changed", nil)
			assert.Equal(t, 1, res.ExitCode)
			assert.Contains(t, res.Stderr, "reverseproxy: config-changed: invalid config: "+tc.key)
			assert.Equal(t, []string{"config-get"}, charmtest.ToolNames(t, f.sim))
			assert.NoFileExists(t, f.cfgPath)
		})
	}
}

func TestConfigDefaultsApplyWhenUnset(t *testing.T) {
	s, err := parseSettings([]byte("{}\n"))
	require.NoError(t, err)
	assert.Equal(t, settings{frontend: frontend{Bind: "0.0.0.0", Port: 80}, path: "/etc/haproxy/haproxy.cfg"}, s)

	s, err = parseSettings([]byte(`{"bind-address":"::","frontend-port":8443,"haproxy-config":"/srv/h.cfg"}`))
	require.NoError(t, err)
	assert.Equal(t, settings{frontend: frontend{Bind: "::", Port: 8443}, path: "/srv/h.cfg"}, s)

	for _, bad := range []string{"", "null x", `{"frontend-port": 80} {}`, "[]"} {
		_, err := parseSettings([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestInstallWithoutHAProxyOrSystemd(t *testing.T) {
	f := newFixture(t)
	res := f.hook(t, "install", nil)
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, []string{"juju-log"}, charmtest.ToolNames(t, f.sim))
	assert.True(t, containsLine(charmtest.Model(t, f.sim).Log, "not installing it"))
}

func TestOtherHooksDoNothing(t *testing.T) {
	for _, hook := range []string{"start", "stop", "update-status", "leader-elected", "remove"} {
		t.Run(hook, func(t *testing.T) {
			f := newFixture(t)
			res := f.hook(t, hook, nil)
			assert.Equal(t, 0, res.ExitCode, res.Stderr)
			assert.Empty(t, charmtest.ToolNames(t, f.sim))
		})
	}
}

func TestCommandLineIsUsageError(t *testing.T) {
	res := charmtest.RunEnv(t, os.Environ(), charmBinary, "serve")
	assert.Equal(t, 2, res.ExitCode)
	f := newFixture(t)
	f.sim.SetHookEnv(map[string]string{"PATH": f.path, "JUJU_HOOK_NAME": "config-changed"})
	res = runCharm(t, f.sim)
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, "not in a Juju hook")
}

// flagSet reads a flag from the charm state the way the charm does.
func flagSet(t *testing.T, m *toolsim.Model, flag string) bool {
	t.Helper()
	ctx := context.Background()
	store := &httprelation.MemoryStore{}
	require.NoError(t, store.Save(ctx, m.State))
	reg, err := httprelation.NewRegistry(ctx, store)
	require.NoError(t, err)
	return reg.Has(flag)
}

func containsLine(lines []string, substr string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, substr) })
}

// TestDispatch runs a hook the way Juju 2.8+ does: through the charm's
// dispatch script, with the hook named only by JUJU_DISPATCH_PATH, from a
// charm directory laid out as charmcraft packs it.
func TestDispatch(t *testing.T) {
	charmDir := charmtest.CharmDir(t, charmBinary, "reverseproxy")

	f := newFixture(t)
	env := relationEnv("website/0")
	env["JUJU_UNIT_NAME"] = "reverseproxy/0"
	env["JUJU_CHARM_DIR"] = charmDir
	env["JUJU_DISPATCH_PATH"] = "hooks/reverseproxy-relation-joined"
	env["PATH"] = f.path
	f.sim.SetHookEnv(env)

	res := charmtest.Run(t, f.sim, filepath.Join(charmDir, "dispatch"))
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
}
