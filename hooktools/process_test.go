package hooktools

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/toolsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the accessor against the hook-tool simulator as real
// processes through ExecRunner, with the tools found through the PATH of
// the simulator's environment.

// startSim starts the simulator on a model with the hook variables and
// returns an accessor over it.
func startSim(t *testing.T, m *toolsim.Model, hookEnv map[string]string) (*toolsim.Sim, *accessor) {
	t.Helper()
	vars := map[string]string{"JUJU_UNIT_NAME": m.Unit}
	maps.Copy(vars, hookEnv)
	sim := toolsim.Start(t, m, vars)
	environ := sim.Environ()
	env := EnvFrom(func(k string) (string, bool) {
		v := envValue(environ, k)
		return v, v != ""
	})
	return sim, newAccessor(ExecRunner{Env: environ}, WithEnv(env))
}

func transcriptModel(t *testing.T, tr transcript) *toolsim.Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.json")
	require.NoError(t, os.WriteFile(path, tr.Model, 0o644))
	m, err := toolsim.ReadModel(path)
	require.NoError(t, err)
	return m
}

// TestProcessTranscripts checks that the accessor, running the simulated
// tools, returns what Juju's recorded answers say for every read call.
func TestProcessTranscripts(t *testing.T) {
	for _, name := range transcriptNames {
		t.Run(name, func(t *testing.T) {
			tr := loadTranscript(t, name)
			sim, acc := startSim(t, transcriptModel(t, tr), tr.HookEnv)
			ctx := context.Background()
			checked := 0
			for _, c := range tr.Calls {
				if c.Args[0] == "relation-set" || c.Args[0] == "state-set" {
					// Later recorded reads show these writes.
					var stdin []byte
					if c.Stdin != nil {
						stdin = []byte(*c.Stdin)
					}
					_, err := ExecRunner{Env: sim.Environ()}.Run(ctx, c.Args[0], c.Args[1:], stdin)
					var te *ToolError
					if c.Exit != 0 {
						require.ErrorAs(t, err, &te, "%q", c.Args)
						assert.Equal(t, c.Exit, te.ExitCode, "%q", c.Args)
					} else {
						require.NoError(t, err, "%q", c.Args)
					}
					// Bags read before a write would be stale: start afresh.
					acc = newAccessor(ExecRunner{Env: sim.Environ()}, WithEnv(tr.env()))
					continue
				}
				if checkRecordedRead(t, ctx, acc, c) {
					checked++
				}
			}
			assert.GreaterOrEqual(t, checked, 15)

			addr, err := acc.IngressAddress(ctx, "backends:4")
			require.NoError(t, err)
			assert.Equal(t, "172.20.0.5", addr)
			app, err := acc.RemoteApp(ctx, "backends:11")
			require.NoError(t, err)
			assert.Equal(t, "blog", app)
			hc, err := acc.HookContext(ctx)
			require.NoError(t, err)
			assert.Equal(t, tr.HookEnv["JUJU_HOOK_NAME"], hc.HookName)
		})
	}
}

// TestProcessWriteRoundTrip writes tricky values through real processes
// and reads them back in a later "hook" (a fresh accessor).
func TestProcessWriteRoundTrip(t *testing.T) {
	tr := loadTranscript(t, "changed")
	sim, acc := startSim(t, transcriptModel(t, tr), tr.HookEnv)
	ctx := context.Background()
	data := map[string]string{
		"note":           "line one\nline two\n",
		"equals":         "a=b",
		"quoted":         `"yes"`,
		"flag":           "yes",
		"extended_data":  `[{"hostname": "10.0.0.1", "port": 80}]`,
		"big":            strings.Repeat("x", 100*1024),
		"unicode":        "é\u2028日本",
		"egress-subnets": "",
	}
	require.NoError(t, acc.SetLocalData(ctx, "site:2", data))

	// A later hook builds a fresh accessor over the same simulator.
	later := newAccessor(ExecRunner{Env: sim.Environ()}, WithEnv(tr.env()))
	bag, err := later.UnitData(ctx, "site:2", "lb/0")
	require.NoError(t, err)
	for k, v := range data {
		if v == "" {
			assert.NotContains(t, bag, k)
		} else {
			assert.Equal(t, v, bag[k], k)
		}
	}
	assert.Equal(t, "172.20.0.5", bag["private-address"])

	store := newStateStore(ExecRunner{Env: sim.Environ()})
	require.NoError(t, store.Save(ctx, map[string]string{"backends.available": "true", "note": "a\nb"}))
	state, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"backends.available": "true", "note": "a\nb"}, state)

	h := newLogHandler(ExecRunner{Env: sim.Environ()})
	require.NoError(t, h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelInfo, "-dash message", 0)))
	m, err := sim.Model()
	require.NoError(t, err)
	require.Len(t, m.Log, 1)
	// juju-log prefixes the relation of a relation hook.
	assert.Equal(t, "INFO backends:4: -dash message", m.Log[0])
}

// TestProcessCallCount: reading the services of R relations holding U
// units in all costs 1 relation-ids, R relation-list and U relation-get,
// and reading them again in the same hook costs nothing.
func TestProcessCallCount(t *testing.T) {
	const relations = 4
	m := &toolsim.Model{
		Unit: "lb/0", PrivateAddress: "10.1.0.1",
		Relations: map[string]toolsim.Relation{},
		Networks:  map[string]toolsim.Network{},
	}
	units := 0
	for r := range relations {
		rel := toolsim.Relation{
			RemoteApp: fmt.Sprintf("app%d", r), RemoteEndpoint: "website",
			Local: map[string]string{"private-address": "10.1.0.1"},
			Units: map[string]map[string]string{},
		}
		for u := range r + 2 {
			rel.Units[fmt.Sprintf("app%d/%d", r, u)] = map[string]string{
				"private-address": fmt.Sprintf("10.2.%d.%d", r, u+1), "port": "8080",
			}
			units++
		}
		m.Relations[fmt.Sprintf("backends:%d", r+1)] = rel
	}
	sim, acc := startSim(t, m, map[string]string{"JUJU_HOOK_NAME": "update-status"})
	ctx := context.Background()
	req := httprelation.NewRequires(acc, "backends")
	for range 2 {
		services, err := req.Services(ctx)
		require.NoError(t, err)
		require.Len(t, services, relations)
		hosts := 0
		for _, s := range services {
			hosts += len(s.Hosts)
		}
		assert.Equal(t, units, hosts)
	}

	calls, err := calllog.Read(sim.LogPath)
	require.NoError(t, err)
	count := map[string]int{}
	for _, c := range calls {
		count[c.Tool]++
		assert.Zero(t, c.Exit, "%s %q", c.Tool, c.Args)
	}
	assert.Equal(t, map[string]int{"relation-ids": 1, "relation-list": relations, "relation-get": units}, count)
	assert.Len(t, calls, 1+relations+units)
}
