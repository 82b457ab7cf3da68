package toolsim

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/simtool"
)

func TestToolAnswers(t *testing.T) {
	m := baseModel(t)
	m.Config["nothing"] = nil
	m.Config["name"] = "lb & co"
	m.PublicAddress = ""
	m.Networks["bare"] = Network{BindAddresses: []BindAddress{{InterfaceName: "eth1"}}}
	p := newInProc(t, m, nil)
	tests := []struct {
		argv []string
		want result
	}{
		// option syntax
		{[]string{"relation-list", "-r4"}, result{"shop/0\nshop/3\n", "", 0}},
		// "-r=ID": gnuflag keeps the "=", and Juju reads the id by the
		// number after its last colon, so "=4" is no relation id
		{[]string{"relation-list", "-r=4"}, result{"", "ERROR invalid value \"=4\" for option -r: invalid relation id\n", 2}},
		{[]string{"relation-list", "-r=backends:4"}, result{"shop/0\nshop/3\n", "", 0}},
		{[]string{"relation-list", "--relation=4"}, result{"shop/0\nshop/3\n", "", 0}},
		{[]string{"relation-list", "-r=backends:99"}, result{"", "ERROR invalid value \"=backends:99\" for option -r: relation not found\n", 2}},
		{[]string{"relation-list", "--relation", "x:4"}, result{"shop/0\nshop/3\n", "", 0}},
		{[]string{"relation-list", "--relation=backends:4", "--app"}, result{"shop\n", "", 0}},
		{[]string{"relation-list", "-r", "4", "--app=false", "--format", "json"}, result{`["shop/0","shop/3"]` + "\n", "", 0}},
		{[]string{"relation-list", "-r", "4", "--", "x"}, result{"", "ERROR unrecognized args: [\"x\"]\n", 2}},
		{[]string{"relation-list", "-r"}, result{"", "ERROR option needs an argument: -r\n", 2}},
		{[]string{"relation-list", "--bogus"}, result{"", "ERROR option provided but not defined: --bogus\n", 2}},
		{[]string{"relation-list", "-x"}, result{"", "ERROR option provided but not defined: -x\n", 2}},
		{[]string{"relation-list", "-r", "4", "--format=xml"}, result{"", "ERROR invalid value \"xml\" for option --format: unknown format \"xml\"\n", 2}},
		{[]string{"relation-list", "-r", "4", "--app=maybe"}, result{"", "ERROR invalid value \"maybe\" for option --app: strconv.ParseBool: parsing \"maybe\": invalid syntax\n", 2}},
		{[]string{"relation-list", "-r", "-3"}, result{"", "ERROR invalid value \"-3\" for option -r: relation not found\n", 2}},
		{[]string{"relation-ids", "--format=json"}, result{"", "ERROR no relation name specified\n", 2}},
		{[]string{"relation-ids", "nosuch"}, result{"", "", 0}},
		{[]string{"relation-ids", "--format=yaml", "backends"}, result{"- backends:11\n- backends:4\n", "", 0}},
		// network-get
		{[]string{"network-get", "site", "--bind-address"}, result{"172.20.0.5\n", "", 0}},
		{[]string{"network-get", "site", "--egress-subnets"}, result{"172.20.0.5/32\n", "", 0}},
		{[]string{"network-get", "site", "--primary-address"}, result{"172.20.0.5\n", "", 0}},
		{[]string{"network-get", "--format=json", "site", "--ingress-address", "--egress-subnets", "--bind-address"},
			result{`{"bind-address":"172.20.0.5","egress-subnets":["172.20.0.5/32"],"ingress-address":"172.20.0.5"}` + "\n", "", 0}},
		{[]string{"network-get", "site", "--primary-address", "--bind-address"}, result{"", "ERROR --primary-address must be the only flag specified\n", 1}},
		{[]string{"network-get", "bare", "--ingress-address"}, result{"", "ERROR no addresses attached to space for binding \"bare\"\n", 1}},
		{[]string{"network-get", "-r", "9", "site"}, result{"", "ERROR invalid value \"9\" for option -r: relation not found\n", 2}},
		{[]string{"network-get", "site", "extra"}, result{"", "ERROR unrecognized args: [\"extra\"]\n", 2}},
		// unit-get
		{[]string{"unit-get", "public-address"}, result{"", "ERROR public address not found\n", 1}},
		{[]string{"unit-get"}, result{"", "ERROR no setting specified\n", 2}},
		{[]string{"unit-get", "address"}, result{"", "ERROR unknown setting \"address\"\n", 2}},
		// config-get
		{[]string{"config-get"}, result{"name: lb & co\nport: 8080\n", "", 0}},
		{[]string{"config-get", "--format=json"}, result{`{"name":"lb \u0026 co","port":8080}` + "\n", "", 0}},
		{[]string{"config-get", "--format=json", "--all"}, result{`{"name":"lb \u0026 co","nothing":null,"port":8080}` + "\n", "", 0}},
		{[]string{"config-get", "port"}, result{"8080\n", "", 0}},
		{[]string{"config-get", "--format=json", "missing"}, result{"null\n", "", 0}},
		{[]string{"config-get", "missing"}, result{"", "", 0}},
		{[]string{"config-get", "-a", "port"}, result{"", "ERROR cannot use argument --all together with key \"port\"\n", 2}},
		// is-leader
		{[]string{"is-leader", "--format=yaml"}, result{"false\n", "", 0}},
		{[]string{"is-leader", "now"}, result{"", "ERROR unrecognized args: [\"now\"]\n", 2}},
		// juju-log
		{[]string{"juju-log"}, result{"", "ERROR no message specified\n", 2}},
		{[]string{"juju-log", "--format=json", "hi"}, result{"", `--format flag deprecated for command "juju-log"`, 0}},
		// status-set
		{[]string{"status-set"}, result{"", "ERROR invalid args, require <status> [message]\n", 2}},
		{[]string{"status-set", "idle"}, result{"", "ERROR invalid status \"idle\", expected one of [maintenance blocked waiting active]\n", 2}},
		{[]string{"status-set", "--application", "active"}, result{"", "ERROR this unit is not the leader\n", 1}},
		{[]string{"status-set", "active", "ok", "more"}, result{"", "ERROR unrecognized args: [\"more\"]\n", 2}},
		// help
		{[]string{"relation-get", "--help"}, result{"Usage: relation-get [options] [<key> [<unit id>]]\n", "", 0}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, p.run(nil, tc.argv...), "%q", tc.argv)
	}
}

