package hooktools

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/toolsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests make the simulated tools misbehave (toolsim faults) and
// check that every misbehaviour reaches the charm as a typed error naming
// the tool: never a panic, never a partial answer with a nil error.

// faultKind is one way a hook tool can misbehave, and how the error that
// reaches the charm must look.
type faultKind struct {
	name string
	// fault is injected into the simulator; nil removes the tool from
	// PATH instead.
	fault *toolsim.Fault
	// timeout is the accessor's per-call timeout; 0 keeps the default.
	timeout time.Duration
	check   func(t *testing.T, err error, tool string)
}

// faultHangTimeout is short enough to keep the suite fast and long enough
// that a healthy tool process never hits it, even under -race.
const faultHangTimeout = 2 * time.Second

var faultKinds = []faultKind{
	{name: "exit 1", fault: &toolsim.Fault{Exit: 1, Stderr: "ERROR permission denied\n"},
		check: func(t *testing.T, err error, tool string) {
			te := requireToolError(t, err, tool, 1)
			assert.Equal(t, "permission denied", te.Message)
		}},
	{name: "exit 2", fault: &toolsim.Fault{Exit: 2, Stderr: "ERROR option provided but not defined: --bogus\n"},
		check: func(t *testing.T, err error, tool string) {
			te := requireToolError(t, err, tool, 2)
			assert.Equal(t, "option provided but not defined: --bogus", te.Message)
		}},
	{name: "garbage", fault: &toolsim.Fault{Stdout: "<html>502 Bad Gateway\n\x00\xff"},
		check: func(t *testing.T, err error, tool string) {
			pe := requireParseError(t, err, tool)
			assert.Contains(t, pe.Output, "502 Bad Gateway")
		}},
	{name: "nothing", fault: &toolsim.Fault{},
		check: func(t *testing.T, err error, tool string) {
			pe := requireParseError(t, err, tool)
			assert.EqualError(t, pe.Err, "empty output")
		}},
	{name: "hang", fault: &toolsim.Fault{Hang: true}, timeout: faultHangTimeout,
		check: func(t *testing.T, err error, tool string) {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Contains(t, err.Error(), tool+": ")
		}},
	{name: "missing", fault: nil,
		check: func(t *testing.T, err error, tool string) {
			require.ErrorIs(t, err, ErrNotInHook)
			assert.Contains(t, err.Error(), tool)
		}},
	{name: "killed", fault: &toolsim.Fault{Kill: true},
		check: func(t *testing.T, err error, tool string) {
			// A signal has no exit status: ExitCode -1. The tool printed
			// nothing before it died, so the message says how it ended.
			te := requireToolError(t, err, tool, -1)
			assert.Equal(t, "signal: killed", te.Message)
		}},
}

func requireToolError(t *testing.T, err error, tool string, code int) *ToolError {
	t.Helper()
	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, tool, te.Tool)
	assert.Equal(t, code, te.ExitCode)
	assert.Contains(t, err.Error(), tool)
	assert.NotErrorIs(t, err, httprelation.ErrUnitNotFound, "a failing tool is not a unit that left")
	return te
}

func requireParseError(t *testing.T, err error, tool string) *ParseError {
	t.Helper()
	require.ErrorIs(t, err, ErrBadOutput)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, tool, pe.Tool)
	assert.Contains(t, err.Error(), tool)
	return pe
}

// faultSim starts the simulator on m with the fault of k under key
// ("TOOL" or "TOOL ARG"), or with TOOL removed from PATH.
func faultSim(t *testing.T, m *toolsim.Model, hookEnv map[string]string, key string, k faultKind) (*toolsim.Sim, *accessor) {
	t.Helper()
	if k.fault != nil {
		m.Faults = map[string]toolsim.Fault{key: *k.fault}
	}
	vars := map[string]string{"JUJU_UNIT_NAME": m.Unit}
	maps.Copy(vars, hookEnv)
	sim := toolsim.Start(t, m, vars)
	if k.fault == nil {
		tool, _, _ := strings.Cut(key, " ")
		require.NoError(t, os.Remove(filepath.Join(sim.Dir, tool)))
	}
	environ := sim.Environ()
	env := EnvFrom(func(k string) (string, bool) {
		v := envValue(environ, k)
		return v, v != ""
	})
	opts := []UnitOption{WithEnv(env)}
	if k.timeout > 0 {
		opts = append(opts, WithTimeout(k.timeout))
	}
	return sim, newAccessor(ExecRunner{Env: environ}, opts...)
}

