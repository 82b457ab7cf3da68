package main

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// The hook's work runs in-process here, through every hook Juju fires for
// the reverseproxy relation; process_test.go runs the binary.

const relationID = "reverseproxy:1"

func webUnit(addr string) map[string]string {
	return map[string]string{"hostname": addr, "private-address": addr, "port": "8080"}
}

// proxyModel is reverseproxy/0, whose charm is this directory, related on
// reverseproxy:1 to website with the given units, rendering its haproxy
// configuration to cfgPath.
func proxyModel(cfgPath string, units map[string]map[string]string) *toolsim.Model {
	return &toolsim.Model{
		Unit:     "reverseproxy/0",
		Leader:   true,
		CharmDir: ".",
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
				Units:          units,
			},
		},
	}
}

// threeUnits are website/0, /1 and /2 serving on 8080.
func threeUnits() map[string]map[string]string {
	return map[string]map[string]string{
		"website/0": webUnit("10.0.0.10"),
		"website/1": webUnit("10.0.0.11"),
		"website/2": webUnit("10.0.0.12"),
	}
}

// fixture is the charm in-process over a model, with its haproxy
// configuration in a temporary directory and no haproxy or systemd.
type fixture struct {
	m       *httprelationtest.Harness
	cfgPath string
	machine machine
}

func newFixture(t *testing.T, units map[string]map[string]string) *fixture {
	t.Helper()
	return newFixtureWith(t, units, nil)
}

// newFixtureWith is newFixture with the options in config set in the
// model as it starts.
func newFixtureWith(t *testing.T, units map[string]map[string]string, config map[string]any) *fixture {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "haproxy.cfg")
	model := proxyModel(cfgPath, units)
	maps.Copy(model.Config, config)
	m := httprelationtest.New(t, model)
	return &fixture{m: m, cfgPath: cfgPath, machine: machine{run: hooktools.ExecRunner{}, log: m.Unit().Logger}}
}

// hook is the charm's hook code over the fixture's model.
func (f *fixture) hook(ctx context.Context, u httprelation.Unit) error {
	return hook(ctx, charm{Unit: u, machine: f.machine})
}

// fire makes ev happen and runs the charm for its hooks, which must all
// succeed.
func (f *fixture) fire(t *testing.T, ev toolsim.Event) []string {
	t.Helper()
	hooks, err := f.m.Fire(context.Background(), ev, f.hook)
	require.NoError(t, err, "%v", ev)
	return hooks.Names()
}

// run runs the charm in hook h, which may fail.
func (f *fixture) run(t *testing.T, h toolsim.Hook) error {
	t.Helper()
	require.NoError(t, f.m.SetHook(h))
	return f.m.Run(context.Background(), f.hook)
}

func (f *fixture) config(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(f.cfgPath)
	require.NoError(t, err)
	return string(data)
}

func (f *fixture) flags(t *testing.T) []string {
	t.Helper()
	flags, err := f.m.Flags()
	require.NoError(t, err)
	return flags
}

// tools lists the hook tools the charm ran since the last ResetCalls.
func (f *fixture) tools() []string {
	var names []string
	for _, c := range f.m.Calls() {
		names = append(names, c.Tool)
	}
	return names
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

func containsLine(lines []string, substr string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, substr) })
}

var changed = toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: relationID, RemoteUnit: "website/2"}

func TestRelationLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	assert.Equal(t, []string{"reverseproxy-relation-joined", "reverseproxy-relation-changed"},
		f.fire(t, toolsim.Join(relationID, "website/0", map[string]string{"private-address": "10.0.0.10"})))
	assert.Equal(t, rendered(t), f.config(t), "joined without a port: no backend yet")
	assert.Equal(t, &toolsim.Status{Status: "waiting", Message: "no backends"}, f.m.Status())
	assert.Empty(t, f.flags(t))

	assert.Equal(t, []string{"reverseproxy-relation-changed"},
		f.fire(t, toolsim.Change(relationID, "website/0", map[string]string{"hostname": "10.0.0.10", "port": "8080"})))
	assert.Equal(t, rendered(t, "10.0.0.10"), f.config(t))
	assert.Equal(t, []string{"reverseproxy.available"}, f.flags(t))

	f.fire(t, toolsim.Join(relationID, "website/1", webUnit("10.0.0.11")))
	f.fire(t, toolsim.Join(relationID, "website/2", webUnit("10.0.0.12")))
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "1 services, 3 hosts"}, f.m.Status())

	assert.Equal(t, []string{"reverseproxy-relation-departed"}, f.fire(t, toolsim.Depart(relationID, "website/1")))
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.12"), f.config(t), "the departing unit is dropped in its own hook")
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "1 services, 2 hosts"}, f.m.Status())
	assert.Equal(t, []string{"reverseproxy.available"}, f.flags(t))

	assert.Equal(t, []string{"reverseproxy-relation-departed", "reverseproxy-relation-departed", "reverseproxy-relation-broken"},
		f.fire(t, toolsim.RemoveRelation(relationID)))
	assert.Equal(t, rendered(t), f.config(t))
	assert.Contains(t, f.config(t), "http-request deny deny_status 503")
	assert.Equal(t, &toolsim.Status{Status: "waiting", Message: "no backends"}, f.m.Status())
	assert.Empty(t, f.flags(t))
}