func TestStateTools(t *testing.T) {
	p := newInProc(t, baseModel(t), nil)
	run := func(stdin *string, argv ...string) result { return p.run(stdin, argv...) }

	assert.Equal(t, result{"", "", 0}, run(nil, "state-get"), "empty state prints nothing")
	assert.Equal(t, result{"", "", 0}, run(nil, "state-get", "k"), "missing key prints an empty string")
	require.Equal(t, result{"", "", 0}, run(nil, "state-set", "a=1", "b=x=y"))
	require.Equal(t, result{"", "", 0}, run(ptr("c: yes\nd: \"\"\n"), "state-set", "--file", "-", "b=2"))
	// state-set stores an empty value as it is (jujuc calls
	// SetCharmStateValue(k, "")); only state-delete removes a key.
	assert.Equal(t, result{"a: \"1\"\nb: \"2\"\nc: \"yes\"\nd: \"\"\n", "", 0}, run(nil, "state-get"))
	assert.Equal(t, result{"2\n", "", 0}, run(nil, "state-get", "--strict", "b"))
	assert.Equal(t, result{`{"a":"1","b":"2","c":"yes","d":""}` + "\n", "", 0}, run(nil, "state-get", "--format=json", "-"))

	require.Equal(t, result{"", "", 0}, run(nil, "state-set", "a="))
	assert.Equal(t, map[string]string{"a": "", "b": "2", "c": "yes", "d": ""}, p.model(t).State)
	assert.Equal(t, result{"", "", 0}, run(nil, "state-get", "--strict", "a"), "an empty value is still stored")
	require.Equal(t, result{"", "", 0}, run(nil, "state-delete", "a"))
	require.Equal(t, result{"", "", 0}, run(nil, "state-delete", "d"))
	assert.Equal(t, result{"", "", 0}, run(nil, "state-delete", "missing"), "deleting a missing key is no error")
	assert.Equal(t, result{"", "", 0}, run(nil, "state-delete"), "no key: Juju does nothing")
	assert.Equal(t, result{"", "ERROR \"a\" not found\n", 1}, run(nil, "state-get", "--strict", "a"))
	assert.Equal(t, map[string]string{"b": "2", "c": "yes"}, p.model(t).State)
	assert.Equal(t, result{"", "ERROR unrecognized args: [\"c\"]\n", 2}, run(nil, "state-delete", "b", "c"))
	assert.Equal(t, result{"", "ERROR option provided but not defined: --file\n", 2}, run(nil, "state-delete", "--file", "-"))
	assert.Equal(t, map[string]string{"b": "2", "c": "yes"}, p.model(t).State)

	tooLongKey := strings.Repeat("k", maxStateKeySize+1) + "=v"
	assert.Equal(t, result{"", "ERROR max allowed key length (256) exceeded\n", 1}, run(nil, "state-set", tooLongKey))
	tooLongValue := "k=" + strings.Repeat("v", maxStateValueSize+1)
	assert.Equal(t, result{"", "ERROR max allowed value length (65536) exceeded\n", 1}, run(nil, "state-set", tooLongValue))
	maxValue := "big=" + strings.Repeat("v", maxStateValueSize)
	assert.Equal(t, result{"", "", 0}, run(nil, "state-set", maxValue))
	assert.Equal(t, result{"", "ERROR key \"x\" specified more than once\n", 2}, run(nil, "state-set", "x=1", "x=1"))
	assert.Equal(t, result{"", "ERROR unrecognized args: [\"b\"]\n", 2}, run(nil, "state-get", "a", "b"))
}

