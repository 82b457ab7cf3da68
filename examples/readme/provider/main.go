// A provider charm's hook binary: publishes where this unit serves.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
)

func main() {
	// The unit this hook runs on: the real hook tools on PATH, flags kept in
	// Juju's charm state, warnings sent to juju-log.
	unit, err := hooktools.NewUnit()
	if err != nil {
		fail(err) // hooktools.ErrNotInHook outside Juju
	}
	if err := publish(context.Background(), unit); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1) // the hook fails and Juju retries it; nothing it wrote is committed
}

// publish is the hook's work, for every hook: it tells each related proxy
// where this unit serves.
func publish(ctx context.Context, unit httprelation.Unit) error {
	website, err := unit.OpenProvides("website") // metadata.yaml must provide it
	if err != nil {
		return err
	}
	flags, err := httprelation.NewRegistry(ctx, unit.Store)
	if err != nil {
		return err
	}
	if err := website.UpdateFlags(ctx, flags); err != nil { // website.available
		return err
	}
	if err := flags.When("website.available").Do("publish", func(ctx context.Context) error {
		// hostname, private-address (this relation's ingress address) and port, on every relation
		return website.Configure(ctx, 8080)
	}); err != nil {
		return err
	}
	if err := flags.Dispatch(ctx); err != nil {
		return err
	}
	return flags.Save(ctx)
}
