package toolsim

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/simtool"
)

// Every usage error of a simulated tool reads as its Juju 3 command's:
// the flag errors of juju/gnuflag (through juju/cmd), and each command's
// Init in worker/uniter/runner/jujuc, word for word, with exit 2. The
// model is the recorded one: a relation hook of backends:4, not leader.
func TestUsageErrorsAreJujus(t *testing.T) {
	usage := func(msg string) result { return result{"", "ERROR " + msg + "\n", 2} }
	tests := []struct {
		argv []string
		want result
	}{
		// gnuflag
		{[]string{"unit-get", "--bogus"}, usage("option provided but not defined: --bogus")},
		{[]string{"unit-get", "-x"}, usage("option provided but not defined: -x")},
		{[]string{"unit-get", "--format"}, usage("option needs an argument: --format")},
		{[]string{"unit-get", "--format=xml", "private-address"}, usage(`invalid value "xml" for option --format: unknown format "xml"`)},
		{[]string{"unit-get", "--=x"}, usage(`empty option in argument "--=x"`)},
		{[]string{"relation-list", "--app=maybe"}, usage(`invalid value "maybe" for option --app: strconv.ParseBool: parsing "maybe": invalid syntax`)},
		{[]string{"relation-list", "-r", "x"}, usage(`invalid value "x" for option -r: invalid relation id`)},
		{[]string{"relation-list", "-r", "99"}, usage(`invalid value "99" for option -r: relation not found`)},
		// relation-*
		{[]string{"relation-ids", "a", "b"}, usage(`unrecognized args: ["b"]`)},
		{[]string{"relation-list", "extra"}, usage(`unrecognized args: ["extra"]`)},
		{[]string{"relation-get", "-", "shop"}, usage(`expected unit name, got application name "shop"`)},
		{[]string{"relation-get", "-", "Shop/0"}, usage(`invalid unit name "Shop/0"`)},
		{[]string{"relation-get", "-", "shop/0", "more"}, usage(`unrecognized args: ["more"]`)},
		{[]string{"relation-set", "novalue"}, usage(`expected "key=value", got "novalue"`)},
		{[]string{"relation-set", "a=1", "a=2"}, usage(`key "a" specified more than once`)},
		{[]string{"relation-model-get", "extra"}, usage(`unrecognized args: ["extra"]`)},
		// network-get, unit-get, config-get, is-leader
		{[]string{"network-get"}, usage("no arguments specified")},
		{[]string{"network-get", ""}, usage("no binding name specified")},
		{[]string{"network-get", "site", "more"}, usage(`unrecognized args: ["more"]`)},
		{[]string{"unit-get"}, usage("no setting specified")},
		{[]string{"unit-get", "address"}, usage(`unknown setting "address"`)},
		{[]string{"config-get", "--all", "port"}, usage(`cannot use argument --all together with key "port"`)},
		{[]string{"config-get", "a", "b"}, usage(`unrecognized args: ["b"]`)},
		{[]string{"is-leader", "now"}, usage(`unrecognized args: ["now"]`)},
		// state-*, juju-log
		{[]string{"state-get", "a", "b"}, usage(`unrecognized args: ["b"]`)},
		{[]string{"state-set", "novalue"}, usage(`expected "key=value", got "novalue"`)},
		{[]string{"state-delete", "a", "b"}, usage(`unrecognized args: ["b"]`)},
		{[]string{"juju-log"}, usage("no message specified")},
		// status-*: Juju 3's status-set takes no data argument
		{[]string{"status-set"}, usage("invalid args, require <status> [message]")},
		{[]string{"status-set", "idle"}, usage(`invalid status "idle", expected one of [maintenance blocked waiting active]`)},
		{[]string{"status-set", "active", "ok", "data"}, usage(`unrecognized args: ["data"]`)},
		{[]string{"status-get", "extra"}, usage(`unrecognized args: ["extra"]`)},
		// application-version-set
		{[]string{"application-version-set"}, usage("no version specified")},
		{[]string{"application-version-set", "1", "2"}, usage(`unrecognized args: ["2"]`)},
		// open-port, close-port: core/network.ParsePortRange
		{[]string{"open-port"}, usage("no port or range specified")},
		{[]string{"open-port", "80", "81"}, usage(`unrecognized args: ["81"]`)},
		{[]string{"open-port", "70000"}, usage("port range bounds must be between 0 and 65535, got 70000-70000")},
		{[]string{"open-port", "1-70000/udp"}, usage("port range bounds must be between 0 and 65535, got 1-70000")},
		{[]string{"open-port", "90-80"}, usage("invalid port range 90-80/tcp")},
		{[]string{"open-port", "1-2-3"}, usage(`invalid port range "1-2-3"`)},
		{[]string{"open-port", "80/xyz"}, usage(`invalid protocol "xyz", expected "tcp", "udp", or "icmp"`)},
		{[]string{"open-port", "80/ICMP"}, usage(`protocol "icmp" doesn't support any ports; got "80"`)},
		{[]string{"close-port", "abc"}, usage(`invalid port "abc": strconv.Atoi: parsing "abc": invalid syntax`)},
		{[]string{"close-port", "80-x"}, usage(`invalid port "x": strconv.Atoi: parsing "x": invalid syntax`)},
		{[]string{"close-port", "--endpoints"}, usage("option needs an argument: --endpoints")},
		{[]string{"opened-ports", "extra"}, usage(`unrecognized args: ["extra"]`)},
		// goal-state takes yaml and json only
		{[]string{"goal-state", "--format=smart"}, usage(`invalid value "smart" for option --format: unknown format "smart"`)},
		{[]string{"goal-state", "extra"}, usage(`unrecognized args: ["extra"]`)},
		// leader-*: leader-set parses as juju/utils keyvalues
		{[]string{"leader-get", "a=b"}, usage(`invalid key "a=b"`)},
		{[]string{"leader-get", "a", "b"}, usage(`unrecognized args: ["b"]`)},
		{[]string{"leader-set", "novalue"}, usage(`expected "key=value", got "novalue"`)},
		{[]string{"leader-set", " =v"}, usage(`expected "key=value", got "=v"`)},
		{[]string{"leader-set", "a=1", " a =2"}, usage(`key "a" specified more than once`)},
	}
	hookEnv := loadTranscript(t, "changed").HookEnv
	for _, tc := range tests {
		p := newInProc(t, baseModel(t), hookEnv)
		assert.Equal(t, tc.want, p.run(nil, tc.argv...), "%q", tc.argv)
	}
}

