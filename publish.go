package httprelation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
)

// reservedKeys are the keys Configure owns. Publish refuses them because
// it would bypass their validation; Unpublish accepts them, since deleting
// cannot write a bad value and deleting port is how a unit stops being a
// backend.
var reservedKeys = []string{keyHostname, keyPrivateAddress, keyPort, keyExtendedData}

// Publish writes raw keys, such as haproxy's "services" YAML stanza, to the
// local unit's bag in every relation of the endpoint. Values are written as
// given; "" deletes a key.
//
// Keys must be non-empty printable ASCII without spaces or '=', not
// starting with '-' (relation-set could not pass them otherwise), and must
// not be one of the keys Configure owns (hostname, private-address, port,
// extended_data): use Configure for those so that they are validated. A
// bad key wraps [ErrInvalidKey] and nothing is written, before any hook
// tool runs.
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
		if err := juju.CheckKey(k); err != nil {
			return fmt.Errorf("publish %s: %w", p.endpoint, err)
		}
		if slices.Contains(reservedKeys, k) {
			return fmt.Errorf("publish %s: %w: %s is written by Configure", p.endpoint, ErrInvalidKey, badchar.Quote(k))
		}
	}
	// What the call alone writes is checked before any tool runs.
	added := shareOf(data)
	if err := checkPublished(nil, data, added); err != nil {
		return fmt.Errorf("publish %s: %w", p.endpoint, err)
	}
	return p.publish(ctx, "publish", maps.Clone(data), added)
}

// Unpublish deletes keys from the local unit's bag in every relation of
// the endpoint. Unlike Publish it accepts the keys Configure owns: deleting
// port, for instance, withdraws this unit from the proxies in front of it.
// Bad keys wrap [ErrInvalidKey] and nothing is written.
func (p *Provides) Unpublish(ctx context.Context, keys ...string) error {
	data := make(map[string]string, len(keys))
	for _, k := range keys {
		if err := juju.CheckKey(k); err != nil {
			return fmt.Errorf("unpublish %s: %w", p.endpoint, err)
		}
		data[k] = ""
	}
	return p.publish(ctx, "unpublish", data, bagShare{})
}

// publish writes data to every relation of the endpoint. added is
// shareOf(data): when it counts a key, data writes a value and each
// relation's bag is checked first; deleting needs no check.
func (p *Provides) publish(ctx context.Context, op string, data map[string]string, added bagShare) error {
	if len(data) == 0 {
		return nil
	}
	hc, ids, err := liveRelations(ctx, p.acc, p.endpoint)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, p.endpoint, err)
	}
	if added.keys > 0 {
		// Each relation's bag must stay within what a requirer reads once
		// data is applied.
		var errs []error
		for _, id := range ids {
			bag, err := readLocalBag(ctx, p.acc, hc, id)
			if err == nil {
				err = checkPublished(bag, data, added)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("relation %s: %w", badchar.Quote(id), err))
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

// What Publish leaves of the limits for Configure's own keys, which
// Configure checks by themselves: at most 64 KiB of extended_data, two
// addresses of at most 253 bytes and a port, well within 16 KiB more.
// Every other key counts, Juju's own (ingress-address, egress-subnets)
// included, at its real size.
const (
	publishBytes = MaxBagBytes - maxExtendedData - 16<<10
	publishKeys  = MaxBagKeys - 16
)

// readLocalBag reads the local unit's bag in relation id for Publish's
// check. A bag already over the limits cannot be checked; it can only be
// shrunk, which Unpublish does without a check.
func readLocalBag(ctx context.Context, acc Accessor, hc HookContext, id string) (map[string]string, error) {
	bag, err := acc.UnitData(ctx, id, hc.Unit)
	var partial *PartialBagError
	switch {
	case errors.Is(err, ErrDataTooLarge):
		return nil, fmt.Errorf("the bag is already over what a requirer reads; Unpublish keys to shrink it: %w", err)
	case err != nil && !errors.As(err, &partial):
		return nil, fmt.Errorf("read the local bag: %w", err)
	}
	return bag, nil
}

// checkPublished fails, wrapping ErrDataTooLarge, when applying changes
// to bag as relation-set would leaves the keys Configure does not own over
// their share of the limits and larger than they were: a write that
// shrinks an oversized bag is let through. bag may be nil; added is
// shareOf(changes), which is the same for every bag.
func checkPublished(bag, changes map[string]string, added bagShare) error {
	before := bagShare{size: len("{}")}
	after := bagShare{keys: added.keys, size: before.size + added.size}
	for k, v := range bag {
		n := entrySize(k, v)
		before.add(n)
		if _, changed := changes[k]; !changed {
			after.add(n)
		}
	}
	if after.keys > publishKeys && after.keys > before.keys {
		return fmt.Errorf("%w: %d keys besides Configure's, more than %d (a requirer reads %d keys in all)", ErrDataTooLarge, after.keys, publishKeys, MaxBagKeys)
	}
	if after.size > publishBytes && after.size > before.size {
		return fmt.Errorf("%w: %d bytes besides Configure's keys, more than %d (a requirer reads %d bytes in all)", ErrDataTooLarge, after.size, publishBytes, MaxBagBytes)
	}
	return nil
}

// bagShare counts the keys of a bag that Configure does not own, and
// their bytes as relation-get --format=json prints them.
type bagShare struct{ keys, size int }

// shareOf counts what the entries of data add to a bag: their keys and
// bytes, without the braces.
func shareOf(data map[string]string) bagShare {
	var share bagShare
	for k, v := range data {
		share.add(entrySize(k, v))
	}
	return share
}

// add counts an entry of n bytes; a negative n is an entry that does not
// count.
func (b *bagShare) add(n int) {
	if n >= 0 {
		b.keys++
		b.size += n
	}
}

// entrySize is what key k with value v adds to relation-get's JSON, comma
// included, or -1 when it does not count: deleted, or one of Configure's.
func entrySize(k, v string) int {
	if v == "" || slices.Contains(reservedKeys, k) {
		return -1
	}
	// Marshaling a string cannot fail; its length is what relation-get
	// prints for it, escapes included.
	ek, _ := json.Marshal(k)
	ev, _ := json.Marshal(v)
	return len(ek) + len(ev) + len(":,")
}