// TestFaultsThroughAccessor: each read the library makes, with each way
// its tool can fail.
func TestFaultsThroughAccessor(t *testing.T) {
	tr := loadTranscript(t, "changed")
	reads := []struct {
		key  string
		read func(ctx context.Context, sim *toolsim.Sim, acc *accessor) (any, error)
	}{
		{"relation-ids", func(ctx context.Context, _ *toolsim.Sim, acc *accessor) (any, error) {
			return acc.RelationIDs(ctx, "backends")
		}},
		{"relation-list backends:11", func(ctx context.Context, _ *toolsim.Sim, acc *accessor) (any, error) {
			return acc.RelationUnits(ctx, "backends:11")
		}},
		{"relation-list backends:11", func(ctx context.Context, _ *toolsim.Sim, acc *accessor) (any, error) {
			return acc.RemoteApp(ctx, "backends:11")
		}},
		{"relation-get blog/1", func(ctx context.Context, _ *toolsim.Sim, acc *accessor) (any, error) {
			return acc.UnitData(ctx, "backends:11", "blog/1")
		}},
		{"state-get", func(ctx context.Context, sim *toolsim.Sim, acc *accessor) (any, error) {
			return newStateStore(acc.call.runner, WithTimeout(acc.call.timeout)).Load(ctx)
		}},
	}
	for _, k := range faultKinds {
		for _, r := range reads {
			t.Run(k.name+"/"+r.key, func(t *testing.T) {
				t.Parallel()
				sim, acc := faultSim(t, transcriptModel(t, tr), tr.HookEnv, r.key, k)
				got, err := r.read(context.Background(), sim, acc)
				require.Error(t, err, "answer: %v", got)
				tool, _, _ := strings.Cut(r.key, " ")
				k.check(t, err, tool)
			})
		}
	}
}

// TestFaultsThroughServices: one failing call, whatever the tool and the
// failure, fails Services as a whole: the hosts of the other relations and
// units are not a correct answer when one unit could not be read.
func TestFaultsThroughServices(t *testing.T) {
	tr := loadTranscript(t, "changed")
	for _, k := range faultKinds {
		for _, key := range []string{"relation-ids", "relation-list backends:11", "relation-get blog/1"} {
			t.Run(k.name+"/"+key, func(t *testing.T) {
				t.Parallel()
				_, acc := faultSim(t, transcriptModel(t, tr), tr.HookEnv, key, k)
				req := httprelation.NewRequires(acc, "backends", httprelation.WithLogger(faultQuiet()))
				services, err := req.Services(context.Background())
				require.Error(t, err)
				assert.Nil(t, services, "no partial answer")
				tool, _, _ := strings.Cut(key, " ")
				k.check(t, err, tool)
				assert.Contains(t, err.Error(), "backends")
			})
		}
	}
}

// TestFaultVanishedUnitIsSkipped is the one failure that is not an error:
// Juju's "settings not found" means the unit left between relation-list
// and relation-get, so its hosts are simply gone and the others stay.
func TestFaultVanishedUnitIsSkipped(t *testing.T) {
	tr := loadTranscript(t, "changed")
	k := faultKind{fault: &toolsim.Fault{Exit: 1, Stderr: `ERROR cannot read settings for unit "blog/1" in relation "lb:backends blog:website": unit "blog/1": settings not found` + "\n"}}
	_, acc := faultSim(t, transcriptModel(t, tr), tr.HookEnv, "relation-get blog/1", k)
	services, err := httprelation.NewRequires(acc, "backends", httprelation.WithLogger(faultQuiet())).Services(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Service{{Name: "shop", Hosts: []httprelation.Host{
		{Hostname: "172.20.1.10", PrivateAddress: "172.20.1.10", Port: 8000},
	}}}, services)
}

// providerModel is a web unit related to three proxies.
func providerModel() *toolsim.Model {
	m := &toolsim.Model{
		Unit: "web/0", PrivateAddress: "10.0.0.9",
		Relations: map[string]toolsim.Relation{},
		Networks: map[string]toolsim.Network{"website": {
			BindAddresses: []toolsim.BindAddress{{InterfaceName: "eth0", Addresses: []toolsim.InterfaceAddress{
				{Value: "10.0.0.9", CIDR: "10.0.0.0/24"}}}},
			IngressAddresses: []string{"10.0.0.9"},
		}},
		State: map[string]string{},
	}
	for i, app := range []string{"haproxy", "cdn", "edge"} {
		m.Relations[fmt.Sprintf("website:%d", i+1)] = toolsim.Relation{
			RemoteApp: app, RemoteEndpoint: "reverseproxy",
			Local: map[string]string{"private-address": "10.0.0.77"},
			Units: map[string]map[string]string{app + "/0": {"private-address": fmt.Sprintf("10.0.1.%d", i+1)}},
		}
	}
	return m
}

var providerHook = map[string]string{"JUJU_HOOK_NAME": "update-status"}

