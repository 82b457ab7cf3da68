package httprelation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// BenchmarkConfigure measures Configure over httprelationtest with n
// remote units, each in a relation of its own (n proxy applications in
// front of one website): Configure's work is per relation, so this is its
// worst case for n units. What it reports includes the fake Model's
// bookkeeping, as BenchmarkServices does.
func BenchmarkConfigure(b *testing.B) {
	vips := []httprelation.ConfigureOption{
		httprelation.WithHostnames("a.example.com", "b.example.com", "c.example.com"),
		httprelation.WithAddresses("192.0.2.1", "192.0.2.2"),
	}
	for _, n := range []int{1, 10, 100, 1000} {
		rels := map[string]toolsim.Relation{}
		for i := range n {
			app := fmt.Sprintf("proxy-%d", i)
			rels[fmt.Sprintf("website:%d", i+1)] = toolsim.Relation{
				RemoteApp: app,
				Network:   ingress("10.0.0.9"),
				Units:     map[string]map[string]string{app + "/0": {"private-address": fmt.Sprintf("10.1.%d.%d", i>>8&255, i&255)}},
			}
		}
		for _, bc := range []struct {
			name string
			opts []httprelation.ConfigureOption
		}{{"ingress", nil}, {"vips", vips}} {
			b.Run(fmt.Sprintf("N=%d/%s", n, bc.name), func(b *testing.B) {
				m := httprelationtest.New(b, &toolsim.Model{Unit: "shop/0", Relations: rels,
					Hook: toolsim.Hook{Name: "config-changed"}})
				p := httprelation.NewProvides(m, "website")
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					m.ResetCalls() // the Model records every call; keep that from growing
					if err := p.Configure(ctx, 8080, bc.opts...); err != nil {
						b.Fatal(err)
					}
				}
				if got := m.Local(fmt.Sprintf("website:%d", n))["port"]; got != "8080" {
					b.Fatalf("last relation has port %q, want 8080", got)
				}
			})
		}
	}
}
