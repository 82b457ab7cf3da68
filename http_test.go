package httprelation_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// The hook rules the library applies itself, so that every accessor gets
// them right: a departing unit and a broken relation count as gone.

// TestHookContextRules: the relation of a relation-broken hook, and the
// unit leaving in a relation-departed hook, count as gone; only the
// relation number counts.
func TestHookContextRules(t *testing.T) {
	departed := httprelation.HookContext{HookName: "website-relation-departed", RelationID: "website:3", DepartingUnit: "web/1"}
	assert.True(t, departed.IsDeparting("website:3", "web/1"))
	assert.True(t, departed.IsDeparting("3", "web/1"), "only the relation number counts")
	assert.False(t, departed.IsDeparting("website:4", "web/1"))
	assert.False(t, departed.IsDeparting("website:3", "web/0"))
	assert.False(t, departed.IsBroken("website:3"))

	localLeaving := httprelation.HookContext{HookName: "website-relation-departed", RelationID: "website:3", RemoteUnit: "web/2", DepartingUnit: "proxy/0"}
	assert.True(t, localLeaving.IsDeparting("website:3", "web/2"), "the hook's remote unit drops when the local unit leaves")
	assert.False(t, localLeaving.IsDeparting("website:3", "web/0"))
	changed := httprelation.HookContext{HookName: "website-relation-changed", RelationID: "website:3", RemoteUnit: "web/2"}
	assert.False(t, changed.IsDeparting("website:3", "web/2"), "only departed hooks drop units")

	broken := httprelation.HookContext{HookName: "website-relation-broken", RelationID: "website:3"}
	assert.True(t, broken.IsBroken("website:3"))
	assert.True(t, broken.IsBroken("3"))
	assert.False(t, broken.IsBroken("website:4"))
	assert.False(t, broken.IsBroken(""))
	assert.False(t, httprelation.HookContext{}.IsBroken("website:3"))
	assert.False(t, httprelation.HookContext{}.IsDeparting("website:3", ""))
}

// oldTooling answers relation-list as Juju before 3 did: the unit leaving
// in a relation-departed hook, and the units of a relation whose
// relation-broken hook runs, are still listed.
type oldTooling struct {
	httprelation.Accessor
	extra map[string][]string
}

func (o oldTooling) RelationUnits(ctx context.Context, id string) ([]string, error) {
	units, err := o.Accessor.RelationUnits(ctx, id)
	return append(units, o.extra[id]...), err
}

// TestServicesHookRules: whatever the tools list, Services leaves out the
// unit leaving in a relation-departed hook and the relation of a
// relation-broken hook.
func TestServicesHookRules(t *testing.T) {
	rels := func() map[string]toolsim.Relation {
		return map[string]toolsim.Relation{
			"reverseproxy:4": {RemoteApp: "shop", Units: map[string]map[string]string{
				"shop/0": {"private-address": "172.20.1.10", "port": "8000"},
				"shop/3": {"private-address": "172.20.1.13", "port": "8000"},
			}},
			"reverseproxy:11": {RemoteApp: "blog", Units: map[string]map[string]string{
				"blog/1": {"private-address": "172.20.2.11", "port": "80"},
			}},
		}
	}
	shop0 := httprelation.Service{Name: "shop", Hosts: []httprelation.Host{h("172.20.1.10", "172.20.1.10", 8000)}}
	both := httprelation.Service{Name: "shop", Hosts: []httprelation.Host{h("172.20.1.10", "172.20.1.10", 8000), h("172.20.1.13", "172.20.1.13", 8000)}}
	blogs := httprelation.Service{Name: "blog", Hosts: []httprelation.Host{h("172.20.2.11", "172.20.2.11", 80)}}
	departed := toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "shop/3"}
	broken := toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: "reverseproxy:11"}
	tests := []struct {
		name  string
		hook  toolsim.Hook
		extra map[string][]string
		want  []httprelation.Service
	}{
		{name: "changed", hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3"},
			want: []httprelation.Service{blogs, both}},
		{name: "departed, juju 3", hook: departed, want: []httprelation.Service{blogs, shop0}},
		{name: "departed, still listed", hook: departed, extra: map[string][]string{"reverseproxy:4": {"shop/3"}}, want: []httprelation.Service{blogs, shop0}},
		{name: "departed, other relation keeps its units", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:11", RemoteUnit: "blog/1", DepartingUnit: "blog/1"},
			want: []httprelation.Service{both}},
		// The local unit leaving: Juju drops the hook's remote unit, one per departed hook.
		{name: "local unit departing", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "haproxy/0"},
			want: []httprelation.Service{blogs, shop0}},
		{name: "local unit departing, still listed", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "haproxy/0"},
			extra: map[string][]string{"reverseproxy:4": {"shop/3"}}, want: []httprelation.Service{blogs, shop0}},
		{name: "broken, juju 3", hook: broken, want: []httprelation.Service{both}},
		{name: "broken, still listed", hook: broken, extra: map[string][]string{"reverseproxy:11": {"blog/1"}}, want: []httprelation.Service{both}},
		{name: "broken by number only", hook: toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: "11"},
			extra: map[string][]string{"reverseproxy:11": {"blog/1"}}, want: []httprelation.Service{both}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := proxy(rels())
			model.Hook = tt.hook
			assert.Equal(t, tt.want, services(t, oldTooling{Accessor: serveAccessor(t, model), extra: tt.extra}))
		})
	}
}

