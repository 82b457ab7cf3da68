package httprelation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
)

// Provides is the provider (web application) side of an http endpoint. It
// keeps nothing between hooks: build one per hook, as the dispatch pattern
// does. Within the hook, Available and UpdateFlags share one listing of
// the relations (see [ChangeCounter]); writes always go to the [Accessor].
type Provides struct {
	acc       Accessor
	endpoint  string
	log       *slog.Logger
	available hookMemo[bool]
}

// NewProvides returns the provider side of endpoint, e.g. "website".
func NewProvides(acc Accessor, endpoint string, opts ...Option) *Provides {
	o := buildOptions(opts)
	return &Provides{acc: acc, endpoint: endpoint, log: o.logger}
}

// Endpoint returns the endpoint name given to [NewProvides].
func (p *Provides) Endpoint() string { return p.endpoint }

// ConfigureOption tunes one [Provides.Configure] call.
type ConfigureOption func(*configureOptions)

type configureOptions struct {
	hostnames []string
	addresses []string
}

// WithHostnames publishes these hostnames instead of the relation's ingress
// address. More than one (virtual IPs, for instance) makes the rest go to
// extended_data. A later WithHostnames replaces an earlier one.
func WithHostnames(hostnames ...string) ConfigureOption {
	hostnames = slices.Clone(hostnames)
	return func(o *configureOptions) { o.hostnames = hostnames }
}

// WithAddresses publishes these private-address values instead of the
// relation's ingress address; haproxy reads only private-address, so this
// is what it will connect to. A later WithAddresses replaces an earlier
// one.
func WithAddresses(addresses ...string) ConfigureOption {
	addresses = slices.Clone(addresses)
	return func(o *configureOptions) { o.addresses = addresses }
}

// Configure tells every relation of the endpoint where this unit serves.
//
// Each relation gets hostname, private-address and port. Missing values
// (all of them by default, or the tail of the shorter of the hostname and
// address lists) are that relation's own ingress address, because on a
// multi-homed unit each relation may reach us on a different network.
// Hosts after the first go to extended_data; with a single host
// extended_data is deleted so that virtual IPs published earlier vanish.
//
// Addresses are published canonical (see [CanonicalAddress]): DNS names in
// lower case, IPv6 per RFC 5952, IPv4-mapped IPv6 as IPv4, so that every
// requirer, ours or not, sees one spelling per target.
//
// Everything is validated before the first write, ingress addresses
// included, against what a requirer accepts: a rejected call writes
// nothing and wraps [ErrInvalidPort], [ErrInvalidAddress] or, for more
// hosts than extended_data may list (257 in all) or an extended_data over
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
			errs = append(errs, fmt.Errorf("relation %s: %w", Quote(id), err))
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
	if n := max(len(o.hostnames), len(o.addresses)); n > 1 {
		if err := checkExtendedEntries(n - 1); err != nil {
			return o, fmt.Errorf("%d hosts, the first at the top level and the rest in extended_data: %w", n, err)
		}
	}
	var err error
	if o.hostnames, err = canonicalAddresses(o.hostnames); err != nil {
		return o, err
	}
	o.addresses, err = canonicalAddresses(o.addresses)
	return o, err
}

