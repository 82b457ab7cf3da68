package httprelation

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/charmkit/httprelation/internal/badchar"
)

// ConfigureOption tunes one [Provides.Configure] call.
type ConfigureOption func(*configureOptions)

type configureOptions struct {
	hostnames []string
	addresses []string
	extra     []Host // WithHosts
}

// WithHostnames publishes these hostnames instead of the relation's ingress
// address: the names the unit gives its clients (a public name, a virtual
// IP), which requirers report as [Host.Hostname]. Proxies do not connect
// to them: the haproxy charm and examples/reverseproxy connect to the
// private address (see [WithAddresses]). More than one (virtual IPs, for
// instance) makes the rest go to extended_data. A later WithHostnames
// replaces an earlier one.
func WithHostnames(hostnames ...string) ConfigureOption {
	hostnames = slices.Clone(hostnames)
	return func(o *configureOptions) { o.hostnames = hostnames }
}

// WithAddresses publishes these private-address values instead of the
// relation's ingress address: what a proxy or load balancer in the model
// connects to ([Host.PrivateAddr] on the requirer side). The haproxy charm
// (canonical/haproxy-operator) reads only private-address and port, and
// ignores hostname and extended_data. An IP literal keeps the proxy from
// resolving anything; a DNS name is resolved by the proxy, when and how
// it chooses. A later WithAddresses replaces an earlier one.
func WithAddresses(addresses ...string) ConfigureOption {
	addresses = slices.Clone(addresses)
	return func(o *configureOptions) { o.addresses = addresses }
}

// WithHosts publishes these hosts as well, each with a port of its own,
// after the hosts that Configure's port and WithHostnames and
// WithAddresses describe: an admin or a metrics port beside the main one,
// say. An empty Hostname or PrivateAddress is the relation's ingress
// address, as for the main host. They are checked like every other host
// and go to extended_data. A later WithHosts replaces an earlier one.
func WithHosts(hosts ...Host) ConfigureOption {
	hosts = slices.Clone(hosts)
	return func(o *configureOptions) { o.extra = hosts }
}

