package httprelation_test

import (
	"context"
	"fmt"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// A reverse proxy lists the backends behind its "reverseproxy" endpoint.
// web/1 is still joining (no port yet) and is not a backend; api/0 serves
// on IPv6, so its address is bracketed.
func ExampleRequires_Services() {
	acc, err := httprelationtest.NewModel(&toolsim.Model{
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
	services, err := httprelation.NewRequires(acc, "reverseproxy").Services(context.Background())
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
