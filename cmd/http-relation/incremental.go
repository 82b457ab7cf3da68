package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
)

// incrementalHelp ends the services command's help.
const incrementalHelp = `

With --incremental the command keeps the hosts it read in the charm's
state (--store) and reads in each hook only what can have changed: the
hook's remote unit in a relation-joined or -changed hook, and units it
does not hold yet. A hook then costs one relation-ids, one relation-list
per relation and at most one relation-get whatever the number of units,
plus one state-get and, when something changed, one state-set.

It relies on Juju running relation-changed after every change of a remote
unit's data: run it, and let it succeed, in every <endpoint>-relation-joined
and -relation-changed hook (a dispatch script that runs it in every hook
does). A hook that skips it keeps that unit's hosts as last read until the
unit changes again or the next full re-read: in upgrade-charm, and in
update-status once 5 minutes have passed since the last one. What it keeps
is saved only when it succeeds, so a failed hook changes nothing and
Juju's retry reads again; a lost store means reading every unit once.
Past 5000 units it reads every unit in every hook, with one warning.`

// servicesSetup declares the services command's flags.
func servicesSetup(fs *flag.FlagSet) runFunc {
	incremental := fs.Bool("incremental", false, "keep what was read in the charm's state and read only what changed (see above)")
	store := storeFlag(fs, "where --incremental keeps what it read")
	return func(ctx context.Context, c *cli, args []string) error {
		if !*incremental {
			return runServices(ctx, c, args)
		}
		endpoint := args[0]
		if !endpointName.MatchString(endpoint) {
			return usagef("services", "invalid endpoint name %q", endpoint)
		}
		services, err := c.incrementalServices(ctx, endpoint, *store)
		if err != nil {
			return fmt.Errorf("services %s: %w", endpoint, err)
		}
		return c.printJSON(services)
	}
}

// incrementalServices reads the services through the incremental view
// kept in store and saves it, in one write, once the read succeeded.
func (c *cli) incrementalServices(ctx context.Context, endpoint, store string) ([]httprelation.Service, error) {
	acc, err := c.accessor()
	if err != nil {
		return nil, err
	}
	if err := c.checkEndpoint(endpoint, httprelation.RoleRequirer); err != nil {
		return nil, err
	}
	st, err := c.openStore(store)
	if err != nil {
		return nil, err
	}
	reg, err := httprelation.NewRegistry(ctx, st)
	if err != nil {
		return nil, err
	}
	req := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(c.log), httprelation.WithIncrementalView(reg))
	services, err := req.Services(ctx)
	if err != nil {
		return nil, err
	}
	if err := reg.Save(ctx); err != nil {
		return nil, err
	}
	return services, nil
}

// storeFlag declares --store, whose value is storeState or storeFile.
func storeFlag(fs *flag.FlagSet, what string) *string {
	store := storeState
	fs.Func("store", what+", `state|file`: Juju's charm state (state-get/state-set),\n"+
		"or $JUJU_CHARM_DIR/.httprelation/state.json (default state)", func(s string) error {
		if s != storeState && s != storeFile {
			return fmt.Errorf("want %q or %q", storeState, storeFile)
		}
		store = s
		return nil
	})
	return &store
}

// openStore returns the Store that --store names.
func (c *cli) openStore(store string) (httprelation.Store, error) {
	if store != storeFile {
		return hooktools.NewStateStore(c.runner), nil
	}
	if c.env.CharmDir == "" {
		return nil, errors.New("JUJU_CHARM_DIR is unset: cannot find the file store")
	}
	return httprelation.DefaultFileStore(c.env.CharmDir), nil
}