// The other tools a charm calls answer as Juju does, in one hook: ports
// opened and closed show in opened-ports at once, status-get shows
// status-set's, leader-get leader-set's.
func TestCharmTools(t *testing.T) {
	m := baseModel(t)
	m.Leader = true
	m.GoalUnits = map[string]string{"lb/0": "active", "lb/1": "waiting"}
	m.GoalRelations = map[string]map[string]string{"backends": {"shop": "joining", "shop/0": "active"}}
	p := newInProc(t, m, nil)
	ok := func(stdout string, argv ...string) {
		t.Helper()
		assert.Equal(t, result{stdout, "", 0}, p.run(nil, argv...), "%q", argv)
	}
	ok("", "open-port", "8080")
	ok("", "open-port", "8080/TCP") // already open: no change
	ok("", "open-port", "--endpoints", "website, site", "443/tcp")
	ok("", "open-port", "icmp")
	ok("", "open-port", "1000-1010/udp")
	// Juju's order: by protocol name, then by port
	ok(`["icmp","443/tcp","8080/tcp","1000-1010/udp"]`+"\n", "opened-ports", "--format=json")
	ok("icmp (*)\n443/tcp (site, website)\n8080/tcp (*)\n1000-1010/udp (*)\n", "opened-ports", "--endpoints")
	assert.Equal(t, result{"", `ERROR cannot open 8000-8099/tcp (unit "lb/0"): port range conflicts with 8080/tcp (unit "lb/0")` + "\n", 1},
		p.run(nil, "open-port", "8000-8099"))
	assert.Equal(t, result{"", `ERROR cannot close 1005/udp (unit "lb/0"): port range conflicts with 1000-1010/udp (unit "lb/0")` + "\n", 1},
		p.run(nil, "close-port", "1005/udp"))
	ok("", "close-port", "--endpoints", "website", "443/tcp")
	ok("", "close-port", "9999") // not open: no change
	ok("", "close-port", "icmp")
	ok("443/tcp\n8080/tcp\n1000-1010/udp\n", "opened-ports")
	assert.Equal(t, map[string][]string{"*": {"8080/tcp", "1000-1010/udp"}, "site": {"443/tcp"}}, p.model(t).OpenedPorts)
	assert.Equal(t, result{"", `--format flag deprecated for command "open-port"`, 0}, p.run(nil, "open-port", "--format=json", "8080"))

	ok("", "status-get")
	ok("", "status-set", "maintenance", "installing")
	ok("maintenance\n", "status-get")
	ok(`{"message":"installing","status":"maintenance","status-data":{}}`+"\n", "status-get", "--format=json", "--include-data")
	ok("message: installing\nstatus: maintenance\nstatus-data: {}\n", "status-get", "--include-data")
	ok("", "status-set", "--application", "active", "all good")
	ok("active\n", "status-get", "--application")
	ok(`{"application-status":{"status":"active","units":{"lb/0":{"status":"maintenance"}}}}`+"\n",
		"status-get", "--application", "--format=json")

	ok("", "application-version-set", "2.4.1")
	assert.Equal(t, "2.4.1", p.model(t).WorkloadVersion)

	ok(`{}`+"\n", "leader-get", "--format=json")
	ok("", "leader-set", "a=1", " b = two ", "", "c=")
	ok(`{"a":"1","b":"two"}`+"\n", "leader-get", "--format=json")
	ok("two\n", "leader-get", "b")
	ok("", "leader-set", "a=")
	ok(`{"b":"two"}`+"\n", "leader-get", "--format=json", "-")

	ok("units:\n  lb/0:\n    status: active\n  lb/1:\n    status: waiting\nrelations:\n  backends:\n    shop:\n      status: joining\n    shop/0:\n      status: active\n", "goal-state")
	ok(`{"units":{"lb/0":{"status":"active"},"lb/1":{"status":"waiting"}},"relations":{"backends":{"shop":{"status":"joining"},"shop/0":{"status":"active"}}}}`+"\n",
		"goal-state", "--format=json")

	ok(`{"uuid":"`+modelUUID+`"}`+"\n", "relation-model-get", "--format=json", "-r", "site:2")
	assert.Equal(t, result{"", "ERROR no relation id specified\n", 2},
		p.run(nil, "relation-model-get"), "outside a relation hook, as the model file's hook is none")
}

