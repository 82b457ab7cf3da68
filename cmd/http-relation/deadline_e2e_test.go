package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

// hungToolTimeout is the --timeout of TestOneDeadlinePerHungTool, and
// hungToolBound what a run may take with one tool hanging: one timeout
// and what the command does besides, on a loaded machine, but less than
// two timeouts, so that a tool waited on twice fails the test.
const (
	hungToolTimeout = 5 * time.Second
	hungToolBound   = 2*hungToolTimeout - 250*time.Millisecond
)

// quickRunsAtOnce bounds the runs of TestOneDeadlinePerHungTool in
// flight that wait on no tool: a run is mostly work.
const quickRunsAtOnce = 4

// hookTools are the tools the command or the library may run.
var hookTools = []string{
	"relation-ids", "relation-list", "relation-get", "relation-set", "network-get",
	"unit-get", "state-get", "state-set", "state-delete", "juju-log",
}

// deadlineWorld is haproxy/0 in a relation-changed hook of reverseproxy:3
// for web/0, requiring two applications (web/0 and web/1 on
// reverseproxy:3, api/0 on reverseproxy:4) and providing website on two
// relations that no unit has joined yet; its stored flags say website
// was available. So each command makes every call it can: one per
// relation where it loops, bag reads, a state-set and a state-delete.
func deadlineWorld() *toolsim.Model {
	m := requirerModel(map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": backend("10.0.0.1", "8080"),
			"web/1": backend("10.0.0.2", "8080"),
		}),
		"reverseproxy:4": relation("api", proxyAddr, map[string]map[string]string{"api/0": backend("10.0.2.1", "9000")}),
		"website:5":      relation("cdn", proxyAddr, nil),
		"website:6":      relation("edge", proxyAddr, nil),
	})
	m.Networks["website"] = network(proxyAddr)
	m.State = map[string]string{"flag.website.available": "1"}
	return m
}

// deadlineMode is one way of running the command.
type deadlineMode struct {
	name string
	args []string
	// edit adapts the world to the mode; nil keeps it.
	edit func(m *toolsim.Model)
	// stdout is what a successful run prints.
	stdout string
	// fails lists the tools whose hanging fails the command; waits the
	// tools whose hanging it waits out once and then does without.
	// Hanging any other tool changes nothing: the mode does not run it.
	fails, waits []string
	// check verifies the model after a successful run; may be nil.
	check func(t *testing.T, m *toolsim.Model)
}

// configured checks that every website relation got the port.
func configured(t *testing.T, m *toolsim.Model) {
	t.Helper()
	for _, id := range []string{"website:5", "website:6"} {
		assert.Equal(t, "8080", m.Relations[id].Local["port"], id)
		assert.Equal(t, proxyAddr, m.Relations[id].Local["hostname"], id)
	}
}

func deadlineModes() []deadlineMode {
	const services = `[{"service_name":"api","hosts":[{"hostname":"10.0.2.1","private-address":"10.0.2.1","port":9000}]},` +
		`{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},` +
		`{"hostname":"10.0.0.2","private-address":"10.0.0.2","port":8080}]}]` + "\n"
	reads := []string{"relation-ids", "relation-list", "relation-get"}
	withState := func(tools ...string) []string { return append(slices.Clone(reads), tools...) }
	return []deadlineMode{
		{name: "services", args: []string{"services", "reverseproxy"}, stdout: services, fails: reads},
		{name: "services incremental state", args: []string{"services", "reverseproxy", "--incremental"},
			stdout: services, fails: withState("state-get", "state-set")},
		{name: "services incremental file", args: []string{"services", "reverseproxy", "--incremental", "--store", "file"},
			stdout: services, fails: reads},
		{name: "configure", args: []string{"configure", "website", "--port", "8080"},
			fails: []string{"relation-ids", "relation-set"}, waits: []string{"network-get"}, check: configured},
		{name: "configure from unit-get", args: []string{"configure", "website", "--port", "8080"},
			// No network-get answer and nothing in the local bags: the
			// address comes from unit-get.
			edit: func(m *toolsim.Model) {
				delete(m.Networks, "website")
				for _, id := range []string{"website:5", "website:6"} {
					r := m.Relations[id]
					r.Local = map[string]string{}
					m.Relations[id] = r
				}
			},
			fails: []string{"relation-ids", "unit-get", "relation-set"}, waits: []string{"network-get", "relation-get"}, check: configured},
		{name: "flags state", args: []string{"flags"}, stdout: `["reverseproxy.available"]` + "\n",
			fails: withState("state-get", "state-set", "state-delete")},
		{name: "flags file", args: []string{"flags", "--store", "file"}, stdout: `["reverseproxy.available"]` + "\n", fails: reads},
		{name: "flags incremental state", args: []string{"flags", "--incremental"}, stdout: `["reverseproxy.available"]` + "\n",
			fails: withState("state-get", "state-set", "state-delete")},
		{name: "flags incremental file", args: []string{"flags", "--incremental", "--store", "file"},
			stdout: `["reverseproxy.available"]` + "\n", fails: reads},
	}
}