// TestFaultsThroughConfigure: a relation-set that fails for one relation
// leaves the others written and the error names exactly that relation;
// one that hangs is not run again in the hook, so the relations after it
// are not written either, and the error names them too. (relation-set
// answers with its exit status alone, so the kinds that exit 0 are not
// failures of a write.)
func TestFaultsThroughConfigure(t *testing.T) {
	for _, k := range faultKinds {
		if k.fault != nil && k.fault.Exit == 0 && !k.fault.Hang && !k.fault.Kill {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			sim, acc := faultSim(t, providerModel(), providerHook, "relation-set website:2", k)
			err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080)
			require.Error(t, err)
			k.check(t, err, "relation-set")
			m, merr := sim.Model()
			require.NoError(t, merr)
			failed := []string{"website:2"}
			switch {
			case k.fault == nil:
				failed = []string{"website:1", "website:2", "website:3"} // no relation-set at all
			case k.fault.Hang:
				failed = []string{"website:2", "website:3"}
				assert.ErrorIs(t, err, errStalled, "website:3 is not waited on")
			}
			for _, id := range []string{"website:1", "website:2", "website:3"} {
				if slices.Contains(failed, id) {
					assert.Contains(t, err.Error(), "relation "+badchar.Quote(id)+" not written")
					assert.NotContains(t, m.Relations[id].Local, "port", id)
					continue
				}
				assert.NotContains(t, err.Error(), id)
				assert.Equal(t, "8080", m.Relations[id].Local["port"], id)
				assert.Equal(t, "10.0.0.9", m.Relations[id].Local["hostname"], id)
			}
		})
	}
}

// TestFaultsIngressFallback: network-get failing in any way for one
// relation falls back to that relation's own private-address, as
// documented, and the other relations keep theirs, unless it hung: it is
// then not waited on again in the hook, and every later relation falls
// back as well. With every source of an address failing, nothing at all
// is written.
func TestFaultsIngressFallback(t *testing.T) {
	for _, k := range faultKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			sim, acc := faultSim(t, providerModel(), providerHook, "network-get website:1", k)
			require.NoError(t, httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080))
			m, err := sim.Model()
			require.NoError(t, err)
			want := map[string]string{"website:1": "10.0.0.77", "website:2": "10.0.0.9", "website:3": "10.0.0.9"}
			if k.fault == nil || k.fault.Hang {
				// Without network-get at all, or once it hung, every
				// relation falls back.
				want = map[string]string{"website:1": "10.0.0.77", "website:2": "10.0.0.77", "website:3": "10.0.0.77"}
			}
			for id, r := range m.Relations {
				assert.Equal(t, want[id], r.Local["hostname"], id)
			}
		})
	}

	m := providerModel()
	m.Faults = map[string]toolsim.Fault{
		"network-get":        {Stdout: "garbage"},
		"relation-get web/0": {Exit: 1, Stderr: "ERROR permission denied\n"},
		"unit-get":           {Exit: 1, Stderr: "ERROR private address not found\n"},
	}
	sim, acc := startSim(t, m, providerHook)
	err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing written")
	assert.ErrorIs(t, err, ErrBadOutput)
	var te *ToolError
	require.ErrorAs(t, err, &te)
	after, merr := sim.Model()
	require.NoError(t, merr)
	for id, r := range after.Relations {
		assert.NotContains(t, r.Local, "port", id)
	}
}

// TestProcessStateDelete: stateStore deletes through state-delete, since
// the real state-set would store the empty value.
func TestProcessStateDelete(t *testing.T) {
	sim, _ := startSim(t, providerModel(), providerHook)
	store := newStateStore(ExecRunner{Env: sim.Environ()})
	ctx := context.Background()
	require.NoError(t, store.Save(ctx, map[string]string{"flag.a": "1", "flag.b": "1", "hash.c": "x"}))
	require.NoError(t, store.Save(ctx, map[string]string{"flag.a": "", "hash.c": "", "hash.d": "y"}))

	m, err := sim.Model()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"flag.b": "1", "hash.d": "y"}, m.State)
	got, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, m.State, got)

	calls, err := calllog.Read(sim.LogPath)
	require.NoError(t, err)
	var deletes []string
	for _, c := range calls {
		if c.Tool == "state-delete" {
			deletes = append(deletes, strings.Join(c.Args, " "))
		}
	}
	assert.Equal(t, []string{"flag.a", "hash.c"}, deletes)

	// A failing state-delete fails Save with the tool's error.
	m.Faults = map[string]toolsim.Fault{"state-delete flag.b": {Exit: 1, Stderr: "ERROR connection is shut down\n"}}
	require.NoError(t, m.WriteFile(sim.ModelPath))
	err = store.Save(ctx, map[string]string{"flag.b": ""})
	te := requireToolError(t, err, "state-delete", 1)
	assert.Equal(t, "connection is shut down", te.Message)
}

// faultQuiet swallows the library's warnings, which these tests do not
// examine.
func faultQuiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
