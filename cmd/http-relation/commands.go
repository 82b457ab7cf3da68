package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/internal/charmmeta"
	"github.com/charmkit/httprelation/internal/juju"
)

// checkEndpointName applies the library's rule for endpoint names
// (Juju's syntax for relation names, at most juju.MaxEndpointName bytes)
// up front, so that a typo such as "-r" is a usage error rather than a
// hook tool's complaint.
func checkEndpointName(cmd, endpoint string) error {
	if !juju.ValidEndpoint(endpoint) {
		return usagef(cmd, "invalid endpoint name %q: want Juju's syntax for relation names, at most %d bytes", endpoint, juju.MaxEndpointName)
	}
	return nil
}

func servicesCommand() command {
	return command{
		name:     "services",
		synopsis: "<endpoint> [--timeout D]",
		summary:  "print the services behind a requires endpoint as JSON",
		args:     1,
		help: fmt.Sprintf(`Prints, as one line of JSON, the services the remote applications of a
requires endpoint offer: one per application, hosts de-duplicated and sorted:

  [{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]

"[]" when there are none. Invalid remote entries are skipped with a
warning on stderr (at most 8 per unit and 64 in all, then one counting
the others); the good ones are still printed and the status is 0.
So is a remote unit whose data is larger than %d MiB or holds more than
%d keys, and a unit that left the relation while it was read.
The unit leaving in a relation-departed hook and the relation of a
relation-broken hook are left out.

Any other failure of a hook tool, one that runs longer than --timeout
included, fails the command with status 1 at once: the tools still
running are killed, and nothing is printed on stdout.`, httprelation.MaxBagBytes>>20, httprelation.MaxBagKeys) + timeoutHelp + incrementalHelp,
		setup: func(fs *flag.FlagSet) runFunc {
			timeout := timeoutFlag(fs)
			inc := incrementalFlags(fs)
			return func(ctx context.Context, c *cli, args []string) error {
				return runServices(ctx, c, args[0], *timeout, inc)
			}
		},
	}
}

// timeoutHelp ends the help of every command: what --timeout bounds.
const timeoutHelp = `

A hook tool that runs longer than --timeout is killed and is not run
again by the command: its later calls fail at once. So one hung tool
costs the command one --timeout, whatever the number of relations.`

// timeoutFlag declares --timeout, the deadline of each hook tool call.
func timeoutFlag(fs *flag.FlagSet) *time.Duration {
	timeout := hooktools.DefaultTimeout
	fs.Func("timeout", fmt.Sprintf("`duration` after which one hook tool call is killed and the command fails,\n"+
		"e.g. 10s or 500ms (default %v)", hooktools.DefaultTimeout), func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 10s")
		}
		timeout = d
		return nil
	})
	return &timeout
}

func runServices(ctx context.Context, c *cli, endpoint string, timeout time.Duration, inc *incremental) error {
	if err := checkEndpointName("services", endpoint); err != nil {
		return err
	}
	services, err := c.services(ctx, endpoint, timeout, inc)
	if err != nil {
		return fmt.Errorf("services %s: %w", endpoint, err)
	}
	return c.printJSON(services)
}

func (c *cli) services(ctx context.Context, endpoint string, timeout time.Duration, inc *incremental) ([]httprelation.Service, error) {
	unit, err := c.unit(timeout)
	if err != nil {
		return nil, err
	}
	if err := c.checkEndpoint(endpoint, charmmeta.RoleRequirer); err != nil {
		return nil, err
	}
	if inc.on {
		return c.incrementalServices(ctx, unit, endpoint, *inc.store)
	}
	return httprelation.NewRequires(unit.Accessor, endpoint, httprelation.WithLogger(c.log)).Services(ctx)
}

func configureCommand() command {
	return command{
		name:     "configure",
		synopsis: "<endpoint> --port N [--hostname H]... [--address A]... [--timeout D]",
		summary:  "publish where this unit serves on a provides endpoint",
		args:     1,
		help: `Publishes hostname, private-address and port in the local unit's data
of every relation of a provides endpoint. Without --hostname or --address
each relation gets its own ingress address. --hostname is the name given
to clients (a public name, a virtual IP); --address is the private-address,
what a proxy in the model connects to: the haproxy charm reads only
private-address and port. Repeat --hostname/--address for several hosts
(virtual IPs): the first is published as usual, the others in
extended_data. Addresses are published canonical: names in lower case,
IPv6 as RFC 5952 writes it, IPv4-mapped IPv6 as IPv4. Nothing is printed.

Nothing a requirer would refuse is published: more than 257 hosts, or an
extended_data over 64 KiB in any relation, fails with status 1, naming the
limit, and no relation is written.` + timeoutHelp,
		setup: func(fs *flag.FlagSet) runFunc {
			var (
				port                 int
				hostnames, addresses []string
			)
			timeout := timeoutFlag(fs)
			fs.Func("port", "`port` this unit serves on, 1..65535 (required)", func(s string) error {
				p, err := httprelation.ParsePort(s)
				port = p
				return err
			})
			fs.Func("hostname", "`hostname` or IP given to clients; repeatable", appendAddress(&hostnames))
			fs.Func("address", "private `address`: what a proxy connects to; repeatable", appendAddress(&addresses))
			return func(ctx context.Context, c *cli, args []string) error {
				if port == 0 {
					return usagef("configure", "--port is required")
				}
				return runConfigure(ctx, c, args[0], port, hostnames, addresses, *timeout)
			}
		},
	}
}

