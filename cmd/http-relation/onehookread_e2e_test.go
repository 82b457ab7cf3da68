package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/toolsim"
)

// The commands of one hook share one read of each endpoint through the
// hook cache ($JUJU_CHARM_DIR/.httprelation/hook.json), each command run
// as a process under the simulator.

// oneReadWorld is haproxy/0 requiring reverseproxy from web (web/0 and
// web/1 serve, web/2's port is bad) and providing website to cdn/0.
func oneReadWorld() *toolsim.Model {
	m := requirerModel(map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": backend("10.0.0.1", "8080"),
			"web/1": withKeys(backend("10.0.0.2", "8080"), "hostname", "web.example"),
			"web/2": withKeys(backend("10.0.0.3", "8080"), "port", "http"),
		}),
		"website:5": relation("cdn", proxyAddr, map[string]map[string]string{"cdn/0": enteredScope("10.0.4.1")}),
	})
	m.Networks["website"] = network(proxyAddr)
	return m
}

// changedWeb0 is the relation-changed hook of web/0 on reverseproxy:3.
var changedWeb0 = hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"}

// hookRun is what the commands of one hook did.
type hookRun struct {
	stdout []string
	// badEntries counts the warnings for a bad remote entry; cacheLines
	// holds the warnings about the hook cache.
	badEntries int
	cacheLines []string
	calls      map[string]int
}

// runHook runs each command line in turn in hook h of sim, whose charm
// directory is dir; each must succeed.
func runHook(t *testing.T, sim *toolsim.Sim, dir string, h hook, cmds ...[]string) hookRun {
	t.Helper()
	before, err := calllog.Read(sim.LogPath)
	require.NoError(t, err)
	sim.SetHookEnv(h.env("haproxy/0", dir))
	var run hookRun
	for _, args := range cmds {
		res := runSim(t, sim, args...)
		require.Equal(t, 0, res.ExitCode, "%q: stderr: %s", args, res.Stderr)
		run.stdout = append(run.stdout, res.Stdout)
		for _, l := range stderrLines(res.Stderr) {
			switch {
			case strings.Contains(l, "ignoring invalid remote data"):
				run.badEntries++
			case strings.Contains(l, "hook cache"):
				run.cacheLines = append(run.cacheLines, l)
			default:
				t.Errorf("%q: unexpected stderr line %q", args, l)
			}
		}
	}
	after, err := calllog.Read(sim.LogPath)
	require.NoError(t, err)
	run.calls = map[string]int{}
	for _, c := range after[len(before):] {
		run.calls[c.Tool]++
	}
	return run
}

// hookCachePath is where the commands of a hook share what they read.
func hookCachePath(dir string) string { return filepath.Join(dir, ".httprelation", "hook.json") }

var (
	servicesFull  = []string{"services", "reverseproxy"}
	servicesState = []string{"services", "--incremental", "reverseproxy"}
	servicesFile  = []string{"services", "--incremental", "--store", "file", "reverseproxy"}
	flagsFull     = []string{"flags"}
	flagsState    = []string{"flags", "--incremental", "--format=json"}
	flagsFile     = []string{"flags", "--incremental", "--store=file"}
)

// hookCost is what a hook's commands cost: their tool calls, and their
// warnings for a bad remote entry.
type hookCost struct {
	calls map[string]int
	bad   int
}

