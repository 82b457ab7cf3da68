package main

import (
	"context"
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
		name:       "services",
		positional: "<endpoint>",
		summary:    "print the services behind a requires endpoint as JSON",
		args:       1,
		help: fmt.Sprintf(`Prints, as one line of JSON, the services the remote applications of a
requires endpoint offer: one per application, hosts de-duplicated and sorted
(one line, wrapped here):

  [{"service_name":"web","hosts":[{"hostname":"web.example","private-address":"10.0.0.1",
    "port":8080,"addr":"web.example:8080","private-addr":"10.0.0.1:8080"}]}]

"addr" is hostname:port, the address clients are told to use;
"private-addr" is private-address:port, what a proxy or load balancer in
the model connects to (the haproxy charm connects only there). Both
bracket an IPv6 address, as in [2001:db8::1]:8080, so a shell charm can
use them as they are.

"[]" when there are none. Invalid remote entries are skipped with a
warning on stderr (at most 8 per unit and 64 in all, then one counting
the others); the good ones are still printed and the status is 0.
So is a remote unit whose data is larger than %d MiB or holds more than
%d keys, and a unit that left the relation while it was read.
The unit leaving in a relation-departed hook and the relation of a
relation-broken hook are left out.

Any other failure of a hook tool, one that runs longer than --timeout
included, fails the command with status 1 at once: the tools still
running are killed, and nothing is printed on stdout.`, httprelation.MaxBagBytes>>20, httprelation.MaxBagKeys) +
			formatHelp + timeoutHelp + incrementalHelp + storeCapsHelp() + hookShareHelp,
		setup: func(fs *flag.FlagSet) runFunc {
			formatFlag(fs)
			timeout := timeoutFlag(fs)
			inc := incrementalFlags(fs, "keep what was read in the charm's state and read only what changed (see above)",
				"where --incremental keeps what it read")
			return func(ctx context.Context, c *cli, args []string) error {
				if inc.storeSet && !inc.on {
					return usagef("services", "--store needs --incremental: nothing is kept without it")
				}
				return runServices(ctx, c, args[0], *timeout, inc)
			}
		},
	}
}

// formatHelp follows the description of what a command prints.
const formatHelp = `

--format json (or --format=json) may be given, as to Juju's tools: JSON
is the only format.`

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
	return c.printJSON(servicesJSON(services))
}

// services answers from the hook's earlier read of endpoint when there
// is one it may use (see hookCache), else reads, in full or through the
// view, and shares what it read with the hook's later commands.
func (c *cli) services(ctx context.Context, endpoint string, timeout time.Duration, inc *incremental) ([]httprelation.Service, error) {
	unit, err := c.unit(timeout)
	if err != nil {
		return nil, err
	}
	if err := c.checkEndpoint(endpoint, charmmeta.RoleRequirer); err != nil {
		return nil, err
	}
	cache := c.openHookCache(ctx, timeout)
	if services, ok := cache.services(endpoint, inc.read()); ok {
		return services, nil
	}
	var services []httprelation.Service
	if inc.on {
		services, err = c.incrementalServices(ctx, unit, endpoint, inc.store)
	} else {
		services, err = httprelation.NewRequires(unit.Accessor, endpoint, httprelation.WithLogger(c.log)).Services(ctx)
	}
	if err != nil {
		return nil, err
	}
	cache.putServices(endpoint, inc.read(), services)
	cache.save(ctx)
	return services, nil
}

