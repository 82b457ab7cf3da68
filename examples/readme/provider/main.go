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
	unit, err := hooktools.NewUnit() // hook tools on PATH, flags in Juju's charm state, warnings to juju-log
	if err == nil {
		err = publish(context.Background(), unit)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1) // the hook fails and Juju retries it; nothing it wrote is committed
	}
}

// publish is the hook's work, in every hook: it tells each related proxy
// where this unit serves, and keeps website.available up to date.
func publish(ctx context.Context, unit httprelation.Unit) error {
	website, err := unit.OpenProvides("website") // metadata.yaml must provide it
	if err != nil {
		return err
	}
	if err := website.Configure(ctx, 8080); err != nil { // hostname, private-address, port on every relation
		return err
	}
	flags, err := httprelation.NewRegistry(ctx, unit.Store)
	if err != nil {
		return err
	}
	if err := website.UpdateFlags(ctx, flags); err != nil { // website.available while a proxy is joined
		return err
	}
	return flags.Save(ctx)
}