// hungTool runs the tools of a harness, but for tool, which hangs until
// its context ends, as the tools of a wedged Juju agent do until they
// are killed.
type hungTool struct {
	hooktools.Runner
	tool string
}

func (r hungTool) Run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	if tool == r.tool {
		<-ctx.Done()
		return nil, fmt.Errorf("%s: %w", tool, ctx.Err())
	}
	return r.Runner.Run(ctx, tool, args, stdin)
}

// libraryHungToolTimeout is the per-call deadline of
// TestLibraryOneDeadlinePerHungTool; a call may take it and what it does
// besides, in memory, but not two of it.
const (
	libraryHungToolTimeout = time.Second
	libraryHungToolBound   = 2*libraryHungToolTimeout - 250*time.Millisecond
)

// hungToolWorld is haproxy/0 in a relation-changed hook of
// reverseproxy:3, requiring web (web/1 publishing a bad port, which is
// one warning to juju-log) and api, and providing website on two
// relations no unit has joined: every call makes each call it can, one
// per relation where it loops.
func hungToolWorld() *toolsim.Model {
	local := map[string]string{"private-address": "10.0.9.9", "ingress-address": "10.0.9.9"}
	m := proxy(map[string]toolsim.Relation{
		"reverseproxy:3": {RemoteApp: "web", Units: map[string]map[string]string{
			"web/0": {"private-address": "10.0.0.1", "port": "80"},
			"web/1": {"private-address": "10.0.0.2", "port": "http"},
		}},
		"reverseproxy:4": {RemoteApp: "api", Units: map[string]map[string]string{"api/0": {"private-address": "10.0.2.1", "port": "9000"}}},
		"website:5":      {RemoteApp: "cdn", Local: maps.Clone(local), Units: map[string]map[string]string{}},
		"website:6":      {RemoteApp: "edge", Local: maps.Clone(local), Units: map[string]map[string]string{}},
	})
	m.Networks = map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.9.9")}
	m.Hook = toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:3", RemoteUnit: "web/0"}
	return m
}

// libraryCall is one call of the library on a unit of hungToolWorld:
// fails lists the tools whose hanging fails it, waits those whose
// hanging it waits out once and then does without; it runs no other.
type libraryCall struct {
	name         string
	call         func(ctx context.Context, u httprelation.Unit) (any, error)
	fails, waits []string
}

func libraryCalls() []libraryCall {
	requires := func(u httprelation.Unit) *httprelation.Requires {
		return httprelation.NewRequires(u.Accessor, "reverseproxy", httprelation.WithLogger(u.Logger))
	}
	provides := func(u httprelation.Unit) *httprelation.Provides {
		return httprelation.NewProvides(u.Accessor, "website", httprelation.WithLogger(u.Logger))
	}
	flags := func(ctx context.Context, update func(context.Context, *httprelation.Registry) error) (any, error) {
		reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
		if err != nil {
			return nil, err
		}
		err = update(ctx, reg)
		return reg.List(), err
	}
	reads := []string{"relation-ids", "relation-list", "relation-get"}
	log := []string{"juju-log"}
	calls := []libraryCall{
		{name: "Requires.Services", fails: reads, waits: log, call: func(ctx context.Context, u httprelation.Unit) (any, error) {
			return requires(u).Services(ctx)
		}},
		{name: "Requires.Available", fails: reads, waits: log, call: func(ctx context.Context, u httprelation.Unit) (any, error) {
			return requires(u).Available(ctx)
		}},
		{name: "Requires.UpdateFlags", fails: reads, waits: log, call: func(ctx context.Context, u httprelation.Unit) (any, error) {
			return flags(ctx, requires(u).UpdateFlags)
		}},
		{name: "Provides.Available", fails: reads[:2], call: func(ctx context.Context, u httprelation.Unit) (any, error) {
			return provides(u).Available(ctx)
		}},
		{name: "Provides.UpdateFlags", fails: reads[:2], call: func(ctx context.Context, u httprelation.Unit) (any, error) {
			return flags(ctx, provides(u).UpdateFlags)
		}},
		{name: "Provides.Configure", fails: []string{"relation-ids", "relation-set"}, waits: []string{"network-get"},
			call: func(ctx context.Context, u httprelation.Unit) (any, error) {
				return nil, provides(u).Configure(ctx, 8080)
			}},
		{name: "Provides.Publish", fails: []string{"relation-ids", "relation-get", "relation-set"},
			call: func(ctx context.Context, u httprelation.Unit) (any, error) {
				return nil, provides(u).Publish(ctx, map[string]string{"services": "- {service_name: web}"})
			}},
		{name: "Provides.Unpublish", fails: []string{"relation-ids", "relation-set"},
			call: func(ctx context.Context, u httprelation.Unit) (any, error) {
				return nil, provides(u).Unpublish(ctx, "services")
			}},
	}
	// A hook making every call in turn, each one after the other failed,
	// waits no longer than its slowest call.
	return append(calls, libraryCall{name: "every call in turn",
		call: func(ctx context.Context, u httprelation.Unit) (any, error) {
			var (
				results []any
				errs    []error
			)
			for _, c := range calls {
				res, err := c.call(ctx, u)
				results, errs = append(results, res), append(errs, err)
			}
			return results, errors.Join(errs...)
		},
		fails: append(slices.Clone(reads), "relation-set"), waits: []string{"juju-log", "network-get"},
	})
}