func TestRelationChangedRendersConfig(t *testing.T) {
	f := newFixture(t, threeUnits())
	require.NoError(t, f.run(t, changed))

	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
	info, err := os.Stat(f.cfgPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	assert.NoFileExists(t, f.cfgPath+".new")
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "1 services, 3 hosts"}, f.m.Status())
	assert.Equal(t, []string{"reverseproxy.available"}, f.flags(t))
	assert.True(t, containsLine(f.m.Log(), "reloading haproxy is left to whoever runs it"), "log: %q", f.m.Log())
	assert.True(t, containsLine(f.m.Log(), "haproxy is not on PATH"), "log: %q", f.m.Log())

	calls := f.m.Calls()
	require.NotEmpty(t, calls)
	assert.Equal(t, httprelationtest.Call{Tool: "config-get", Args: []string{"--format=json", "--all"}}, calls[0], "first, the hook context coming from the environment")
	tools := f.tools()
	require.Contains(t, tools, "state-set")
	assert.Less(t, slices.Index(tools, "status-set"), slices.Index(tools, "state-set"), "state is saved last")
}

func TestIdenticalRunWritesNothing(t *testing.T) {
	f := newFixture(t, threeUnits())
	require.NoError(t, f.run(t, changed))
	// A marker in the live file shows whether the second run touches it.
	require.NoError(t, os.WriteFile(f.cfgPath, []byte("# marker\n"), 0o644))
	status := f.m.Status()
	f.m.ResetCalls()

	require.NoError(t, f.run(t, toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: relationID, RemoteUnit: "website/1"}))
	f.fire(t, toolsim.ChangeConfig(nil))

	assert.Equal(t, "# marker\n", f.config(t))
	assert.NoFileExists(t, f.cfgPath+".new")
	for _, c := range f.m.Calls() {
		assert.NotContains(t, []string{"state-set", "state-delete", "relation-set", "status-set"}, c.Tool)
	}
	assert.Equal(t, status, f.m.Status())
}

func TestUpgradeCharmAlwaysRenders(t *testing.T) {
	f := newFixture(t, threeUnits())
	f.fire(t, toolsim.ChangeConfig(nil))
	require.NoError(t, os.WriteFile(f.cfgPath, []byte("# old charm's output\n"), 0o644))

	f.fire(t, toolsim.RunHook("upgrade-charm"))
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))
}

func TestHostileUnitsNeverReachTheFile(t *testing.T) {
	units := threeUnits()
	units["website/3"] = map[string]string{"hostname": "10.0.0.99\n    server evil 6.6.6.6:80 check",
		"private-address": "6.6.6.7\nlisten evil", "port": "8080"}
	units["website/4"] = map[string]string{"private-address": "10.0.0.98", "port": "0"}
	units["website/5"] = map[string]string{"private-address": "10.0.0.97", "port": "8080\n    bind :1"}
	units["website/6"] = map[string]string{"private-address": "10.0.0.96", "port": "8080",
		"extended_data": `[{"hostname": "a b", "port": 80}, {"hostname": "10.0.0.95", "port": "99999"}, "junk"]`}
	f := newFixture(t, units)
	require.NoError(t, f.run(t, toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: relationID, RemoteUnit: "website/3"}))

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
	assert.True(t, containsLine(f.m.Warnings(), "ignoring invalid remote data"), "bad entries are logged: %q", f.m.Warnings())
	for _, w := range f.m.Warnings() {
		assert.NotContains(t, w, "\n", "a hostile value cannot forge log lines")
	}
}

