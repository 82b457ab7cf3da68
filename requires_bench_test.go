package httprelation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// BenchmarkServices measures Services over n remote units in memory, so
// what it reports is the library's own cost plus the fake Model's: the
// budget at n=1000 is 2 ms and 3,000 allocations per call.
func BenchmarkServices(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			// Four applications over two relations each, as a load
			// balancer in front of several sites would see it; every
			// tenth unit also lists a VIP.
			rels := map[string]toolsim.Relation{}
			for i := range 8 {
				app := fmt.Sprintf("site-%c", 'a'+i%4) // Juju refuses "site-0"
				rels[fmt.Sprintf("reverseproxy:%d", i+1)] = toolsim.Relation{RemoteApp: app, Units: map[string]map[string]string{}}
			}
			for u := range n {
				r := rels[fmt.Sprintf("reverseproxy:%d", u%len(rels)+1)]
				bag := map[string]string{
					"private-address": fmt.Sprintf("10.%d.%d.%d", u>>16&255, u>>8&255, u&255),
					"ingress-address": fmt.Sprintf("10.%d.%d.%d", u>>16&255, u>>8&255, u&255),
					"egress-subnets":  fmt.Sprintf("10.%d.%d.%d/32", u>>16&255, u>>8&255, u&255),
					"port":            "8080",
				}
				if u%10 == 0 {
					bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.200.%d.%d","private-address":"10.200.%d.%d","port":80}]`, u>>8&255, u&255, u>>8&255, u&255)
				}
				r.Units[fmt.Sprintf("%s/%d", r.RemoteApp, u)] = bag
			}
			m := httprelationtest.New(b, &toolsim.Model{Unit: "haproxy/0", Relations: rels,
				Hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "site-a/0"}})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m.ResetCalls() // the Model records every call; keep that from growing
				// A Requires per hook, as a charm builds it: a reused one
				// answers from its first read.
				req := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(quiet))
				services, err := req.Services(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if got := countHosts(services); got != n+(n+9)/10 {
					b.Fatalf("got %d hosts, want %d", got, n+(n+9)/10)
				}
			}
		})
	}
}

func countHosts(services []httprelation.Service) int {
	n := 0
	for _, s := range services {
		n += len(s.Hosts)
	}
	return n
}