// TestLibraryOneDeadlinePerHungTool: whichever one hook tool hangs, every
// call of Requires and Provides on a hooktools unit ends within one
// per-call deadline and a margin, below two, and so does a hook making
// them all in turn: a tool that ran into the deadline is not run again
// by the unit, although the calls read again what failed and carry on
// past a failed relation. A call that fails wraps
// context.DeadlineExceeded and names the tool; one whose tool it does
// not run, or can do without, answers as if no tool hung.
func TestLibraryOneDeadlinePerHungTool(t *testing.T) {
	t.Parallel()
	type run struct {
		call    libraryCall
		tool    string // the hanging tool, "" for none
		unit    httprelation.Unit
		res     any
		err     error
		elapsed time.Duration
	}
	env := hungToolWorld().HookEnv()
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	var runs []*run
	for _, c := range libraryCalls() {
		for _, tool := range []string{"", "relation-ids", "relation-list", "relation-get", "relation-set", "network-get",
			"unit-get", "state-get", "state-set", "state-delete", "juju-log"} {
			tools := hungTool{Runner: httprelationtest.New(t, hungToolWorld()).Tools(), tool: tool}
			u, err := hooktools.NewUnit(hooktools.WithRunner(tools), hooktools.WithTimeout(libraryHungToolTimeout),
				hooktools.WithEnv(hooktools.EnvFrom(lookup)))
			require.NoError(t, err)
			runs = append(runs, &run{call: c, tool: tool, unit: u})
		}
	}
	waits := func(r *run) bool {
		return slices.Contains(r.call.fails, r.tool) || slices.Contains(r.call.waits, r.tool)
	}
	do := func(r *run) {
		start := time.Now()
		r.res, r.err = r.call.call(context.Background(), r.unit)
		r.elapsed = time.Since(start)
	}
	// The runs that wait on a tool all overlap, as they mostly sleep;
	// the others go first, one by one, so that their work does not
	// stretch the waits.
	var wg sync.WaitGroup
	for _, r := range runs {
		if !waits(r) {
			do(r)
		}
	}
	for _, r := range runs {
		if waits(r) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				do(r)
			}()
		}
	}
	wg.Wait()

	baseline := map[string]any{}
	for _, r := range runs {
		if r.tool == "" {
			require.NoError(t, r.err, r.call.name)
			baseline[r.call.name] = r.res
		}
	}
	for _, r := range runs {
		t.Run(r.call.name+"/"+cmp.Or(r.tool, "none")+" hangs", func(t *testing.T) {
			if waits(r) {
				assert.GreaterOrEqual(t, r.elapsed, libraryHungToolTimeout, "the hanging tool was run")
				assert.Less(t, r.elapsed, libraryHungToolBound, "one deadline, not two")
			} else {
				assert.Less(t, r.elapsed, libraryHungToolTimeout, "no tool was waited on")
			}
			if slices.Contains(r.call.fails, r.tool) {
				require.ErrorIs(t, r.err, context.DeadlineExceeded)
				assert.Contains(t, r.err.Error(), r.tool+": ")
				return
			}
			require.NoError(t, r.err)
			assert.Equal(t, baseline[r.call.name], r.res)
		})
	}
}