// A configuration haproxy refuses fails the hook: the live file stays,
// and, the hook having failed, nothing it saved is kept, so the next hook
// sees the change again.
func TestRejectedConfigKeepsLiveFile(t *testing.T) {
	f := newFixture(t, threeUnits())
	// An haproxy that refuses every file.
	f.machine.haproxy, f.machine.run = true, hooktools.ExecRunner{Env: []string{"PATH=" + linkDir(t, "haproxy", "/bin/false")}}
	require.NoError(t, os.WriteFile(f.cfgPath, []byte("# live\n"), 0o644))

	err := f.run(t, changed)
	require.ErrorIs(t, err, errConfigRejected)
	assert.Equal(t, "# live\n", f.config(t))
	next, err := os.ReadFile(f.cfgPath + ".new")
	require.NoError(t, err, "the rejected file stays for inspection")
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), string(next))
	assert.Zero(t, f.m.CallCount("state-set"), "a failed hook must see the change again")
	assert.NotContains(t, f.tools(), "status-set")
	assert.Empty(t, f.m.State())

	f.machine.haproxy = false
	require.NoError(t, f.run(t, changed))
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t), "the next hook renders again")
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
			// Set in the model, not with ChangeConfig, which refuses what
			// juju config refuses (80.5 for an int): the charm must cope
			// with whatever config-get prints all the same.
			f := newFixtureWith(t, threeUnits(), map[string]any{tc.key: tc.value})
			_, err := f.m.Fire(context.Background(), toolsim.RunHook("config-changed"), f.hook)
			require.ErrorIs(t, err, hooktools.ErrInvalidConfig)
			assert.ErrorContains(t, err, `invalid config: option "`+tc.key+`"`)
			assert.Equal(t, []string{"config-get"}, f.tools())
			assert.NoFileExists(t, f.cfgPath)
		})
	}
}

// readModelSettings is readSettings in a hook of a model whose options
// are config; the charm is this directory.
func readModelSettings(t *testing.T, config map[string]any) (settings, error) {
	t.Helper()
	model := proxyModel("/etc/haproxy/haproxy.cfg", nil)
	model.Config = config
	return readSettings(context.Background(), hooktools.ToolsOf(httprelationtest.New(t, model).Unit()))
}

func TestConfigDefaultsApplyWhenUnset(t *testing.T) {
	s, err := readModelSettings(t, nil)
	require.NoError(t, err)
	assert.Equal(t, settings{frontend: frontend{Bind: "0.0.0.0", Port: 80}, path: "/etc/haproxy/haproxy.cfg"}, s)

	s, err = readModelSettings(t, map[string]any{"bind-address": "::", "frontend-port": 8443, "haproxy-config": "/srv/h.cfg"})
	require.NoError(t, err)
	assert.Equal(t, settings{frontend: frontend{Bind: "::", Port: 8443}, path: "/srv/h.cfg"}, s)
}

func TestInstallWithoutHAProxyOrSystemd(t *testing.T) {
	f := newFixture(t, threeUnits())
	f.fire(t, toolsim.RunHook("install"))
	assert.Equal(t, []string{"juju-log"}, f.tools())
	assert.True(t, containsLine(f.m.Log(), "not installing it"))
}

func TestOtherHooksDoNothing(t *testing.T) {
	for _, h := range []string{"start", "stop", "update-status", "leader-elected", "remove"} {
		t.Run(h, func(t *testing.T) {
			f := newFixture(t, threeUnits())
			f.fire(t, toolsim.RunHook(h))
			assert.Empty(t, f.tools())
			assert.NoFileExists(t, f.cfgPath)
		})
	}
}

// TestConfigErrorsQuoteTheValue: a bad option value reaches
// the hook's error quoted, whatever its type, so an escape code or a
// newline in config cannot reach the log raw.
func TestConfigErrorsQuoteTheValue(t *testing.T) {
	for _, tc := range []struct {
		key   string
		value any
	}{
		{"frontend-port", "80\nERROR forged"},
		{"frontend-port", "\u001b[2J"},
		{"frontend-port", "8\u202e0"},
		{"frontend-port", []any{"\n"}},
		{"frontend-port", map[string]any{"a\nb": 1}},
		{"bind-address", "\u001b[2J"},
		{"bind-address", []any{"\n"}},
		{"haproxy-config", "x\u202ey"},
		{"haproxy-config", map[string]any{"\n": 1}},
	} {
		_, err := readModelSettings(t, map[string]any{tc.key: tc.value})
		require.ErrorIs(t, err, hooktools.ErrInvalidConfig, "%q", tc.value)
		assert.ErrorContains(t, err, `option "`+tc.key+`"`)
		for _, r := range err.Error() {
			assert.True(t, r == ' ' || unicode.IsPrint(r), "%q holds %U", err, r)
		}
		assert.False(t, strings.Contains(err.Error(), "\n"), "%q", tc.value)
	}
}
