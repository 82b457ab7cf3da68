package httprelation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmkit/httprelation"
)

// benchAccessor answers instantly and keeps nothing, so the benchmark
// measures the library's own work rather than the fake's bookkeeping.
type benchAccessor struct {
	httprelation.Accessor // the methods Configure does not call
	ids                   []string
}

func (b benchAccessor) HookContext(context.Context) (httprelation.HookContext, error) {
	return httprelation.HookContext{Unit: "shop/0", HookName: "config-changed"}, nil
}

func (b benchAccessor) RelationIDs(context.Context, string) ([]string, error) { return b.ids, nil }

func (b benchAccessor) IngressAddress(context.Context, string) (string, error) {
	return "10.0.0.9", nil
}

func (b benchAccessor) SetLocalData(context.Context, string, map[string]string) error { return nil }

func BenchmarkConfigure(b *testing.B) {
	vips := []httprelation.ConfigureOption{
		httprelation.WithHostnames("a.example.com", "b.example.com", "c.example.com"),
		httprelation.WithAddresses("192.0.2.1", "192.0.2.2"),
	}
	for _, r := range []int{1, 10, 100} {
		acc := benchAccessor{}
		for i := range r {
			acc.ids = append(acc.ids, fmt.Sprintf("website:%d", i))
		}
		p := httprelation.NewProvides(acc, "website")
		for _, bc := range []struct {
			name string
			opts []httprelation.ConfigureOption
		}{{"ingress", nil}, {"vips", vips}} {
			b.Run(fmt.Sprintf("relations=%d/%s", r, bc.name), func(b *testing.B) {
				b.ReportAllocs()
				ctx := context.Background()
				for b.Loop() {
					if err := p.Configure(ctx, 8080, bc.opts...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
