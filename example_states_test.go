package httprelation_test

import (
	"context"
	"fmt"

	"github.com/charmkit/httprelation"
)

// A reverse proxy that renders its configuration once the website endpoint
// has backends, and only when they changed. In a charm the store would be
// httprelation.DefaultFileStore(os.Getenv("JUJU_CHARM_DIR")) or a
// state-get/state-set store, and the flags would come from the relation.
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
