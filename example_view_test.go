package httprelation_test

import (
	"context"
	"fmt"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// reconcile is a reverse proxy's hook work, for every hook (dispatch);
// in a real hook acc is hooktools.FromEnv()'s and store
// hooktools.NewStateStore(hooktools.ExecRunner{}).
func reconcile(ctx context.Context, acc httprelation.Accessor, store httprelation.Store, render func([]httprelation.Service) error) error {
	flags, err := httprelation.NewRegistry(ctx, store)
	if err != nil {
		return err
	}
	proxy := httprelation.NewRequires(acc, "reverseproxy", httprelation.WithIncrementalView(flags))
	services, err := proxy.Services(ctx) // reads this hook's unit and units not kept yet
	if err != nil {
		return err
	}
	if err := render(services); err != nil {
		return err // nothing saved: Juju's retry reads the unit again
	}
	if err := proxy.UpdateFlags(ctx, flags); err != nil { // from the same read
		return err
	}
	return flags.Save(ctx) // the view and the flags, in one write
}

// A reverse proxy keeps the incremental view. The first hook reads every
// unit; in web/1's relation-changed hook only web/1 is read again.
func ExampleWithIncrementalView() {
	ctx := context.Background()
	world := &toolsim.Model{
		Unit: "haproxy/0",
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", Units: map[string]map[string]string{
			"web/0": {"private-address": "10.0.0.10", "port": "8080"},
			"web/1": {"private-address": "10.0.0.11", "port": "8080"},
			"web/2": {"private-address": "10.0.0.12", "port": "8080"},
		}}},
	}
	store := &httprelation.MemoryStore{} // kept between hooks
	show := func(services []httprelation.Service) error {
		for _, svc := range services {
			for _, h := range svc.Hosts {
				fmt.Print(" ", h.Addr())
			}
		}
		fmt.Println()
		return nil
	}
	hooks := []struct {
		hook toolsim.Hook
		port string // web/1's port when the hook runs
	}{
		{toolsim.Hook{Name: "config-changed"}, "8080"},
		{toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "web/1"}, "9090"},
		{toolsim.Hook{Name: "update-status"}, "9090"},
	}
	for _, h := range hooks {
		world.Hook = h.hook
		world.Relations["reverseproxy:1"].Units["web/1"]["port"] = h.port
		acc, err := httprelationtest.NewModel(world)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := reconcile(ctx, acc, store, show); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d relation-get\n", h.hook.Name, acc.CallCount("UnitData"))
	}
	// Output:
	//  10.0.0.10:8080 10.0.0.11:8080 10.0.0.12:8080
	// config-changed: 3 relation-get
	//  10.0.0.10:8080 10.0.0.11:9090 10.0.0.12:8080
	// reverseproxy-relation-changed: 1 relation-get
	//  10.0.0.10:8080 10.0.0.11:9090 10.0.0.12:8080
	// update-status: 0 relation-get
}