// deadlineRun is one run of TestOneDeadlinePerHungTool.
type deadlineRun struct {
	mode    deadlineMode
	tool    string // the hanging tool, "" for none
	sim     *toolsim.Sim
	res     toolsim.Result
	err     error
	elapsed time.Duration
}

// fails reports whether the run is to fail, and waits whether it is to
// wait on its hanging tool.
func (r *deadlineRun) fails() bool { return slices.Contains(r.mode.fails, r.tool) }
func (r *deadlineRun) waits() bool { return r.fails() || slices.Contains(r.mode.waits, r.tool) }

// runAll runs the command of each run with --timeout hungToolTimeout,
// at most n at once, and records how each ended and how long it took.
func runAll(bin string, runs []*deadlineRun, n int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			r.res, r.err = r.sim.Run(ctx, bin, slices.Concat(r.mode.args, []string{"--timeout", hungToolTimeout.String()})...)
			r.elapsed = time.Since(start)
		}()
	}
	wg.Wait()
}

// TestOneDeadlinePerHungTool: whichever one hook tool hangs, every mode
// of every command ends within one --timeout and a margin, below two: a
// tool that ran into the deadline is not run again, by a retried read
// (the incremental view's prefetch, then Services), by a loop over
// relations (configure's ingress addresses and writes, the provider's
// listing of units) or over endpoints (flags). A run that fails exits 1
// naming the tool, with nothing on stdout; one whose tool it does not run
// or can do without answers as if no tool hung.
func TestOneDeadlinePerHungTool(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	var runs []*deadlineRun
	for _, mode := range deadlineModes() {
		for _, tool := range append([]string{""}, hookTools...) {
			m := deadlineWorld()
			if mode.edit != nil {
				mode.edit(m)
			}
			if tool != "" {
				m.Faults = map[string]toolsim.Fault{tool: {Hang: true}}
			}
			// A context id, so that the commands also keep what they read
			// for the hook's later commands.
			h := hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0",
				contextID: "haproxy/0-reverseproxy-relation-changed-1"}
			runs = append(runs, &deadlineRun{mode: mode, tool: tool, sim: startSim(t, m, "haproxy", h)})
		}
	}
	// The runs that wait on a tool all overlap, as they mostly sleep; the
	// others, which only work, go first and a few at a time, so that
	// their work does not stretch the waits.
	var quick, waiting []*deadlineRun
	for _, r := range runs {
		if r.waits() {
			waiting = append(waiting, r)
		} else {
			quick = append(quick, r)
		}
	}
	runAll(bin, quick, quickRunsAtOnce)
	runAll(bin, waiting, len(waiting))

	for _, r := range runs {
		name := r.mode.name + "/no tool hangs"
		if r.tool != "" {
			name = r.mode.name + "/" + r.tool + " hangs"
		}
		t.Run(name, func(t *testing.T) {
			require.NoError(t, r.err)
			res := r.res
			if r.waits() {
				assert.GreaterOrEqual(t, r.elapsed, hungToolTimeout, "the hanging tool was run")
				assert.Less(t, r.elapsed, hungToolBound, "one --timeout, not two")
			} else {
				assert.Less(t, r.elapsed, hungToolTimeout, "no tool was waited on")
			}
			if r.fails() {
				assert.Equal(t, 1, res.ExitCode, "stderr: %s", res.Stderr)
				assert.Empty(t, res.Stdout)
				assert.Regexp(t, fmt.Sprintf(`^http-relation: %s[ :](?s:.*)\b%s: (?s:.*)context deadline exceeded\n`, r.mode.args[0], r.tool), res.Stderr)
				return
			}
			require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
			assert.Equal(t, r.mode.stdout, libraryJSON(t, res.Stdout))
			if r.mode.check != nil {
				m, err := r.sim.Model()
				require.NoError(t, err)
				r.mode.check(t, m)
			}
		})
	}
}
