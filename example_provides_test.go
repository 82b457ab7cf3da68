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
	m, err := httprelationtest.NewModel(&toolsim.Model{
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
	website := httprelation.NewProvides(m, "website")
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
	m, err := httprelationtest.NewModel(&toolsim.Model{
		Unit:      "shop/0",
		Relations: map[string]toolsim.Relation{"website:1": {RemoteApp: "haproxy"}},
		Networks:  map[string]toolsim.Network{"website": toolsim.NetworkAt("10.0.0.9")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	website := httprelation.NewProvides(m, "website")
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
