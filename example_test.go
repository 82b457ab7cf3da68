package httprelation_test

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// printBag prints a data bag one key per line, in key order.
func printBag(bag map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(bag)) {
		fmt.Printf("%s=%s\n", k, bag[k])
	}
}

// A web application publishes its port; the address is the relation's
// ingress address.
func ExampleProvides_Configure() {
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit: "shop/0",
		Hook: toolsim.Hook{Name: "website-relation-joined", RelationID: "website:1", RemoteUnit: "haproxy/0"},
		Relations: map[string]toolsim.Relation{"website:1": {
			RemoteApp: "haproxy",
			Units:     map[string]map[string]string{"haproxy/0": {"private-address": "10.0.0.2"}},
		}},
		Networks: map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.0.9")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	website := httprelation.NewProvides(m.Unit().Accessor, "website")
	if err := website.Configure(context.Background(), 8080); err != nil {
		fmt.Println(err)
		return
	}
	printBag(m.Local("website:1"))
	// Output:
	// hostname=10.0.0.9
	// port=8080
	// private-address=10.0.0.9
}

// A unit behind two virtual IPs: the first goes to the top-level keys, the
// second to extended_data.
func ExampleProvides_Configure_virtualIPs() {
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit:      "shop/0",
		Relations: map[string]toolsim.Relation{"website:1": {RemoteApp: "haproxy"}},
		Networks:  map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.0.9")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	website := httprelation.NewProvides(m.Unit().Accessor, "website")
	err = website.Configure(context.Background(), 443,
		httprelation.WithHostnames("shop.example.com", "shop-b.example.com"),
		httprelation.WithAddresses("192.0.2.10", "192.0.2.11"))
	if err != nil {
		fmt.Println(err)
		return
	}
	printBag(m.Local("website:1"))
	// Output:
	// extended_data=[{"hostname":"shop-b.example.com","private-address":"192.0.2.11","port":443}]
	// hostname=shop.example.com
	// port=443
	// private-address=192.0.2.10
}

// An API serves on its main port and hands the proxy an admin port and a
// metrics port too, each at the relation's ingress address.
func ExampleWithHosts() {
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit:      "api/0",
		Relations: map[string]toolsim.Relation{"website:1": {RemoteApp: "haproxy"}},
		Networks:  map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.0.9")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	website := httprelation.NewProvides(m.Unit().Accessor, "website")
	err = website.Configure(context.Background(), 8080,
		httprelation.WithHosts(httprelation.Host{Port: 9090}, httprelation.Host{Port: 9100}))
	if err != nil {
		fmt.Println(err)
		return
	}
	printBag(m.Local("website:1"))
	// Output:
	// extended_data=[{"hostname":"10.0.0.9","private-address":"10.0.0.9","port":9090},{"hostname":"10.0.0.9","private-address":"10.0.0.9","port":9100}]
	// hostname=10.0.0.9
	// port=8080
	// private-address=10.0.0.9
}

// A reverse proxy lists the backends behind its "reverseproxy" endpoint.
// web/1 is still joining (no port yet) and is not a backend; api/0 serves
// on IPv6, so its address is bracketed.
func ExampleRequires_Services() {
	m, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit: "haproxy/0",
		Hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "web/0"},
		Relations: map[string]toolsim.Relation{
			"reverseproxy:1": {RemoteApp: "web", Units: map[string]map[string]string{
				"web/0": {"hostname": "web-0.internal", "private-address": "10.0.0.10", "port": "8080",
					"extended_data": `[{"hostname": "10.0.0.100", "private-address": "10.0.0.100", "port": 80}]`},
				"web/1": {"private-address": "10.0.0.11"},
			}},
			"reverseproxy:2": {RemoteApp: "api", Units: map[string]map[string]string{
				"api/0": {"private-address": "fd00::20", "port": "9000"},
			}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	services, err := httprelation.NewRequires(m.Unit().Accessor, "reverseproxy").Services(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, svc := range services {
		for _, h := range svc.Hosts {
			fmt.Println(svc.Name, h.Addr())
		}
	}
	// Output:
	// api [fd00::20]:9000
	// web 10.0.0.100:80
	// web web-0.internal:8080
}

// A reverse proxy that renders its configuration once the website endpoint
// has backends, and only when they changed. In a charm the store would be
// the Store of hooktools.NewUnit() (Juju's charm state) or
// statefile.InCharmDir(unit.CharmDir), and the flags would come from the
// relation.
func ExampleRegistry_When() {
	ctx := context.Background()
	store := &httprelation.MemoryStore{}

	hook := func(backends []string) {
		reg, err := httprelation.NewRegistry(ctx, store)
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = reg.When("reverseproxy.available").Do("render", func(ctx context.Context) error {
			changed, err := reg.Changed("backends", backends)
			if err != nil || !changed {
				return err
			}
			fmt.Println("render config for", backends)
			return reg.Set("proxy.configured")
		})
		_ = reg.When("proxy.configured").WhenNot("proxy.started").Do("start", func(ctx context.Context) error {
			fmt.Println("start proxy")
			return reg.Set("proxy.started")
		})

		if len(backends) > 0 {
			_ = reg.Set("reverseproxy.available")
		} else {
			_ = reg.Clear("reverseproxy.available")
		}
		if err := reg.Dispatch(ctx); err != nil {
			fmt.Println(err)
			return
		}
		if err := reg.Save(ctx); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("flags:", reg.List())
	}

	hook([]string{"10.0.0.1:8080"})
	hook([]string{"10.0.0.1:8080"})
	hook([]string{"10.0.0.1:8080", "10.0.0.2:8080"})
	// Output:
	// render config for [10.0.0.1:8080]
	// start proxy
	// flags: [proxy.configured proxy.started reverseproxy.available]
	// flags: [proxy.configured proxy.started reverseproxy.available]
	// render config for [10.0.0.1:8080 10.0.0.2:8080]
	// flags: [proxy.configured proxy.started reverseproxy.available]
}

// reconcile is a reverse proxy's hook work, for every hook (dispatch);
// in a real hook acc and store are those of hooktools.NewUnit().
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
		m, err := httprelationtest.NewHarness(world)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := reconcile(ctx, m.Unit().Accessor, store, show); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d relation-get\n", h.hook.Name, m.CallCount("relation-get"))
	}
	// Output:
	//  10.0.0.10:8080 10.0.0.11:8080 10.0.0.12:8080
	// config-changed: 3 relation-get
	//  10.0.0.10:8080 10.0.0.11:9090 10.0.0.12:8080
	// reverseproxy-relation-changed: 1 relation-get
	//  10.0.0.10:8080 10.0.0.11:9090 10.0.0.12:8080
	// update-status: 0 relation-get
}
