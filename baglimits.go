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

// jujuKeys are the keys Juju writes to every unit's bag by itself.
var jujuKeys = []string{"ingress-address", "egress-subnets", "private-address"}

// What Publish leaves of the limits for the keys it does not own, so that
// a later Configure, which checks only its own keys, cannot take the bag
// over: Configure writes at most 64 KiB of extended_data and a few
// hundred bytes more, and Juju's own keys are small (egress-subnets is a
// list of CIDRs).
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

// checkPublished applies changes to bag as relation-set would and fails,
// wrapping ErrDataTooLarge, when the keys neither Configure nor Juju own
// would take more than their share of the limits. bag may be nil.
func checkPublished(bag, changes map[string]string) error {
	keys, size := 0, len("{}")
	count := func(k, v string) {
		if v == "" || slices.Contains(reservedKeys, k) || slices.Contains(jujuKeys, k) {
			return
		}
		keys++
		// Marshaling a string cannot fail; its length is what relation-get
		// prints for it, escapes included.
		ek, _ := json.Marshal(k)
		ev, _ := json.Marshal(v)
		size += len(ek) + len(ev) + len(":,")
	}
	for k, v := range bag {
		if _, changed := changes[k]; !changed {
			count(k, v)
		}
	}
	for k, v := range changes {
		count(k, v)
	}
	if keys > publishKeys {
		return fmt.Errorf("%w: %d published keys, more than %d (a requirer reads %d keys in all; Configure and Juju keep the rest)", ErrDataTooLarge, keys, publishKeys, MaxBagKeys)
	}
	if size > publishBytes {
		return fmt.Errorf("%w: %d bytes of published keys, more than %d (a requirer reads %d bytes in all; Configure and Juju keep the rest)", ErrDataTooLarge, size, publishBytes, MaxBagBytes)
	}
	return nil
}
