package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// deployment drives `http-relation services --incremental reverseproxy`
// as the hook of haproxy/0 through a sequence of hooks, each a process
// under the simulator, and checks every hook against a full read of the
// same model and against the tool-call bound.
type deployment struct {
	t     *testing.T
	sim   *toolsim.Sim
	dir   string // the charm directory
	store string
	// warm is false until a hook has saved a view, and again after the
	// store was lost: such a hook reads every unit once.
	warm bool
	// warnings counts the bad-entry warnings of all hooks.
	warnings int
}

func newDeployment(t *testing.T, store string) *deployment {
	m := requirerModel(map[string]toolsim.Relation{})
	dir := charmDir(t, "haproxy")
	return &deployment{t: t, sim: toolsim.Start(t, m, hook{}.env(m.Unit, dir)), dir: dir, store: store}
}

// edit changes the model between hooks, as the remote side does.
func (d *deployment) edit(change func(m *toolsim.Model)) {
	m, err := d.sim.Model()
	require.NoError(d.t, err)
	change(m)
	require.NoError(d.t, m.WriteFile(d.sim.ModelPath))
}

// fire runs the hook h and returns the calls it made by tool. wantExit 0
// also checks the answer against a full read.
func (d *deployment) fire(h hook, wantExit int) map[string]int {
	t := d.t
	before, err := calllog.Read(d.sim.LogPath)
	require.NoError(t, err)
	d.sim.SetHookEnv(h.env("haproxy/0", d.dir))
	res := runSim(t, d.sim, "services", "--incremental", "--store", d.store, "reverseproxy")
	require.Equal(t, wantExit, res.ExitCode, "%+v: stderr: %s", h, res.Stderr)
	after, err := calllog.Read(d.sim.LogPath)
	require.NoError(t, err)
	calls := map[string]int{}
	for _, c := range after[len(before):] {
		calls[c.Tool]++
	}
	if wantExit != 0 {
		return calls
	}
	m, err := d.sim.Model()
	require.NoError(t, err)
	assert.Equal(t, fullReadJSON(t, m, h), libraryJSON(t, res.Stdout), "%+v", h)
	live := 0
	for id := range m.Relations {
		if !(strings.HasSuffix(h.name, "-relation-broken") && id == h.relation) {
			live++
		}
	}
	assert.Equal(t, 1, calls["relation-ids"], "%+v", h)
	assert.Equal(t, live, calls["relation-list"], "%+v", h)
	assert.Equal(t, 1, calls["state-get"]+boolInt(d.store == storeFile), "%+v", h)
	assert.LessOrEqual(t, calls["state-set"], 1, "%+v", h)
	assert.Zero(t, calls["state-delete"], "%+v", h)
	d.warnings += strings.Count(res.Stderr, "ignoring invalid remote data")
	if d.warm {
		total := 0
		for _, n := range calls {
			total += n
		}
		assert.LessOrEqual(t, total, 4+live, "%+v: %v", h, calls)
		wantGets := 0
		if h.remoteUnit != "" && !strings.HasSuffix(h.name, "-relation-departed") {
			wantGets = 1
		}
		assert.Equal(t, wantGets, calls["relation-get"], "%+v", h)
		// A bad entry is logged when its unit is read: in its own hook.
		for _, line := range strings.Split(strings.TrimSpace(res.Stderr), "\n") {
			if strings.Contains(line, "ignoring invalid remote data") {
				assert.Contains(t, line, " unit="+h.remoteUnit+" ", "%+v", h)
			}
		}
	}
	d.warm = true
	return calls
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fullReadJSON is what `services` prints for a full read of m in hook h,
// computed in memory.
func fullReadJSON(t *testing.T, m *toolsim.Model, h hook) string {
	m.Hook = toolsim.Hook{Name: h.name, RelationID: h.relation, RemoteUnit: h.remoteUnit, RemoteApp: h.remoteApp, DepartingUnit: h.departing}
	m.Faults = nil
	services, err := httprelation.NewRequires(httprelationtest.New(t, m).Unit().Accessor, "reverseproxy",
		httprelation.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))).Services(context.Background())
	require.NoError(t, err)
	out, err := json.Marshal(services)
	require.NoError(t, err)
	return string(out) + "\n"
}

