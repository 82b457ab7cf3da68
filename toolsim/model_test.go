package toolsim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseModelIsStrict(t *testing.T) {
	for name, tt := range map[string]struct{ in, want string }{
		"unknown field":          {`{"unit": "lb/0", "leeder": true}`, `unknown field "leeder"`},
		"unknown relation field": {`{"unit": "lb/0", "relations": {"x:1": {"remote_app": "a", "ingress_address": "1"}}}`, `unknown field "ingress_address"`},
		"unknown hook field":     {`{"unit": "lb/0", "hook": {"name": "install", "relation": "x:1"}}`, `unknown field "relation"`},
		"second object":          {`{"unit": "lb/0"} {"unit": "lb/1"}`, "data after the model"},
		"stray brace":            {`{"unit": "lb/0"}}`, "data after the model"},
		"relations as a list":    {`{"unit": "lb/0", "relations": [{"id": "x:1"}]}`, "cannot unmarshal array"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseModel([]byte(tt.in))
			assert.ErrorContains(t, err, tt.want)
		})
	}
	m, err := parseModel([]byte("{\"unit\": \"lb/0\"}\n\n"))
	require.NoError(t, err)
	assert.Equal(t, "lb/0", m.Unit, "trailing white space is fine")
}

func TestReadModel(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"unit": "lb/0", "hook": {"name": "install"}}`), 0o644))
	m, err := ReadModel(good)
	require.NoError(t, err)
	assert.Equal(t, Hook{Name: "install"}, m.Hook)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no lock file beside a fixture")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"unit": "lb/0", "hook": {"name": "x-relation-joined", "relation_id": "x:1"}}`), 0o644))
	_, err = ReadModel(bad)
	assert.ErrorIs(t, err, ErrInvalidModel)
	assert.ErrorContains(t, err, "bad.json")
	_, err = ReadModel(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestValidate(t *testing.T) {
	base := func() *Model {
		return &Model{Unit: "lb/0", Relations: map[string]Relation{
			"proxy:1": {RemoteApp: "web", Units: map[string]map[string]string{"web/0": {}, "web/1": {}}},
			"site:2":  {RemoteApp: "edge"},
		}}
	}
	tests := map[string]struct {
		edit func(m *Model)
		want string
	}{
		"no unit":              {func(m *Model) { m.Unit = "" }, "no local unit"},
		"unit without number":  {func(m *Model) { m.Unit = "lb" }, `local unit "lb"`},
		"upper-case unit":      {func(m *Model) { m.Unit = "LB/0" }, `local unit "LB/0"`},
		"relation id":          {func(m *Model) { m.Relations["proxy"] = Relation{RemoteApp: "a"} }, `relation id "proxy"`},
		"leading zero":         {func(m *Model) { m.Relations["proxy:07"] = Relation{RemoteApp: "a"} }, `relation id "proxy:07"`},
		"negative id":          {func(m *Model) { m.Relations["proxy:-3"] = Relation{RemoteApp: "a"} }, `relation id "proxy:-3"`},
		"same number":          {func(m *Model) { m.Relations["other:2"] = Relation{RemoteApp: "a"} }, "other:2 and site:2 have the same number"},
		"no remote app":        {func(m *Model) { m.Relations["other:3"] = Relation{} }, "relation other:3: no remote_app"},
		"hook relation absent": {func(m *Model) { m.Hook = Hook{Name: "proxy-relation-changed", RelationID: "proxy:9"} }, `relation "proxy:9" is not in the model`},
		"hook on other endpoint": {func(m *Model) {
			m.Hook = Hook{Name: "site-relation-changed", RelationID: "1", RemoteUnit: "web/0"}
		}, `relation proxy:1 is not on endpoint "site"`},
		"joined unit absent": {func(m *Model) {
			m.Hook = Hook{Name: "proxy-relation-joined", RelationID: "proxy:1", RemoteUnit: "web/7"}
		}, `remote unit "web/7" is not in relation proxy:1`},
		"changed unit absent": {func(m *Model) {
			m.Hook = Hook{Name: "proxy-relation-changed", RelationID: "proxy:1", RemoteUnit: "edge/0"}
		}, `remote unit "edge/0" is not in relation proxy:1`},
		"departed without unit": {func(m *Model) {
			m.Hook = Hook{Name: "proxy-relation-departed", RelationID: "proxy:1"}
		}, "relation-departed needs a remote_unit"},
		"departing another unit": {func(m *Model) {
			m.Hook = Hook{Name: "proxy-relation-departed", RelationID: "proxy:1", RemoteUnit: "web/0", DepartingUnit: "web/1"}
		}, `departing unit "web/1" is neither`},
		"created with unit": {func(m *Model) {
			m.Hook = Hook{Name: "proxy-relation-created", RelationID: "proxy:1", RemoteUnit: "web/0"}
		}, "relation-created hooks have none"},
		"config-changed with relation": {func(m *Model) {
			m.Hook = Hook{Name: "config-changed", RelationID: "proxy:1"}
		}, "only relation hooks"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			err := m.Validate()
			require.ErrorIs(t, err, ErrInvalidModel)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	m := base()
	m.Unit, m.Relations["x"] = "", Relation{}
	err := m.Validate()
	assert.ErrorContains(t, err, "no local unit")
	assert.ErrorContains(t, err, `relation id "x"`, "every problem is listed")

	// Remote units' names are remote data: hostile ones are allowed.
	m = base()
	m.Relations["proxy:1"].Units["Web\n/0"] = map[string]string{}
	m.Relations["proxy:1"].Units["api/0"] = map[string]string{}
	assert.NoError(t, m.Validate())
}

func TestHookEnv(t *testing.T) {
	// env is m.HookEnv() with its JUJU_CONTEXT_ID checked: the unit, the
	// hook and a number, as Juju's context factory makes it, and a new
	// one every call, as Juju makes one per hook run.
	env := func(m *Model) map[string]string {
		t.Helper()
		first, second := m.HookEnv(), m.HookEnv()
		hook := m.Hook.Name
		if hook == "" {
			hook = "run-commands"
		}
		assert.Regexp(t, `^`+regexp.QuoteMeta(m.Unit+"-"+hook+"-")+`[0-9]+$`, first["JUJU_CONTEXT_ID"])
		assert.NotEqual(t, first["JUJU_CONTEXT_ID"], second["JUJU_CONTEXT_ID"])
		delete(first, "JUJU_CONTEXT_ID")
		return first
	}
	// with adds the variables every hook gets to vars: the model's, the
	// agent's and where the unit runs, empty where the simulator has no
	// controller, proxy or SLA.
	with := func(vars map[string]string) map[string]string {
		vars["JUJU_MODEL_NAME"], vars["JUJU_MODEL_UUID"], vars["JUJU_VERSION"] = modelName, modelUUID, jujuVersion
		vars["JUJU_AGENT_SOCKET_ADDRESS"] = "/var/lib/juju/agents/unit-lb-0/agent.socket"
		vars["JUJU_AGENT_SOCKET_NETWORK"] = "unix"
		vars["JUJU_MACHINE_ID"], vars["JUJU_AVAILABILITY_ZONE"], vars["JUJU_PRINCIPAL_UNIT"] = "0", "", ""
		vars["JUJU_API_ADDRESSES"], vars["JUJU_SLA"], vars["CLOUD_API_VERSION"] = "", "unsupported", ""
		for _, p := range []string{"HTTP", "HTTPS", "FTP", "NO"} {
			vars["JUJU_CHARM_"+p+"_PROXY"] = ""
		}
		return vars
	}
	m := &Model{Unit: "lb/0", CharmDir: "/srv/charm", Relations: map[string]Relation{
		"proxy:1": {RemoteApp: "web", Units: map[string]map[string]string{"web/0": {}}},
	}}
	assert.Equal(t, with(map[string]string{"JUJU_UNIT_NAME": "lb/0", "JUJU_CHARM_DIR": "/srv/charm", "CHARM_DIR": "/srv/charm"}), env(m))

	m.Hook = Hook{Name: "proxy-relation-departed", RelationID: "1", RemoteUnit: "web/0", DepartingUnit: "web/0"}
	assert.Equal(t, with(map[string]string{
		"JUJU_UNIT_NAME": "lb/0", "JUJU_CHARM_DIR": "/srv/charm", "CHARM_DIR": "/srv/charm",
		"JUJU_HOOK_NAME": "proxy-relation-departed", "JUJU_DISPATCH_PATH": "hooks/proxy-relation-departed",
		"JUJU_RELATION": "proxy", "JUJU_RELATION_ID": "proxy:1", "JUJU_REMOTE_UNIT": "web/0",
		"JUJU_REMOTE_APP": "web", "JUJU_DEPARTING_UNIT": "web/0",
	}), env(m))

	m.Hook.DepartingUnit = "" // an agent older than Juju 2.8
	assert.NotContains(t, env(m), "JUJU_DEPARTING_UNIT", "Juju sets it only when it names a unit")

	m.CharmDir, m.Hook = "", Hook{Name: "proxy-relation-broken", RelationID: "proxy:1"}
	assert.Equal(t, with(map[string]string{
		"JUJU_UNIT_NAME": "lb/0", "JUJU_HOOK_NAME": "proxy-relation-broken", "JUJU_DISPATCH_PATH": "hooks/proxy-relation-broken",
		"JUJU_RELATION": "proxy", "JUJU_RELATION_ID": "proxy:1", "JUJU_REMOTE_UNIT": "", "JUJU_REMOTE_APP": "web",
	}), env(m))

	m.Hook = Hook{Name: "upgrade-charm"}
	assert.Equal(t, with(map[string]string{"JUJU_UNIT_NAME": "lb/0", "JUJU_HOOK_NAME": "upgrade-charm",
		"JUJU_DISPATCH_PATH": "hooks/upgrade-charm"}), env(m))

	m.MachineID, m.AvailabilityZone, m.PrincipalUnit = "4/lxd/2", "zone-b", "main/3"
	got := env(m)
	assert.Equal(t, "4/lxd/2", got["JUJU_MACHINE_ID"])
	assert.Equal(t, "zone-b", got["JUJU_AVAILABILITY_ZONE"])
	assert.Equal(t, "main/3", got["JUJU_PRINCIPAL_UNIT"])

}

// Without hook variables in the environment, the tools answer for the
// model's hook; with any, for the environment's.
func TestToolsFollowTheModelsHook(t *testing.T) {
	m := baseModel(t)
	m.Hook = Hook{Name: "backends-relation-departed", RelationID: "backends:4", RemoteUnit: "shop/3", DepartingUnit: "shop/3"}
	require.NoError(t, m.Validate())
	p := newInProc(t, m, nil)
	assert.Equal(t, result{"shop/0\n", "", 0}, p.run(nil, "relation-list"))
	assert.Equal(t, result{"172.20.1.13\n", "", 0}, p.run(nil, "relation-get", "private-address"))

	p.env["JUJU_RELATION_ID"] = "site:2"
	assert.Equal(t, result{"edge/0\n", "", 0}, p.run(nil, "relation-list"))
	p.env["JUJU_RELATION_ID"] = ""
	p.env["JUJU_DISPATCH_PATH"] = "hooks/backends-relation-broken"
	assert.Equal(t, result{"", "ERROR no relation id specified\n", 2}, p.run(nil, "relation-list"),
		"the environment describes a hook without a relation")
}

// A relation's own network answers network-get -r; others get their
// binding's.
func TestNetworkPerRelation(t *testing.T) {
	m := baseModel(t)
	r := m.Relations["backends:11"]
	r.Network = &Network{
		BindAddresses:    []BindAddress{{InterfaceName: "eth1", Addresses: []InterfaceAddress{{Value: "192.168.1.5", CIDR: "192.168.1.0/24"}}}},
		IngressAddresses: []string{"192.168.1.5"},
	}
	m.Relations["backends:11"] = r
	p := newInProc(t, m, nil)
	assert.Equal(t, result{"\"192.168.1.5\"\n", "", 0}, p.run(nil, "network-get", "--format=json", "-r", "backends:11", "backends", "--ingress-address"))
	assert.Equal(t, result{"\"172.20.0.5\"\n", "", 0}, p.run(nil, "network-get", "--format=json", "-r", "backends:4", "backends", "--ingress-address"))
	assert.Equal(t, result{"\"172.20.0.5\"\n", "", 0}, p.run(nil, "network-get", "--format=json", "backends", "--ingress-address"))
}

func TestCloneSharesNothing(t *testing.T) {
	m := baseModel(t)
	m.Relations["site:2"] = Relation{RemoteApp: "edge", Local: map[string]string{"a": "1"}, App: map[string]string{},
		Units: map[string]map[string]string{"edge/0": {"k": "v"}}, Network: &Network{IngressAddresses: []string{"1"}}}
	m.Status, m.Log = &Status{Status: "active"}, []string{"INFO x"}
	m.Faults = map[string]Fault{"is-leader": {Exit: 1}}
	c := m.Clone()
	require.Equal(t, m, c)
	c.Relations["site:2"].Local["a"] = "2"
	c.Relations["site:2"].Units["edge/0"]["k"] = "w"
	c.Relations["site:2"].Network.IngressAddresses[0] = "2"
	c.Networks["site"].BindAddresses[0].Addresses[0].Value = "x"
	c.Config["port"] = 1
	c.State["s"] = "1"
	c.Status.Status = "blocked"
	c.Log[0] = "changed"
	c.Faults["x"] = Fault{}
	assert.Equal(t, baseModel(t).Networks, m.Networks)
	assert.Equal(t, "1", m.Relations["site:2"].Local["a"])
	assert.Equal(t, "v", m.Relations["site:2"].Units["edge/0"]["k"])
	assert.Equal(t, "1", m.Relations["site:2"].Network.IngressAddresses[0])
	assert.Equal(t, json.Number("8080"), m.Config["port"])
	assert.Empty(t, m.State)
	assert.Equal(t, "active", m.Status.Status)
	assert.Equal(t, "INFO x", m.Log[0])
	assert.Len(t, m.Faults, 1)
}

func TestRestoreWrites(t *testing.T) {
	before := baseModel(t)
	before.State = map[string]string{"a": "1"}
	m := before.Clone()
	r := m.Relations["site:2"]
	r.Local["port"] = "80"
	r.LocalApp = map[string]string{"x": "1"}
	r.Units["edge/0"]["port"] = "81" // a remote change the hook could not make, but a test might
	m.Relations["site:2"] = r
	m.State = map[string]string{"b": "2"}
	m.Status, m.Log = &Status{Status: "active"}, []string{"INFO hi"}
	m.Relations["new:9"] = Relation{RemoteApp: "n", Local: map[string]string{"k": "v"}}

	m.RestoreWrites(before)
	assert.Equal(t, before.Relations["site:2"].Local, m.Relations["site:2"].Local)
	assert.Nil(t, m.Relations["site:2"].LocalApp)
	assert.Equal(t, map[string]string{"a": "1"}, m.State)
	assert.Equal(t, "81", m.Relations["site:2"].Units["edge/0"]["port"], "remote data is not the hook's")
	assert.Equal(t, &Status{Status: "active"}, m.Status)
	assert.Equal(t, []string{"INFO hi"}, m.Log)
	assert.Equal(t, map[string]string{"k": "v"}, m.Relations["new:9"].Local)

	m.State["c"] = "3"
	assert.Equal(t, map[string]string{"a": "1"}, before.State, "restored maps are copies")
}

// Call runs the tools in-process on a model in memory, as the processes
// do on the model file.
func TestCall(t *testing.T) {
	m := baseModel(t)
	m.Hook = Hook{Name: "backends-relation-changed", RelationID: "backends:4", RemoteUnit: "shop/0"}
	var out, errOut bytes.Buffer
	code := m.Call(nil, nil, &out, &errOut, "relation-get", "--format=json", "port")
	assert.Equal(t, 0, code)
	assert.Equal(t, "\"8000\"\n", out.String())

	out.Reset()
	code = m.Call(nil, strings.NewReader("k: v\n"), &out, &errOut, "relation-set", "--file", "-")
	assert.Equal(t, 0, code, errOut.String())
	assert.Equal(t, "v", m.Relations["backends:4"].Local["k"])

	env := map[string]string{"JUJU_RELATION_ID": "site:2"}
	code = m.Call(func(k string) string { return env[k] }, nil, &out, &errOut, "relation-set", "j=w")
	assert.Equal(t, 0, code, errOut.String())
	assert.Equal(t, "w", m.Relations["site:2"].Local["j"])

	errOut.Reset()
	code = m.Call(nil, nil, &out, &errOut, "relation-list", "-r", "backends:99")
	assert.Equal(t, 2, code)
	assert.Equal(t, "ERROR invalid value \"backends:99\" for option -r: relation not found\n", errOut.String())

	errOut.Reset()
	m.Faults = map[string]Fault{"is-leader": {Exit: 1, Stderr: "ERROR down\n"}}
	assert.Equal(t, 1, m.Call(nil, nil, &out, &errOut, "is-leader"))
	assert.Equal(t, "ERROR down\n", errOut.String())

	errOut.Reset()
	assert.Equal(t, 1, m.Call(nil, nil, &out, &errOut, "secret-get", "x"))
	assert.Equal(t, "ERROR secret-get is a Juju hook tool that hook-tool-sim does not simulate (see docs/simulator.md)\n", errOut.String())

	errOut.Reset()
	assert.Equal(t, 127, m.Call(nil, nil, &out, &errOut, "frobnicate"))
	assert.Equal(t, "ERROR frobnicate is not a Juju hook tool\n", errOut.String())
}
