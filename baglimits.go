package httprelation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The largest data bag a requirer of this library reads: a bag over
// either limit is skipped whole with a warning (hooktools reads
// relation-get up to them and reports ErrDataTooLarge). The provider side
// keeps its own bag within them, so that a Publish cannot cost it its
// place in every proxy in front of it.
const (
	// MaxBagBytes caps a bag as relation-get --format=json prints it.
	MaxBagBytes = 1 << 20
	// MaxBagKeys caps the keys of a bag.
	MaxBagKeys = 4096
)

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
// shrinks an oversized bag is let through. bag may be nil.
func checkPublished(bag, changes map[string]string) error {
	empty := bagShare{size: len("{}")}
	before, after := empty, empty
	for k, v := range bag {
		n := entrySize(k, v)
		before.add(n)
		if _, changed := changes[k]; !changed {
			after.add(n)
		}
	}
	for k, v := range changes {
		after.add(entrySize(k, v))
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