// canonicalAddresses returns a canonical copy of list.
func canonicalAddresses(list []string) ([]string, error) {
	out := make([]string, len(list))
	for i, a := range list {
		var err error
		if out[i], err = CanonicalAddress(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// configureBag builds the keys Configure writes to one relation. The
// ingress address is only asked for when a value is missing: on a real
// unit it costs a network-get.
func (p *Provides) configureBag(ctx context.Context, id string, port int, o configureOptions) (map[string]string, error) {
	n := max(len(o.hostnames), len(o.addresses), 1)
	var ingress string
	if len(o.hostnames) < n || len(o.addresses) < n {
		var err error
		if ingress, err = p.acc.IngressAddress(ctx, id); err != nil {
			return nil, fmt.Errorf("ingress address: %w", err)
		}
		if ingress, err = CanonicalAddress(ingress); err != nil {
			return nil, fmt.Errorf("ingress address: %w", err)
		}
	}
	hosts := make([]Host, n)
	for i := range hosts {
		hosts[i] = Host{Hostname: ingress, PrivateAddress: ingress, Port: port}
		if i < len(o.hostnames) {
			hosts[i].Hostname = o.hostnames[i]
		}
		if i < len(o.addresses) {
			hosts[i].PrivateAddress = o.addresses[i]
		}
	}
	bag := map[string]string{
		KeyHostname:       hosts[0].Hostname,
		KeyPrivateAddress: hosts[0].PrivateAddress,
		KeyPort:           strconv.Itoa(port),
		KeyExtendedData:   "",
	}
	if n > 1 {
		// Host's JSON names are the wire names, and Port marshals as a
		// number, as the Python provider wrote it.
		extended, err := json.Marshal(hosts[1:])
		if err != nil {
			return nil, fmt.Errorf("extended_data: %w", err)
		}
		// The requirer's own size limit. The addresses passed
		// CanonicalAddress and json.Marshal writes each wire key once, so
		// nothing else could be refused; a test runs the requirer's
		// parser over what Configure publishes to hold that true.
		if err := checkExtendedSize(len(extended)); err != nil {
			return nil, fmt.Errorf("%d hosts: %w", n, err)
		}
		bag[KeyExtendedData] = string(extended)
	}
	return bag, nil
}

// reservedKeys are the keys Configure owns. Publish refuses them because
// it would bypass their validation; Unpublish accepts them, since deleting
// cannot write a bad value and deleting port is how a unit stops being a
// backend.
var reservedKeys = []string{KeyHostname, KeyPrivateAddress, KeyPort, KeyExtendedData}

// Publish writes raw keys, such as haproxy's "services" YAML stanza, to the
// local unit's bag in every relation of the endpoint. Values are written as
// given; "" deletes a key.
//
// Keys must be non-empty printable ASCII without spaces or '=' (relation-set
// could not pass them otherwise) and must not be one of the keys Configure
// owns (hostname, private-address, port, extended_data): use Configure for
// those so that they are validated. A bad key wraps [ErrInvalidKey] and
// nothing is written.
//
// The bag must stay one that a requirer reads: after the write, every key
// but the four Configure owns (Juju's ingress-address and egress-subnets
// included) may take at most [MaxBagBytes] less 80 KiB, and [MaxBagKeys]
// less 16 keys, leaving the rest to Configure. Publish reads the local
// bag of each relation (one relation-get per relation, unless data only
// deletes) and, if a write would leave any bag over that share and larger
// than it was, writes nothing and wraps [ErrDataTooLarge], naming the
// limit. A write that shrinks the bag is let through, and so is every
// deletion; a bag too large to read at all can only be shrunk with
// [Provides.Unpublish]. Other failures and the broken
// relation are handled as in [Provides.Configure].
func (p *Provides) Publish(ctx context.Context, data map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(data)) {
		if err := checkKey(k); err != nil {
			return fmt.Errorf("publish %s: %w", p.endpoint, err)
		}
		if slices.Contains(reservedKeys, k) {
			return fmt.Errorf("publish %s: %w: %s is written by Configure", p.endpoint, ErrInvalidKey, Quote(k))
		}
	}
	// What the call alone writes is checked before any tool runs.
	if err := checkPublished(nil, data); err != nil {
		return fmt.Errorf("publish %s: %w", p.endpoint, err)
	}
	return p.publish(ctx, "publish", maps.Clone(data))
}

// Unpublish deletes keys from the local unit's bag in every relation of
// the endpoint. Unlike Publish it accepts the keys Configure owns: deleting
// port, for instance, withdraws this unit from the proxies in front of it.
// Bad keys wrap [ErrInvalidKey] and nothing is written.
func (p *Provides) Unpublish(ctx context.Context, keys ...string) error {
	data := make(map[string]string, len(keys))
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return fmt.Errorf("unpublish %s: %w", p.endpoint, err)
		}
		data[k] = ""
	}
	return p.publish(ctx, "unpublish", data)
}

func (p *Provides) publish(ctx context.Context, op string, data map[string]string) error {
	if len(data) == 0 {
		return nil
	}
	hc, ids, err := liveRelations(ctx, p.acc, p.endpoint)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, p.endpoint, err)
	}
	if grows(data) {
		// Something grows: each relation's bag must stay within what a
		// requirer reads once it is applied. Deleting needs no check.
		var errs []error
		for _, id := range ids {
			bag, err := readLocalBag(ctx, p.acc, hc, id)
			if err == nil {
				err = checkPublished(bag, data)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("relation %s: %w", Quote(id), err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("%s %s: nothing written: %w", op, p.endpoint, err)
		}
	}
	// Each relation gets its own copy, so an accessor that keeps or alters
	// the map it is given cannot leak into the next relation.
	if err := p.writeAll(ctx, ids, func(int) map[string]string { return maps.Clone(data) }); err != nil {
		return fmt.Errorf("%s %s: %w", op, p.endpoint, err)
	}
	return nil
}

// grows reports whether data writes a value rather than only deleting.
func grows(data map[string]string) bool {
	for _, v := range data {
		if v != "" {
			return true
		}
	}
	return false
}

// checkKey accepts what relation-set can take as "key=value": printable
// ASCII, no space, no '='.
func checkKey(k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c > '~' || c == '=' {
			return fmt.Errorf("%w: %s", ErrInvalidKey, Quote(k))
		}
	}
	return nil
}

// Available reports whether at least one remote unit is joined on any
// relation of the endpoint. A unit departing in the running
// relation-departed hook and the relation of a running relation-broken
// hook do not count, so the last unit leaving makes it false. A relation
// that cannot be listed only matters when no other relation has a unit.
// Like [Requires.Services], it lists the relations once per hook, however
// often it and UpdateFlags are called.
func (p *Provides) Available(ctx context.Context) (bool, error) {
	return p.available.get(ctx, p.acc, p.listAvailable)
}

// listAvailable is Available without the hook's memo.
func (p *Provides) listAvailable(ctx context.Context) (bool, error) {
	hc, ids, err := liveRelations(ctx, p.acc, p.endpoint)
	if err != nil {
		return false, fmt.Errorf("available %s: %w", p.endpoint, err)
	}
	var errs []error
	for _, id := range ids {
		units, err := liveUnits(ctx, p.acc, hc, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(units) > 0 {
			return true, nil
		}
	}
	if err := errors.Join(errs...); err != nil {
		return false, fmt.Errorf("available %s: %w", p.endpoint, err)
	}
	return false, nil
}

// writeAll writes bag(i) to ids[i] for every relation, carrying on after a
// failure so one bad relation does not starve the others, and names every
// relation that was not written.
func (p *Provides) writeAll(ctx context.Context, ids []string, bag func(i int) map[string]string) error {
	var errs []error
	for i, id := range ids {
		if err := p.acc.SetLocalData(ctx, id, bag(i)); err != nil {
			errs = append(errs, fmt.Errorf("relation %s not written: %w", Quote(id), err))
		}
	}
	return errors.Join(errs...)
}
