package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/statefile"
)

// incrementalHelp ends the services command's help.
const incrementalHelp = `

With --incremental the command keeps the hosts it read in the charm's
state (--store) and reads in each hook only what can have changed: the
hook's remote unit in a relation-joined or -changed hook, and units it
does not hold yet. Once it holds every unit, a hook costs one
relation-ids, one relation-list per relation and at most one relation-get
whatever the number of units, plus one state-get and, when something
changed, one state-set.

It relies on Juju running relation-changed after every change of a remote
unit's data: run it, and let it succeed, in every <endpoint>-relation-joined
and -relation-changed hook (a dispatch script that runs it in every hook
does). A hook that skips it, or a failed one resolved with --no-retry,
keeps that unit's hosts as last read until the unit changes again or the
next full re-read: in upgrade-charm, and in update-status once 5 minutes
have passed since the last one. What it keeps
is saved only when it succeeds, so a failed hook changes nothing and
Juju's retry reads again; a lost store means reading every unit once.
Past 5000 units it reads every unit in every hook, with one warning.`

// storeCapsHelp follows what a command says of --store: the caps on
// what it reads from either store.
func storeCapsHelp() string {
	return fmt.Sprintf(`

Either store is read whole, and only within caps: Juju's charm state up
to %d MiB of state-get output and %d keys (hooktools.MaxStateOutput,
MaxStateKeys), the file up to %d MiB and %d keys (statefile.MaxFileSize,
MaxKeys). A store past them fails the command with status 1, naming the
cap, with nothing printed or saved and the store left as it was.`,
		hooktools.MaxStateOutput>>20, hooktools.MaxStateKeys, statefile.MaxFileSize>>20, statefile.MaxKeys)
}

// incremental holds the --incremental and --store of services and
// flags.
type incremental struct {
	on    bool
	store string // storeState or storeFile
	// storeSet reports --store on the command line.
	storeSet bool
}

// read is how the command reads requires endpoints, as the hook cache
// names it.
func (inc *incremental) read() string {
	if inc.on {
		return viewRead(inc.store)
	}
	return readFull
}

// incrementalFlags declares --incremental and --store, with the usage
// texts of the command.
func incrementalFlags(fs *flag.FlagSet, incUsage, storeUsage string) *incremental {
	inc := &incremental{store: storeState}
	fs.BoolVar(&inc.on, "incremental", false, incUsage)
	fs.Func("store", storeUsage+", `state|file`: Juju's charm state (state-get/state-set),\n"+
		"or $JUJU_CHARM_DIR/.httprelation/state.json (default state)", func(s string) error {
		if s != storeState && s != storeFile {
			return fmt.Errorf("want %q or %q", storeState, storeFile)
		}
		inc.store, inc.storeSet = s, true
		return nil
	})
	return inc
}

// incrementalServices reads the services through the incremental view
// kept in store and saves it, in one write, once the read succeeded. unit
// is the hook's, the endpoint checked.
func (c *cli) incrementalServices(ctx context.Context, unit httprelation.Unit, endpoint, store string) ([]httprelation.Service, error) {
	acc := unit.Accessor
	st, err := c.openStore(unit, store)
	if err != nil {
		return nil, err
	}
	// Loading the state and the reads every hook of the endpoint makes
	// do not depend on each other: overlapping them saves a round trip
	// to the agent or two, which is most of a hook's time.
	var (
		wg     sync.WaitGroup
		reg    *httprelation.Registry
		regErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		reg, regErr = httprelation.NewRegistry(ctx, st)
	}()
	prefetch(ctx, acc, endpoint)
	wg.Wait()
	if regErr != nil {
		return nil, regErr
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

// prefetch makes, concurrently, the reads that Services will make in
// this hook whatever the view holds: the endpoint's relation ids and, in
// a relation hook of the endpoint, the hook's relation's units and the
// hook's remote unit's bag. The Accessor keeps them for the hook, so
// Services reads them from memory; a failed read is not kept, and
// Services makes it again and reports it. A read that ran into the
// per-call deadline is not waited on twice: hooktools does not run a
// tool that stalled again in the same Unit.
func prefetch(ctx context.Context, acc httprelation.Accessor, endpoint string) {
	hc, err := acc.HookContext(ctx)
	if err != nil {
		return
	}
	reads := []func(){func() { _, _ = acc.RelationIDs(ctx, endpoint) }}
	if strings.HasPrefix(hc.RelationID, endpoint+":") && !hc.IsBroken(hc.RelationID) {
		reads = append(reads, func() { _, _ = acc.RelationUnits(ctx, hc.RelationID) })
		if hc.RemoteUnit != "" && !hc.IsDeparting(hc.RelationID, hc.RemoteUnit) {
			reads = append(reads, func() { _, _ = acc.UnitData(ctx, hc.RelationID, hc.RemoteUnit) })
		}
	}
	var wg sync.WaitGroup
	for _, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			read()
		}()
	}
	wg.Wait()
}

// openStore returns the Store that --store names: the unit's, over
// Juju's charm state, or the file under the charm directory.
func (c *cli) openStore(unit httprelation.Unit, store string) (httprelation.Store, error) {
	if store != storeFile {
		return unit.Store, nil
	}
	if c.env.CharmDir == "" {
		return nil, errors.New("JUJU_CHARM_DIR is unset: cannot find the file store")
	}
	return statefile.InCharmDir(c.env.CharmDir), nil
}
