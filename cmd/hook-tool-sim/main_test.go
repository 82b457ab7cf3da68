package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/charmtest"
	"github.com/charmkit/httprelation/internal/gobuild"
	"github.com/charmkit/httprelation/internal/simtool"
	"github.com/charmkit/httprelation/toolsim"
)

// simBinary is this command, built once for the tests that run it as a
// process.
var simBinary string

func TestMain(m *testing.M) { os.Exit(toolsim.TestMain(m, &simBinary)) }

// testCharm builds toolsim's test charm, which prints what its hook sees
// and fails when TEST_FAIL names the hook, once per test process.
var testCharm = gobuild.Once("github.com/charmkit/httprelation/toolsim/testdata/charm")

func charmBinary(t *testing.T) string {
	t.Helper()
	bin, err := testCharm()
	require.NoError(t, err)
	return bin
}

// writeModel writes a model of one relation, proxy:1 with web, to a model
// file in a fresh directory and returns the file's path.
func writeModel(t *testing.T, charmDir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.json")
	m := &toolsim.Model{
		Unit:           "lb/0",
		CharmDir:       charmDir,
		PrivateAddress: "10.0.0.9",
		Config:         map[string]any{"port": json.Number("80")},
		Relations:      map[string]toolsim.Relation{"proxy:1": {RemoteApp: "web", RemoteEndpoint: "website", Local: map[string]string{}}},
	}
	require.NoError(t, m.WriteFile(path))
	return path
}

func TestCommands(t *testing.T) {
	env := func(string) string { return "" }
	tests := []struct {
		args    []string
		code    int
		out     string
		errText string
	}{
		{nil, 2, "", "Usage: hook-tool-sim install DIR"},
		{[]string{"--help"}, 0, "Usage: hook-tool-sim install DIR", ""},
		{[]string{"help"}, 0, "Tools: relation-ids, relation-list,", ""},
		{[]string{"frobnicate"}, 2, "", "ERROR unknown command \"frobnicate\"\n"},
		{[]string{"install"}, 2, "", "ERROR usage: hook-tool-sim install DIR\n"},
		{[]string{"is-leader"}, 1, "", "ERROR TOOLSIM_MODEL is not set\n"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run("/usr/local/bin/hook-tool-sim", tc.args, env, nil, &out, &errOut)
		assert.Equal(t, tc.code, code, "%q", tc.args)
		assert.Contains(t, out.String(), tc.out, "%q", tc.args)
		assert.Contains(t, errOut.String(), tc.errText, "%q", tc.args)
	}
}

// "hook-tool-sim install DIR" links every Juju hook tool to the binary,
// which then answers under the tool's name (a tool it does not simulate
// with an error, not a missing command); "hook-tool-sim TOOL ARGS" works
// without links.
func TestInstallCommand(t *testing.T) {
	t.Parallel()
	model := writeModel(t, "")
	dir := filepath.Join(t.TempDir(), "tools")
	res := charmtest.RunEnv(t, os.Environ(), simBinary, "install", dir)
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	for _, tool := range simtool.JujuNames() {
		target, err := os.Readlink(filepath.Join(dir, tool))
		require.NoError(t, err, tool)
		assert.Equal(t, simBinary, target, tool)
	}
	res = charmtest.RunEnv(t, os.Environ(), simBinary, "install", dir)
	require.Equal(t, 0, res.ExitCode, "installing again replaces the links: %s", res.Stderr)

	env := []string{"TOOLSIM_MODEL=" + model}
	for _, argv := range [][]string{
		{filepath.Join(dir, "unit-get"), "private-address"},
		{simBinary, "unit-get", "private-address"},
	} {
		res = charmtest.RunEnv(t, env, argv[0], argv[1:]...)
		assert.Equal(t, toolsim.Result{Stdout: "10.0.0.9\n"}, res, "%q", argv)
	}
	res = charmtest.RunEnv(t, env, filepath.Join(dir, "secret-get"), "secret:x")
	assert.Equal(t, toolsim.Result{ExitCode: 1,
		Stderr: "ERROR secret-get is a Juju hook tool that hook-tool-sim does not simulate (see docs/simulator.md)\n"}, res)

	res = charmtest.RunEnv(t, os.Environ(), simBinary, "install", model+"/tools")
	assert.Equal(t, 1, res.ExitCode)
	assert.Contains(t, res.Stderr, "ERROR install: ")
}

// hook-tool-sim fire runs the events from the command line against a
// model file.
func TestFireCommand(t *testing.T) {
	t.Parallel()
	charm := charmBinary(t)
	model := writeModel(t, "")
	env := append(os.Environ(), "TOOLSIM_MODEL="+model, "TOOLSIM_LOG="+filepath.Join(filepath.Dir(model), "calls.jsonl"))

	res := charmtest.RunEnv(t, env, simBinary, "fire", charm, "join", "proxy:1", "web/3", "private-address=10.0.0.3", "port=80")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stderr, "hook-tool-sim: proxy-relation-joined: exit status 0\n")
	assert.Contains(t, res.Stderr, "hook-tool-sim: proxy-relation-changed: exit status 0\n")
	assert.Equal(t, 2, strings.Count(res.Stdout, "\n"), "the charm's output passes through")

	res = charmtest.RunEnv(t, env, simBinary, "fire", "-model", model, charm, "config", "port=8081", "name=web site", "debug=true", "gone=null")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	m, err := toolsim.ReadModel(model)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"port": json.Number("8081"), "name": "web site", "debug": true}, m.Config, "gone=null resets gone")
	assert.Equal(t, map[string]string{"private-address": "10.0.0.3", "port": "80", "ingress-address": "10.0.0.3",
		"egress-subnets": "10.0.0.3/32"}, m.Relations["proxy:1"].Units["web/3"], "Juju adds a joining unit's addresses")

	res = charmtest.RunEnv(t, append(env, "TEST_FAIL=proxy-relation-departed"), simBinary, "fire", charm, "depart", "proxy:1", "web/3")
	assert.Equal(t, 1, res.ExitCode)
	assert.Contains(t, res.Stderr, "failing as asked")

	for _, args := range [][]string{
		{"fire"}, {"fire", charm}, {"fire", charm, "join", "proxy:1"}, {"fire", charm, "change", "proxy:1", "web/3"},
		{"fire", charm, "depart", "proxy:1"}, {"fire", charm, "config"}, {"fire", charm, "config", "novalue"},
		{"fire", charm, "bogus"}, {"fire", charm, "hook"}, {"fire", "-x", charm, "hook", "start"},
		{"fire", charm, "join", "proxy:1", "web/3"}, // already joined: the event does not fit
	} {
		res := charmtest.RunEnv(t, env, simBinary, args...)
		assert.Equal(t, 2, res.ExitCode, "%q: %s", args, res.Stderr)
		assert.Contains(t, res.Stderr, "ERROR ", "%q", args)
	}
	res = charmtest.RunEnv(t, env, simBinary, "fire", "-h")
	assert.Equal(t, 0, res.ExitCode)
	assert.Contains(t, res.Stdout, "remove-relation REL")
}