// unitBag is backend u's bag: every seventh has a bad port, every
// eleventh a virtual IP.
func unitBag(u int) map[string]string {
	addr := fmt.Sprintf("10.0.%d.%d", u/250, 1+u%250)
	bag := backend(addr, "8080")
	if u%7 == 3 {
		bag["port"] = "http"
	}
	if u%11 == 0 {
		bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.9.0.%d","private-address":"10.9.0.%d","port":80}]`, u, u)
	}
	return bag
}

// TestIncrementalDeployment deploys 50 backends over two relations, one
// by one (joined, changed), then changes data, fails a hook, runs other
// hooks, loses the state, departs units and removes a relation: every
// hook prints what a full read prints, with at most 4 + R tool calls.
func TestIncrementalDeployment(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, storeState)
	rels := map[string]string{"reverseproxy:3": "web", "reverseproxy:12": "api"}
	d.edit(func(m *toolsim.Model) {
		for id, app := range rels {
			m.Relations[id] = relation(app, proxyAddr, nil)
		}
	})
	d.fire(hook{name: "config-changed"}, 0)
	for u := range 50 {
		id := "reverseproxy:3"
		if u%10 == 9 {
			id = "reverseproxy:12"
		}
		unit := fmt.Sprintf("%s/%d", rels[id], u)
		addr := fmt.Sprintf("10.0.%d.%d", u/250, 1+u%250)
		d.edit(func(m *toolsim.Model) { m.Relations[id].Units[unit] = enteredScope(addr) })
		d.fire(hook{name: "reverseproxy-relation-joined", relation: id, remoteUnit: unit}, 0)
		d.edit(func(m *toolsim.Model) { m.Relations[id].Units[unit] = unitBag(u) })
		d.fire(hook{name: "reverseproxy-relation-changed", relation: id, remoteUnit: unit}, 0)
	}

	// A backend moves, and one fixes its port.
	d.edit(func(m *toolsim.Model) {
		m.Relations["reverseproxy:3"].Units["web/7"] = backend("10.0.7.7", "9090")
	})
	d.fire(hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/7"}, 0)
	d.edit(func(m *toolsim.Model) { m.Relations["reverseproxy:3"].Units["web/3"] = backend("10.0.3.3", "80") })

	// That hook fails at its end (its state-set fails): nothing is
	// saved, and Juju's retry reads the unit again.
	d.edit(func(m *toolsim.Model) {
		m.Faults = map[string]toolsim.Fault{"state-set": {Exit: 1, Stderr: "ERROR connection lost\n"}}
	})
	d.fire(hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/3"}, 1)
	d.edit(func(m *toolsim.Model) { m.Faults = nil })
	d.fire(hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/3"}, 0)

	for _, name := range []string{"config-changed", "update-status", "leader-elected", ""} {
		calls := d.fire(hook{name: name}, 0)
		assert.Zero(t, calls["relation-get"], name)
		assert.Zero(t, calls["state-set"], "%s: nothing changed, nothing written", name)
	}

	// The state is lost: the next hook reads every unit once.
	d.edit(func(m *toolsim.Model) { m.State = map[string]string{} })
	d.warm = false
	calls := d.fire(hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"}, 0)
	assert.Equal(t, 50, calls["relation-get"])
	// Seven bad ports, each logged in its changed hook, then the six
	// still bad once more by the full read; none in the other hooks.
	assert.Equal(t, 7+6, d.warnings)

	// web/5 departs; then the api relation is removed.
	d.fire(hook{name: "reverseproxy-relation-departed", relation: "reverseproxy:3", remoteUnit: "web/5", departing: "web/5"}, 0)
	d.edit(func(m *toolsim.Model) { delete(m.Relations["reverseproxy:3"].Units, "web/5") })
	for _, u := range []int{9, 19, 29, 39, 49} {
		unit := fmt.Sprintf("api/%d", u)
		d.fire(hook{name: "reverseproxy-relation-departed", relation: "reverseproxy:12", remoteUnit: unit, departing: unit}, 0)
		d.edit(func(m *toolsim.Model) { delete(m.Relations["reverseproxy:12"].Units, unit) })
	}
	d.fire(hook{name: "reverseproxy-relation-broken", relation: "reverseproxy:12", remoteApp: "api"}, 0)
	d.edit(func(m *toolsim.Model) { delete(m.Relations, "reverseproxy:12") })
	d.fire(hook{name: "update-status"}, 0)

	m, err := d.sim.Model()
	require.NoError(t, err)
	assert.Contains(t, m.State, "view.reverseproxy.0")
	assert.Less(t, len(m.State["view.reverseproxy.0"]), 4096)
}

// TestIncrementalFileStore: with --store file the view lives in the
// charm directory, and losing the file costs one full read.
func TestIncrementalFileStore(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, storeFile)
	d.edit(func(m *toolsim.Model) {
		m.Relations["reverseproxy:3"] = relation("web", proxyAddr, map[string]map[string]string{
			"web/0": backend("10.0.0.1", "80"), "web/1": backend("10.0.0.2", "80"),
		})
	})
	calls := d.fire(hook{name: "install"}, 0)
	assert.Equal(t, 2, calls["relation-get"])
	d.edit(func(m *toolsim.Model) { m.Relations["reverseproxy:3"].Units["web/2"] = backend("10.0.0.3", "80") })
	d.fire(hook{name: "reverseproxy-relation-joined", relation: "reverseproxy:3", remoteUnit: "web/2"}, 0)
	path := filepath.Join(d.dir, ".httprelation", "state.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "view.reverseproxy.0")
	m, err := d.sim.Model()
	require.NoError(t, err)
	assert.Empty(t, m.State, "nothing in Juju's state")

	require.NoError(t, os.Remove(path))
	d.warm = false
	calls = d.fire(hook{name: "config-changed"}, 0)
	assert.Equal(t, 3, calls["relation-get"])
	calls = d.fire(hook{name: "config-changed"}, 0)
	assert.Zero(t, calls["relation-get"])
}

func TestIncrementalUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"services", "-h"}, &stdout, &stderr, func(string) (string, bool) { return "", false })
	require.Equal(t, exitOK, code)
	for _, want := range []string{"--incremental", "-relation-changed", "every hook", "update-status", "-store state|file",
		// The caps on what either store may hold, where --store is told.
		fmt.Sprintf("Juju's charm state up\nto %d MiB of state-get output and %d keys (hooktools.MaxStateOutput,\nMaxStateKeys)",
			hooktools.MaxStateOutput>>20, hooktools.MaxStateKeys),
		fmt.Sprintf("the file up to %d MiB and %d keys (statefile.MaxFileSize,\nMaxKeys)", statefile.MaxFileSize>>20, statefile.MaxKeys),
	} {
		assert.Contains(t, stdout.String(), want)
	}
	code = run(context.Background(), []string{"services", "--incremental", "--store", "disk", "reverseproxy"}, &stdout, &stderr,
		func(string) (string, bool) { return "", false })
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), `invalid value "disk" for flag -store`)
}

// TestIncrementalStoredViewSpelling: a stored view holding an
// address this library would not write (upper case) is not used: every
// unit is read again, and the target comes out once, canonical.
func TestIncrementalStoredViewSpelling(t *testing.T) {
	t.Parallel()
	web0 := withKeys(backend("10.0.0.1", "80"), "hostname", "web.example")
	m := requirerModel(map[string]toolsim.Relation{"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
		"web/0": web0, "web/1": backend("10.0.0.2", "80"),
	})})
	m.State["view.reverseproxy.0"] = fmt.Sprintf("httprelation-view 1 %d kept\n3 web/0 WEB.EXAMPLE,10.0.0.1,80\n3 web/1 10.0.0.2,80\n", time.Now().Unix())
	sim := startSim(t, m, "haproxy", hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/1", remoteApp: "web"})
	res := runSim(t, sim, "services", "--incremental", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.2","private-address":"10.0.0.2","port":80},`+
		`{"hostname":"web.example","private-address":"10.0.0.1","port":80}]}]`+"\n", libraryJSON(t, res.Stdout))
	assert.Equal(t, 2, countCalls(t, sim)["relation-get"], "every unit read again")
}