// appendAddress validates an address flag at parse time, so that a bad
// value is a usage error like any other bad flag.
func appendAddress(list *[]string) func(string) error {
	return func(s string) error {
		if err := httprelation.CheckAddress(s); err != nil {
			return err
		}
		*list = append(*list, s)
		return nil
	}
}

func runConfigure(ctx context.Context, c *cli, endpoint string, port int, hostnames, addresses []string, timeout time.Duration) error {
	if err := checkEndpointName("configure", endpoint); err != nil {
		return err
	}
	var opts []httprelation.ConfigureOption
	if len(hostnames) > 0 {
		opts = append(opts, httprelation.WithHostnames(hostnames...))
	}
	if len(addresses) > 0 {
		opts = append(opts, httprelation.WithAddresses(addresses...))
	}
	unit, err := c.unit(timeout)
	if err == nil {
		err = c.checkEndpoint(endpoint, charmmeta.RoleProvider)
	}
	if err == nil {
		err = httprelation.NewProvides(unit.Accessor, endpoint, httprelation.WithLogger(c.log)).Configure(ctx, port, opts...)
	}
	if err != nil {
		return fmt.Errorf("configure %s: %w", endpoint, err)
	}
	return nil
}

// Values of flags --store.
const (
	storeState = "state"
	storeFile  = "file"
)

func flagsCommand() command {
	return command{
		name:     "flags",
		synopsis: "[--store state|file] [--timeout D]",
		summary:  "update the <endpoint>.available flags and print the set flags",
		args:     0,
		help: `Sets or clears "<endpoint>.available" for every http endpoint in the
charm's metadata.yaml (or charmcraft.yaml), saves the flags, and prints
every set flag as a sorted JSON array, e.g. ["website.available"].

A provides endpoint is available while a remote unit is joined; a requires
endpoint while a remote unit serves a usable host. A failure leaves the
stored flags as they were; nothing is printed on stdout then.` + timeoutHelp,
		setup: func(fs *flag.FlagSet) runFunc {
			store := storeFlag(fs, "where flags are kept")
			timeout := timeoutFlag(fs)
			return func(ctx context.Context, c *cli, _ []string) error {
				flags, err := c.updateFlags(ctx, *store, *timeout)
				if err != nil {
					return fmt.Errorf("flags: %w", err)
				}
				return c.printJSON(flags)
			}
		},
	}
}

func (c *cli) updateFlags(ctx context.Context, store string, timeout time.Duration) ([]string, error) {
	unit, err := c.unit(timeout)
	if err != nil {
		return nil, err
	}
	if c.env.CharmDir == "" {
		return nil, errors.New("JUJU_CHARM_DIR is unset: cannot find the charm metadata")
	}
	endpoints, err := charmmeta.ReadEndpoints(c.env.CharmDir)
	if err != nil {
		return nil, err
	}
	st, err := c.openStore(unit, store)
	if err != nil {
		return nil, err
	}
	reg, err := httprelation.NewRegistry(ctx, st)
	if err != nil {
		return nil, err
	}
	// Every endpoint is updated that can be; a failure leaves the stored
	// flags as they were, as a failed hook would: the next run computes
	// them afresh anyway.
	var errs []error
	for _, ep := range endpoints {
		var err error
		if !juju.ValidEndpoint(ep.Name) {
			errs = append(errs, fmt.Errorf("endpoint %q: %w: want Juju's syntax for relation names, at most %d bytes",
				ep.Name, httprelation.ErrInvalidEndpoint, juju.MaxEndpointName))
			continue
		}
		switch ep.Role {
		case charmmeta.RoleProvider:
			err = httprelation.NewProvides(unit.Accessor, ep.Name, httprelation.WithLogger(c.log)).UpdateFlags(ctx, reg)
		case charmmeta.RoleRequirer:
			err = httprelation.NewRequires(unit.Accessor, ep.Name, httprelation.WithLogger(c.log)).UpdateFlags(ctx, reg)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("endpoint %q: %w", ep.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := reg.Save(ctx); err != nil {
		return nil, err
	}
	return reg.List(), nil
}

// unit returns the running hook's unit over c's runner, each tool call
// ended after timeout, its warnings going to c's logger, or an error
// wrapping hooktools.ErrNotInHook before any tool is tried.
func (c *cli) unit(timeout time.Duration) (httprelation.Unit, error) {
	unit, err := hooktools.NewUnit(hooktools.WithEnv(c.env), hooktools.WithRunner(c.runner), hooktools.WithTimeout(timeout))
	if err != nil {
		return unit, err
	}
	unit.Logger = c.log
	return unit, nil
}

// checkEndpoint verifies the endpoint against the charm's metadata when
// there is some: a typo or the wrong role then fails loudly instead of
// reading or writing nothing. Without metadata (an unusual charm layout,
// or JUJU_CHARM_DIR unset) there is nothing to check against.
func (c *cli) checkEndpoint(endpoint string, role charmmeta.Role) error {
	if c.env.CharmDir == "" {
		return nil
	}
	err := charmmeta.CheckEndpoint(c.env.CharmDir, endpoint, role)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// printJSON writes v as one line of JSON.
func (c *cli) printJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if _, err := c.stdout.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