// Configure tells every relation of the endpoint where this unit serves.
//
// Each relation gets hostname, private-address and port. Missing values
// (all of them by default, or the tail of the shorter of the hostname and
// address lists) are that relation's own ingress address, because on a
// multi-homed unit each relation may reach us on a different network.
// Hosts after the first, those of [WithHosts] last, go to
// extended_data, a JSON array with one object per host:
//
//	[{"hostname": "203.0.113.7", "private-address": "10.0.0.5", "port": 8080},
//	 {"hostname": "10.0.0.5", "private-address": "10.0.0.5", "port": 9090}]
//
// with the port a JSON number (a requirer of this library also reads a
// string of digits). With a single host extended_data is deleted, so that
// hosts published earlier vanish.
//
// Addresses are published canonical (see [CheckAddress]): DNS names in
// lower case, IPv6 per RFC 5952, IPv4-mapped IPv6 as IPv4, so that every
// requirer, ours or not, sees one spelling per target.
//
// Everything is validated before the first write, ingress addresses
// included, against what a requirer accepts: a rejected call writes
// nothing and wraps [ErrInvalidPort], [ErrInvalidAddress] or, for more
// hosts than extended_data may list (257 in all, WithHosts' included) or
// an extended_data over
// 64 KiB, [ErrInvalidExtendedData], naming the limit. An accessor error
// while preparing also writes nothing. Once writing starts every relation is attempted, and the error
// names each relation that could not be written. The relation of a running
// relation-broken hook is skipped. No relations is not an error.
func (p *Provides) Configure(ctx context.Context, port int, opts ...ConfigureOption) error {
	var o configureOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	o, err := checkConfigure(port, o)
	if err != nil {
		return fmt.Errorf("configure %s: %w", p.endpoint, err)
	}
	_, ids, err := liveRelations(ctx, p.acc, p.endpoint)
	if err != nil {
		return fmt.Errorf("configure %s: %w", p.endpoint, err)
	}
	bags := make([]map[string]string, len(ids))
	var errs []error
	for i, id := range ids {
		bags[i], err = p.configureBag(ctx, id, port, o)
		if err != nil {
			errs = append(errs, fmt.Errorf("relation %s: %w", badchar.Quote(id), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("configure %s: nothing written: %w", p.endpoint, err)
	}
	if err := p.writeAll(ctx, ids, func(i int) map[string]string { return bags[i] }); err != nil {
		return fmt.Errorf("configure %s: %w", p.endpoint, err)
	}
	return nil
}

// checkConfigure validates what the caller gave, before any hook tool
// runs, and returns it canonical. The host count is known here; the size
// of extended_data is only known per relation, in configureBag.
func checkConfigure(port int, o configureOptions) (configureOptions, error) {
	if err := CheckPort(port); err != nil {
		return o, err
	}
	if n := max(len(o.hostnames), len(o.addresses), 1) + len(o.extra); n > 1 {
		if err := checkExtendedEntries(n - 1); err != nil {
			return o, fmt.Errorf("%d hosts, the first at the top level and the rest in extended_data: %w", n, err)
		}
	}
	var err error
	if o.hostnames, err = canonicalAddresses(o.hostnames); err != nil {
		return o, err
	}
	if o.addresses, err = canonicalAddresses(o.addresses); err != nil {
		return o, err
	}
	extra := make([]Host, len(o.extra))
	for i, h := range o.extra {
		if err := CheckPort(h.Port); err != nil {
			return o, fmt.Errorf("host %d of WithHosts: %w", i, err)
		}
		for _, addr := range []*string{&h.Hostname, &h.PrivateAddress} {
			if *addr == "" {
				continue // the relation's ingress address
			}
			if *addr, err = address.Canonical(*addr); err != nil {
				return o, fmt.Errorf("host %d of WithHosts: %w", i, err)
			}
		}
		extra[i] = h
	}
	o.extra = extra
	return o, nil
}

// canonicalAddresses returns a canonical copy of list.
func canonicalAddresses(list []string) ([]string, error) {
	out := make([]string, len(list))
	for i, a := range list {
		var err error
		if out[i], err = address.Canonical(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// missingAddress reports whether h leaves an address to the relation's
// ingress address.
func missingAddress(h Host) bool { return h.Hostname == "" || h.PrivateAddress == "" }

// configureBag builds the keys Configure writes to one relation. The
// ingress address is only asked for when a value is missing: on a real
// unit it costs a network-get.
func (p *Provides) configureBag(ctx context.Context, id string, port int, o configureOptions) (map[string]string, error) {
	n := max(len(o.hostnames), len(o.addresses), 1)
	var ingress string
	if len(o.hostnames) < n || len(o.addresses) < n || slices.ContainsFunc(o.extra, missingAddress) {
		var err error
		if ingress, err = p.acc.IngressAddress(ctx, id); err != nil {
			return nil, fmt.Errorf("ingress address: %w", err)
		}
		if ingress, err = address.Canonical(ingress); err != nil {
			return nil, fmt.Errorf("ingress address: %w", err)
		}
	}
	hosts := make([]Host, n, n+len(o.extra))
	for i := range hosts {
		hosts[i] = Host{Hostname: ingress, PrivateAddress: ingress, Port: port}
		if i < len(o.hostnames) {
			hosts[i].Hostname = o.hostnames[i]
		}
		if i < len(o.addresses) {
			hosts[i].PrivateAddress = o.addresses[i]
		}
	}
	for _, h := range o.extra {
		h.Hostname = cmp.Or(h.Hostname, ingress)
		h.PrivateAddress = cmp.Or(h.PrivateAddress, ingress)
		hosts = append(hosts, h)
	}
	n = len(hosts)
	bag := map[string]string{
		keyHostname:       hosts[0].Hostname,
		keyPrivateAddress: hosts[0].PrivateAddress,
		keyPort:           strconv.Itoa(port),
		keyExtendedData:   "",
	}
	if n > 1 {
		// Host's JSON names are the wire names, and Port marshals as a
		// number, as the Python provider wrote it.
		extended, err := json.Marshal(hosts[1:])
		if err != nil {
			return nil, fmt.Errorf("extended_data: %w", err)
		}
		// The requirer's own size limit. The addresses passed
		// address.Canonical and json.Marshal writes each wire key once, so
		// nothing else could be refused; a test runs the requirer's
		// parser over what Configure publishes to hold that true.
		if err := checkExtendedSize(len(extended)); err != nil {
			return nil, fmt.Errorf("%d hosts: %w", n, err)
		}
		bag[keyExtendedData] = string(extended)
	}
	return bag, nil
}