// hook-tool-sim fire config reads each value by its option's type, as juju
// config reads its command line, and config-get in the hook process
// answers the defaults of what is not set.
func TestFireConfigCommandFollowsTheCharm(t *testing.T) {
	t.Parallel()
	charm := charmBinary(t)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"metadata.yaml": "name: lb\n",
		"config.yaml": "options:\n  port: {type: int, default: 8080, description: where to serve}\n" +
			"  name: {type: string, default: web}\n  ratio: {type: float, default: 1.5}\n  debug: {type: boolean}\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	model := writeModel(t, dir)
	m, err := toolsim.ReadModel(model)
	require.NoError(t, err)
	m.Config = nil
	require.NoError(t, m.WriteFile(model))
	env := append(os.Environ(), "TOOLSIM_MODEL="+model)

	res := charmtest.RunEnv(t, env, simBinary, "fire", charm, "config", "port=9093", "name=8080", "debug=true")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stdout, `"config":{"debug":true,"name":"8080","port":9093,"ratio":1.5}`, "what config-get told the hook")
	got, err := toolsim.ReadModel(model)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"port": json.Number("9093"), "name": "8080", "debug": true}, got.Config)

	res = charmtest.RunEnv(t, env, simBinary, "fire", charm, "config", "port=null")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stdout, `"port":8080`)

	res = charmtest.RunEnv(t, env, simBinary, "fire", charm, "config", "port=http")
	assert.Equal(t, 2, res.ExitCode)
	assert.Contains(t, res.Stderr, `ERROR change config port: invalid model: option "port" expected int, got "http"`)
}