// relation-model-get answers the relation's remote model, else the
// hook's JUJU_MODEL_UUID; leader-set is the leader's alone.
func TestRelationModelAndLeadership(t *testing.T) {
	m := baseModel(t)
	r := m.Relations["site:2"]
	r.RemoteModelUUID = "0c1d2e3f-0000-4000-8000-000000000001"
	m.Relations["site:2"] = r
	p := newInProc(t, m, map[string]string{"JUJU_RELATION_ID": "backends:4", "JUJU_MODEL_UUID": "a-uuid"})
	assert.Equal(t, result{"uuid: a-uuid\n", "", 0}, p.run(nil, "relation-model-get"))
	assert.Equal(t, result{"uuid: " + r.RemoteModelUUID + "\n", "", 0}, p.run(nil, "relation-model-get", "-r", "2"))
	assert.Equal(t, result{"", "ERROR cannot write leadership settings: cannot write settings: not the leader\n", 1},
		p.run(nil, "leader-set", "a=1"))
	assert.Empty(t, p.model(t).LeaderSettings)
}

// Juju's hook tools that the simulator does not implement answer with an
// error saying so, in-process and as installed processes, never with a
// missing command.
func TestUnsimulatedToolsSaySo(t *testing.T) {
	s := Start(t, baseModel(t), nil)
	for _, name := range simtool.JujuNames() {
		if isImplemented(name) {
			continue
		}
		want := result{"", "ERROR " + name + " is a Juju hook tool that hook-tool-sim does not simulate (see docs/simulator.md)\n", 1}
		assert.Equal(t, want, runProcess(t, s, nil, name, "--help"), name)

		m := baseModel(t)
		var out, errOut bytes.Buffer
		code := m.Call(nil, nil, &out, &errOut, name)
		assert.Equal(t, want, result{out.String(), errOut.String(), code}, name)
	}
}

func isImplemented(name string) bool {
	_, ok := tools[name]
	return ok
}

// Opened ports, like relation data and charm state, are committed with
// the hook: RestoreWrites takes back a failed hook's. Status, workload
// version and leader settings reach Juju at once, and stay.
func TestRestoreWritesTakesPortsBack(t *testing.T) {
	m := baseModel(t)
	m.Leader = true
	m.OpenedPorts = map[string][]string{"*": {"80/tcp"}}
	before := m.Clone()
	for _, argv := range [][]string{
		{"open-port", "8080"}, {"close-port", "80"}, {"status-set", "blocked", "no db"},
		{"application-version-set", "9"}, {"leader-set", "k=v"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, m.Call(nil, nil, &out, &errOut, argv[0], argv[1:]...), errOut.String())
	}
	m.RestoreWrites(before)
	assert.Equal(t, map[string][]string{"*": {"80/tcp"}}, m.OpenedPorts)
	assert.Equal(t, &Status{Status: "blocked", Message: "no db"}, m.Status)
	assert.Equal(t, "9", m.WorkloadVersion)
	assert.Equal(t, map[string]string{"k": "v"}, m.LeaderSettings)
}

// A model whose opened ports are not Juju's port ranges is refused.
func TestValidateOpenedPorts(t *testing.T) {
	m := baseModel(t)
	m.OpenedPorts = map[string][]string{"*": {"80/tcp", "80", "http", "icmp"}}
	err := m.Validate()
	require.ErrorIs(t, err, ErrInvalidModel)
	assert.ErrorContains(t, err, `opened_ports "*": "80": write it as "80/tcp"`)
	assert.ErrorContains(t, err, `opened_ports "*": "http": invalid port "http"`)
	assert.NotContains(t, err.Error(), `"icmp"`)
}