// TestOneReadPerHook runs combinations of services and flags in one
// hook, with a JUJU_CONTEXT_ID (shared) and without (as before there was
// any sharing), after an earlier hook of another context id that ran the
// same commands over an empty store (cold). Sharing changes no answer;
// it reads each endpoint once, so that each bad entry is logged once,
// and it pins the tool calls of both hooks. In the later hook the view
// the earlier one left is warm: one relation-get, for the hook's remote
// unit, and nothing to save.
func TestOneReadPerHook(t *testing.T) {
	t.Parallel()
	calls := func(ids, lists, gets, stateGets, stateSets int) map[string]int {
		m := map[string]int{"relation-ids": ids, "relation-list": lists, "relation-get": gets}
		for tool, n := range map[string]int{"state-get": stateGets, "state-set": stateSets} {
			if n > 0 {
				m[tool] = n
			}
		}
		return m
	}
	tests := []struct {
		name string
		cmds [][]string
		// The later hook's cost, shared and not; the earlier one's, when
		// pinned.
		shared, unshared         hookCost
		coldShared, coldUnshared *hookCost
	}{{
		name:         "services then flags",
		cmds:         [][]string{servicesFull, flagsFull},
		shared:       hookCost{calls(2, 2, 3, 1, 0), 1},
		unshared:     hookCost{calls(3, 3, 6, 1, 0), 2},
		coldShared:   &hookCost{calls(2, 2, 3, 1, 1), 1},
		coldUnshared: &hookCost{calls(3, 3, 6, 1, 1), 2},
	}, {
		name:     "flags then services",
		cmds:     [][]string{flagsFull, servicesFull},
		shared:   hookCost{calls(2, 2, 3, 1, 0), 1},
		unshared: hookCost{calls(3, 3, 6, 1, 0), 2},
	}, {
		name:     "flags twice, services twice",
		cmds:     [][]string{flagsFull, flagsFull, servicesFull, servicesFull},
		shared:   hookCost{calls(2, 2, 3, 2, 0), 1},
		unshared: hookCost{calls(6, 6, 12, 2, 0), 4},
	}, {
		name:         "incremental services then flags, state",
		cmds:         [][]string{servicesState, flagsState},
		shared:       hookCost{calls(2, 2, 1, 2, 0), 0},
		unshared:     hookCost{calls(3, 3, 2, 2, 0), 0},
		coldShared:   &hookCost{calls(2, 2, 3, 2, 2), 1},
		coldUnshared: &hookCost{calls(3, 3, 4, 2, 2), 1},
	}, {
		name:         "incremental services then flags, file",
		cmds:         [][]string{servicesFile, flagsFile},
		shared:       hookCost{calls(2, 2, 1, 0, 0), 0},
		unshared:     hookCost{calls(3, 3, 2, 0, 0), 0},
		coldShared:   &hookCost{calls(2, 2, 3, 0, 0), 1},
		coldUnshared: &hookCost{calls(3, 3, 4, 0, 0), 1},
	}, {
		// A full read does not update the view: an incremental command
		// reads through it, so that it stays up to date.
		name:     "full services then incremental flags",
		cmds:     [][]string{servicesFull, flagsState},
		shared:   hookCost{calls(3, 3, 4, 1, 0), 1},
		unshared: hookCost{calls(3, 3, 4, 1, 0), 1},
	}, {
		name:     "incremental services then full flags",
		cmds:     [][]string{servicesState, flagsFull},
		shared:   hookCost{calls(2, 2, 1, 2, 0), 0},
		unshared: hookCost{calls(3, 3, 4, 2, 0), 1},
	}, {
		name:     "views in two stores are not mixed",
		cmds:     [][]string{servicesState, flagsFile},
		shared:   hookCost{calls(3, 3, 2, 1, 0), 0},
		unshared: hookCost{calls(3, 3, 2, 1, 0), 0},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var answers [2][]string
			for i, shared := range []bool{true, false} {
				dir := charmDir(t, "haproxy")
				sim := toolsim.Start(t, oneReadWorld(), nil)
				earlier, later := changedWeb0, changedWeb0
				want, wantCold := tt.unshared, tt.coldUnshared
				if shared {
					earlier.contextID = "haproxy/0-reverseproxy-relation-changed-1"
					later.contextID = "haproxy/0-reverseproxy-relation-changed-2"
					want, wantCold = tt.shared, tt.coldShared
				}
				cold := runHook(t, sim, dir, earlier, tt.cmds...)
				if wantCold != nil {
					assert.Equal(t, *wantCold, hookCost{cold.calls, cold.badEntries}, "earlier hook, shared %v", shared)
				}
				run := runHook(t, sim, dir, later, tt.cmds...)
				assert.Equal(t, want, hookCost{run.calls, run.badEntries}, "later hook, shared %v", shared)
				assert.Empty(t, slices.Concat(cold.cacheLines, run.cacheLines))
				assert.Equal(t, cold.stdout, run.stdout, "nothing changed between the hooks")
				answers[i] = run.stdout
				_, err := os.Lstat(hookCachePath(dir))
				if !shared {
					assert.ErrorIs(t, err, os.ErrNotExist, "nothing shared, nothing written")
					continue
				}
				cache := readStateFile(t, hookCachePath(dir))
				assert.Equal(t, later.contextID, cache["context"], "the earlier hook's file replaced")
			}
			assert.Equal(t, answers[1], answers[0], "sharing changes no answer")
		})
	}
}
