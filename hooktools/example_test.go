package hooktools_test

import (
	"context"
	"fmt"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// A hook reads its config, typed, with config.yaml's defaults, and sets
// the unit's status, all through the one unit it is given. main gives it
// hooktools.NewUnit(); here an in-memory Juju unit (httprelationtest)
// answers the same tools.
func ExampleToolsOf() {
	hook := func(ctx context.Context, unit httprelation.Unit) error {
		tools := hooktools.ToolsOf(unit)
		cfg, err := tools.Config(ctx)
		if err != nil {
			return err
		}
		port, err := cfg.Int("port") // unset: the charm's default
		if err != nil {
			return err
		}
		leader, err := tools.IsLeader(ctx)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("serving on :%d", port)
		if leader {
			msg += " (leader)"
		}
		return tools.SetStatus(ctx, hooktools.WorkloadStatus{Status: "active", Message: msg})
	}

	h, err := httprelationtest.NewHarness(&toolsim.Model{
		Unit:   "proxy/0",
		Leader: true,
		// Its charmcraft.yaml declares the option port: int, default 80.
		CharmDir: "../testdata/charms/unified",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := h.Run(context.Background(), hook); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %s\n", h.Status().Status, h.Status().Message)
	// Output: active: serving on :80 (leader)
}
