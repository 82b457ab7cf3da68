package httprelationtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// proxyHook is a requirer charm's hook, written as a function of the unit
// so that it runs unchanged over the real hook tools (in main) and over a
// Model (in tests): it publishes how many backends it serves and keeps
// the backends.available flag.
func proxyHook(ctx context.Context, u httprelation.Unit) error {
	backends := httprelation.NewRequires(u.Accessor, "backends", httprelation.WithLogger(u.Logger))
	services, err := backends.Services(ctx)
	if err != nil {
		return err
	}
	hosts := 0
	for _, svc := range services {
		hosts += len(svc.Hosts)
	}
	ids, err := u.Accessor.RelationIDs(ctx, "backends")
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := u.Accessor.SetLocalData(ctx, id, map[string]string{"backends": fmt.Sprint(hosts)}); err != nil {
			return err
		}
	}
	flags, err := httprelation.NewRegistry(ctx, u.Store)
	if err != nil {
		return err
	}
	// The rule of Requires.UpdateFlags, without reading the relations
	// again.
	if hosts > 0 {
		err = flags.Set(httprelation.AvailableFlag("backends"))
	} else {
		err = flags.Clear(httprelation.AvailableFlag("backends"))
	}
	if err != nil {
		return err
	}
	return flags.Save(ctx)
}

// A charm's hook runs in-process through the events of a relation's life,
// each firing the hooks Juju fires, in Juju's order.
func Example() {
	ctx := context.Background()
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit:      "lb/0",
		Relations: map[string]toolsim.Relation{"backends:1": {RemoteApp: "web", RemoteEndpoint: "website"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range []toolsim.Event{
		toolsim.Join("backends:1", "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"}),
		toolsim.Join("backends:1", "web/1", map[string]string{"private-address": "10.0.0.2", "port": "8080"}),
		toolsim.Depart("backends:1", "web/0"),
		toolsim.Depart("backends:1", "web/1"),
	} {
		hooks, err := m.Fire(ctx, ev, proxyHook)
		if err != nil {
			fmt.Println(err)
			return
		}
		flags, err := m.Flags()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v: %d hooks, backends=%s, flags %v\n", ev, len(hooks), m.Local("backends:1")["backends"], flags)
	}
	// Output:
	// join web/0 to backends:1: 2 hooks, backends=1, flags [backends.available]
	// join web/1 to backends:1: 2 hooks, backends=2, flags [backends.available]
	// depart web/0 from backends:1: 1 hooks, backends=1, flags [backends.available]
	// depart web/1 from backends:1: 1 hooks, backends=0, flags []
}

// Fire makes an event happen and runs the hook code for each hook Juju
// fires for it; the hook code sees Juju's hook context.
func ExampleHarness_Fire() {
	ctx := context.Background()
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit: "lb/0",
		Relations: map[string]toolsim.Relation{"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
			"web/0": {"private-address": "10.0.0.1"}, "web/1": {"private-address": "10.0.0.2"},
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	show := func(ctx context.Context, u httprelation.Unit) error {
		hc, err := u.Accessor.HookContext(ctx)
		if err != nil {
			return err
		}
		units, err := u.Accessor.RelationUnits(ctx, hc.RelationID)
		if err != nil {
			return err
		}
		fmt.Printf("%s remote=%q departing=%q listed=%v\n", hc.HookName, hc.RemoteUnit, hc.DepartingUnit, units)
		return nil
	}
	if _, err := m.Fire(ctx, toolsim.RemoveRelation("backends:1"), show); err != nil {
		fmt.Println(err)
	}
	// Output:
	// backends-relation-departed remote="web/0" departing="web/0" listed=[web/1]
	// backends-relation-departed remote="web/1" departing="web/1" listed=[]
	// backends-relation-broken remote="" departing="" listed=[]
}

// A hook that fails leaves the relation data and the charm state as they
// were, as in Juju.
func ExampleHarness_Run() {
	ctx := context.Background()
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit:      "web/0",
		Hook:      toolsim.Hook{Name: "website-relation-joined", RelationID: "website:3", RemoteUnit: "lb/0"},
		Relations: map[string]toolsim.Relation{"website:3": {RemoteApp: "lb", Units: map[string]map[string]string{"lb/0": {}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = m.Run(ctx, func(ctx context.Context, u httprelation.Unit) error {
		if err := u.Accessor.SetLocalData(ctx, "website:3", map[string]string{"port": "8080"}); err != nil {
			return err
		}
		return errors.New("the web server did not start")
	})
	fmt.Println(err)
	fmt.Printf("local bag after the failed hook: %v\n", m.Local("website:3"))
	// Output:
	// hook website-relation-joined: the web server did not start
	// local bag after the failed hook: map[]
}

// The library's warnings about bad remote data go to the unit's logger,
// which in a Harness turns them into juju-log lines.
func ExampleHarness_Warnings() {
	ctx := context.Background()
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit: "lb/0",
		Hook: toolsim.Hook{Name: "backends-relation-changed", RelationID: "backends:1", RemoteUnit: "web/0"},
		Relations: map[string]toolsim.Relation{"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
			"web/0": {"private-address": "10.0.0.1", "port": "http"},
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Run(ctx, proxyHook); err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range m.Warnings() {
		what, _, _ := strings.Cut(w, " value=")
		fmt.Println(what)
	}
	// Output:
	// backends:1: httprelation: ignoring invalid remote data endpoint=backends relation=backends:1 unit=web/0 key=port
}

// A scenario is a model file, the same format hook-tool-sim serves;
// toolsim.ReadModel checks it, so a hook that names a unit the model
// lacks fails there.
func ExampleNewHarness() {
	model, err := toolsim.ReadModel("testdata/changed.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := httprelationtest.NewHarness(model)
	if err != nil {
		fmt.Println(err)
		return
	}
	hc, err := m.Unit().Accessor.HookContext(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hc.HookName, hc.RemoteUnit)

	_, err = toolsim.ReadModel("testdata/unknown-remote-unit.json")
	fmt.Println(errors.Is(err, toolsim.ErrInvalidModel))
	// Output:
	// backends-relation-changed shop/0
	// true
}

// Hook tools the library does not call run in-process through Tools,
// answering as the simulator does.
func ExampleHarness_Tools() {
	ctx := context.Background()
	m, err := httprelationtest.NewHarness(&toolsim.Model{Unit: "web/0", Config: map[string]any{"port": 8080}})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := m.Tools().Run(ctx, "config-get", []string{"--format=json", "port"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	if _, err := m.Tools().Run(ctx, "status-set", []string{"active", "serving on :8080"}, nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*m.Status())
	// Output:
	// 8080
	// {active serving on :8080}
}
