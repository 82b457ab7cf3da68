package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

func TestFlagsStateStore(t *testing.T) {
	t.Parallel()
	m := requirerModel(map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{"web/0": backend("10.0.0.1", "8080")}),
	})
	// A flag of the charm's own is kept and listed.
	m.State = map[string]string{"flag.custom.ready": "1"}
	dir := charmDir(t, "haproxy")
	sim := toolsim.Start(t, m, hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"}.env(m.Unit, dir))

	res := runSim(t, sim, "flags")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `["custom.ready","reverseproxy.available"]`+"\n", res.Stdout)
	assert.Empty(t, res.Stderr)
	got, err := sim.Model()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"flag.custom.ready": "1", "flag.reverseproxy.available": "1"}, got.State)
	assert.Equal(t, 1, countCalls(t, sim)["state-set"])

	// Nothing changed: the same answer, and no second write.
	res = runSim(t, sim, "flags", "--store", "state", "--format", "json")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `["custom.ready","reverseproxy.available"]`+"\n", res.Stdout)
	assert.Equal(t, 1, countCalls(t, sim)["state-set"])

	// The last unit departs: the flag is deleted from Juju's state and
	// the charm's own flag stays.
	sim.SetHookEnv(hook{name: "reverseproxy-relation-departed", relation: "reverseproxy:3",
		remoteUnit: "web/0", departing: "web/0"}.env(m.Unit, dir))
	res = runSim(t, sim, "flags")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `["custom.ready"]`+"\n", res.Stdout)
	got, err = sim.Model()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"flag.custom.ready": "1"}, got.State)
	assert.Equal(t, 1, countCalls(t, sim)["state-delete"])
}

func TestFlagsNotAvailable(t *testing.T) {
	t.Parallel()
	// Joined units without a port serve nothing yet: the requirer flag
	// stays down although units are there.
	sim := startSim(t, requirerModel(map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{"web/0": enteredScope("10.0.0.1")}),
	}), "haproxy", hook{name: "reverseproxy-relation-joined", relation: "reverseproxy:3", remoteUnit: "web/0"})
	res := runSim(t, sim, "flags")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, "[]\n", res.Stdout)
	got, err := sim.Model()
	require.NoError(t, err)
	assert.Empty(t, got.State)
	assert.Zero(t, countCalls(t, sim)["state-set"])
}

// TestFlagsFileStore follows a provider from joined to departed with the
// flags kept in the charm directory instead of Juju's state.
func TestFlagsFileStore(t *testing.T) {
	t.Parallel()
	dir := charmDir(t, "web")
	m := providerModel(map[string]toolsim.Relation{"website:3": relation("haproxy", webAddr, proxyUnits())})
	sim := toolsim.Start(t, m, hook{name: "website-relation-joined", relation: "website:3", remoteUnit: "haproxy/0"}.env(m.Unit, dir))
	stateFile := filepath.Join(dir, ".httprelation", "state.json")

	res := runSim(t, sim, "flags", "--store", "file")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `["website.available"]`+"\n", res.Stdout)
	assert.Equal(t, map[string]string{"flag.website.available": "1"}, readStateFile(t, stateFile))

	sim.SetHookEnv(hook{name: "website-relation-departed", relation: "website:3",
		remoteUnit: "haproxy/0", departing: "haproxy/0"}.env(m.Unit, dir))
	res = runSim(t, sim, "flags", "--store=file")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, "[]\n", res.Stdout)
	assert.Empty(t, readStateFile(t, stateFile))

	got, err := sim.Model()
	require.NoError(t, err)
	assert.Empty(t, got.State, "Juju's state is not used")
	calls := countCalls(t, sim)
	assert.Zero(t, calls["state-get"]+calls["state-set"])
}

func readStateFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func TestFlagsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		charm  string
		args   []string
		code   int
		stderr string
	}{
		{"no metadata", "", []string{"flags"}, 1, "http-relation: flags: read charm metadata: no metadata.yaml or charmcraft.yaml"},
		{"unknown store", "web", []string{"flags", "--store", "redis"}, 2, "http-relation flags: invalid value \"redis\" for flag -store"},
		{"argument", "web", []string{"flags", "website"}, 2, "http-relation flags: unexpected argument \"website\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, providerModel(twoProxies()), tt.charm, hook{})
			res := runSim(t, sim, tt.args...)
			assert.Equal(t, tt.code, res.ExitCode)
			assert.Contains(t, res.Stderr, tt.stderr)
			assert.Empty(t, res.Stdout)
		})
	}
}

// TestFlagsIncremental follows a requirer from a unit joining to it
// departing with `flags --incremental`, in each store: the flags are a
// full read's, the view lives in the same store as the flags, saved with
// them in one write, and a hook whose units the view holds reads no bag,
// whether services --incremental or flags --incremental runs first.
func TestFlagsIncremental(t *testing.T) {
	t.Parallel()
	for _, store := range []string{storeState, storeFile} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			m := requirerModel(map[string]toolsim.Relation{
				"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{"web/0": enteredScope("10.0.0.1")}),
			})
			dir := charmDir(t, "haproxy")
			sim := toolsim.Start(t, m, nil)
			stored := func() map[string]string {
				if store == storeFile {
					return readStateFile(t, filepath.Join(dir, ".httprelation", "state.json"))
				}
				got, err := sim.Model()
				require.NoError(t, err)
				return got.State
			}
			flags := []string{"flags", "--incremental", "--store", store}
			services := []string{"services", "--incremental", "--store", store, "reverseproxy"}
			steps := []struct {
				h     hook
				edit  func(m *toolsim.Model)
				cmds  [][]string
				want  string // what flags prints
				gets  int    // relation-get calls of the hook
				saves int    // state-set calls of the hook
			}{
				{h: hook{name: "reverseproxy-relation-joined", relation: "reverseproxy:3", remoteUnit: "web/0"},
					cmds: [][]string{flags}, want: "[]\n", gets: 1, saves: 1},
				{h: hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"},
					edit: func(m *toolsim.Model) { m.Relations["reverseproxy:3"].Units["web/0"] = backend("10.0.0.1", "8080") },
					cmds: [][]string{flags}, want: `["reverseproxy.available"]` + "\n", gets: 1, saves: 1},
				{h: hook{name: "config-changed"}, cmds: [][]string{services, flags}, want: `["reverseproxy.available"]` + "\n"},
				{h: hook{name: "update-status"}, cmds: [][]string{flags, services}, want: `["reverseproxy.available"]` + "\n"},
				{h: hook{name: "reverseproxy-relation-departed", relation: "reverseproxy:3", remoteUnit: "web/0", departing: "web/0"},
					cmds: [][]string{flags}, want: "[]\n", saves: 1},
			}
			for i, step := range steps {
				if step.edit != nil {
					m, err := sim.Model()
					require.NoError(t, err)
					step.edit(m)
					require.NoError(t, m.WriteFile(sim.ModelPath))
				}
				run := runHook(t, sim, dir, step.h, step.cmds...)
				at := slices.IndexFunc(step.cmds, func(args []string) bool { return args[0] == "flags" })
				assert.Equal(t, step.want, run.stdout[at], "step %d", i)
				assert.Equal(t, step.gets, run.calls["relation-get"], "step %d", i)
				if store == storeState {
					assert.Equal(t, step.saves, run.calls["state-set"], "step %d: view and flags in one write", i)
				} else {
					assert.Zero(t, run.calls["state-get"]+run.calls["state-set"], "step %d", i)
				}
				state := stored()
				assert.Contains(t, state, "view.reverseproxy.0", "step %d: the view is in the flags' store", i)
				assert.Equal(t, step.want != "[]\n", state["flag.reverseproxy.available"] == "1", "step %d", i)
			}
		})
	}
}