func TestWritesPersist(t *testing.T) {
	m := baseModel(t)
	m.Leader = true
	p := newInProc(t, m, map[string]string{"JUJU_RELATION_ID": "backends:4"})
	for _, argv := range [][]string{
		{"juju-log", "-l", "warn", "careful"},
		{"juju-log", "--debug", "details", "here"},
		{"juju-log", "-l", "nonsense", "plain"},
		{"status-set", "maintenance", "installing"},
		{"status-set", "--application", "active"},
	} {
		require.Equal(t, result{"", "", 0}, p.run(nil, argv...), "%q", argv)
	}
	got := p.model(t)
	assert.Equal(t, []string{
		"WARNING backends:4: careful", "DEBUG backends:4: details here", "INFO backends:4: plain",
	}, got.Log)
	assert.Equal(t, &Status{Status: "maintenance", Message: "installing"}, got.Status)
	assert.Equal(t, &Status{Status: "active"}, got.AppStatus)
}

func TestSimulatorSetupErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	code, ok := RunTool("relation-ids", []string{"x"}, func(string) string { return "" }, nil, &out, &errOut)
	assert.True(t, ok)
	assert.Equal(t, 1, code)
	assert.Equal(t, "ERROR TOOLSIM_MODEL is not set\n", errOut.String())

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{not json"), 0o644))
	errOut.Reset()
	code, _ = RunTool("relation-ids", []string{"x"}, func(k string) string { return map[string]string{"TOOLSIM_MODEL": bad}[k] }, nil, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "ERROR decode model:")

	p := newInProc(t, baseModel(t), map[string]string{"TOOLSIM_LATENCY_MS": "soon"})
	assert.Equal(t, result{"", "ERROR invalid TOOLSIM_LATENCY_MS \"soon\"\n", 1}, p.run(nil, "is-leader"))
}

// RunTool answers as a tool when the binary runs under a tool's name, or
// when the first argument names one; anything else it leaves to the
// command line, untouched.
func TestRunTool(t *testing.T) {
	p := newInProc(t, baseModel(t), nil)
	getenv := func(k string) string { return p.env[k] }
	for _, tc := range []struct {
		argv0 string
		args  []string
		ok    bool
	}{
		{"/tmp/bin/is-leader", []string{"--format=json"}, true},
		{"is-leader", []string{"--format=json"}, true},
		{"/usr/local/bin/hook-tool-sim", []string{"is-leader", "--format=json"}, true},
		{"/usr/local/bin/hook-tool-sim", nil, false},
		{"/usr/local/bin/hook-tool-sim", []string{"install", "is-leader"}, false},
		{"/usr/local/bin/hook-tool-sim", []string{"frobnicate"}, false},
		{"hook-tool-sim", []string{"--help"}, false},
	} {
		var out, errOut bytes.Buffer
		code, ok := RunTool(tc.argv0, tc.args, getenv, nil, &out, &errOut)
		assert.Equal(t, tc.ok, ok, "%s %q", tc.argv0, tc.args)
		if !tc.ok {
			assert.Zero(t, code)
			assert.Zero(t, out.Len()+errOut.Len(), "nothing ran for %s %q", tc.argv0, tc.args)
			continue
		}
		assert.Equal(t, 0, code, errOut.String())
		assert.Equal(t, "false\n", out.String())
	}
	assert.Len(t, p.calls(t), 3)
}

// The names the simulator installs are exactly the tools it implements.
func TestToolNamesAreImplemented(t *testing.T) {
	assert.ElementsMatch(t, simtool.Names(), slices.Collect(maps.Keys(tools)))
}

func TestLatency(t *testing.T) {
	m := baseModel(t)
	m.LatencyMS = 120
	p := newInProc(t, m, nil)

	start := time.Now()
	require.Equal(t, 0, p.run(nil, "is-leader").exit)
	assert.GreaterOrEqual(t, time.Since(start), 120*time.Millisecond, "model latency_ms")

	p.env["TOOLSIM_LATENCY_MS"] = "0"
	start = time.Now()
	require.Equal(t, 0, p.run(nil, "is-leader").exit)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "TOOLSIM_LATENCY_MS overrides the model")

	p.env["TOOLSIM_LATENCY_MS"] = "60"
	require.Equal(t, 0, p.run(nil, "state-set", "a=b").exit)
	calls := p.calls(t)
	require.Len(t, calls, 3)
	assert.GreaterOrEqual(t, calls[2].Duration, 60*time.Millisecond, "writes sleep too, and the log records it")
}

func TestModelRoundTrip(t *testing.T) {
	for _, name := range transcriptNames {
		tr := loadTranscript(t, name)
		m := tr.model(t)
		path := filepath.Join(t.TempDir(), "model.json")
		require.NoError(t, m.WriteFile(path))
		back, err := loadModel(path)
		require.NoError(t, err)
		assert.Equal(t, m, back, name)

		// The file keeps the transcript's own JSON, field for field.
		var want, got any
		require.NoError(t, json.Unmarshal(tr.Model, &want))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &got))
		assert.Equal(t, want, got, name)
	}
}