func configureCommand() command {
	return command{
		name:       "configure",
		positional: "<endpoint>",
		required:   []string{"port"},
		repeatable: []string{"hostname", "address"},
		summary:    "publish where this unit serves on a provides endpoint",
		args:       1,
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
		name:    "flags",
		summary: "update the <endpoint>.available flags and print the set flags",
		args:    0,
		help: `Sets or clears "<endpoint>.available" for every http endpoint in the
charm's metadata.yaml (or charmcraft.yaml), saves the flags, and prints
every set flag as a sorted JSON array, e.g. ["website.available"].

A provides endpoint is available while a remote unit is joined; a requires
endpoint while a remote unit serves a usable host. A failure leaves the
stored flags as they were; nothing is printed on stdout then.

With --incremental, requires endpoints are read through the incremental
view that "services --incremental" keeps, in the same store as the flags
(--store): a charm that runs "services --incremental" reads the same way
here, and saves view and flags in one write. See "services -h".` +
			formatHelp + timeoutHelp + storeCapsHelp() + hookShareHelp,
		setup: func(fs *flag.FlagSet) runFunc {
			formatFlag(fs)
			inc := incrementalFlags(fs, "read requires endpoints through the view in --store (see services -h)",
				"where flags, and --incremental's view, are kept")
			timeout := timeoutFlag(fs)
			return func(ctx context.Context, c *cli, _ []string) error {
				flags, err := c.updateFlags(ctx, inc, *timeout)
				if err != nil {
					return fmt.Errorf("flags: %w", err)
				}
				return c.printJSON(flags)
			}
		},
	}
}

func (c *cli) updateFlags(ctx context.Context, inc *incremental, timeout time.Duration) ([]string, error) {
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
	st, err := c.openStore(unit, inc.store)
	if err != nil {
		return nil, err
	}
	reg, err := httprelation.NewRegistry(ctx, st)
	if err != nil {
		return nil, err
	}
	cache := c.openHookCache(ctx, timeout)
	// Every endpoint is updated that can be; a failure leaves the stored
	// flags as they were, as a failed hook would: the next run computes
	// them afresh anyway.
	var errs []error
	for _, ep := range endpoints {
		if !juju.ValidEndpoint(ep.Name) {
			errs = append(errs, fmt.Errorf("endpoint %q: %w: want Juju's syntax for relation names, at most %d bytes",
				ep.Name, httprelation.ErrInvalidEndpoint, juju.MaxEndpointName))
			continue
		}
		on, err := c.available(ctx, unit, ep, reg, inc, cache)
		if err == nil {
			if on {
				err = reg.Set(httprelation.AvailableFlag(ep.Name))
			} else {
				err = reg.Clear(httprelation.AvailableFlag(ep.Name))
			}
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
	cache.save(ctx)
	return reg.List(), nil
}

// available reports whether ep is available, as Provides.Available and
// Requires.Available define it, from the hook's earlier read of ep when
// there is one it may use. A requires endpoint read with --incremental
// goes through the view kept in reg.
func (c *cli) available(ctx context.Context, unit httprelation.Unit, ep charmmeta.Endpoint, reg *httprelation.Registry,
	inc *incremental, cache *hookCache) (bool, error) {
	if ep.Role == charmmeta.RoleProvider {
		if joined, ok := cache.joined(ep.Name); ok {
			return joined, nil
		}
		joined, err := httprelation.NewProvides(unit.Accessor, ep.Name, httprelation.WithLogger(c.log)).Available(ctx)
		if err != nil {
			return false, err
		}
		cache.putJoined(ep.Name, joined)
		return joined, nil
	}
	services, ok := cache.services(ep.Name, inc.read())
	if !ok {
		opts := []httprelation.Option{httprelation.WithLogger(c.log)}
		if inc.on {
			opts = append(opts, httprelation.WithIncrementalView(reg))
		}
		var err error
		if services, err = httprelation.NewRequires(unit.Accessor, ep.Name, opts...).Services(ctx); err != nil {
			return false, err
		}
		cache.putServices(ep.Name, inc.read(), services)
	}
	// Requires.Available's rule: a service is listed only with a host.
	return len(services) > 0, nil
}

// unit returns the running hook's unit over c's runner, each tool call
// ended after timeout, its warnings going to c's logger, or an error
// wrapping hooktools.ErrNotInHook before any tool is tried.
func (c *cli) unit(timeout time.Duration) (httprelation.Unit, error) {
	unit, err := hooktools.NewUnit(hooktools.WithEnv(c.env), hooktools.WithTimeout(timeout))
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
