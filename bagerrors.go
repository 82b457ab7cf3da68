package httprelation

import (
	"errors"
	"fmt"
	"strings"
)

// Errors an accessor reports about a remote unit's data bag as a whole or
// about one of its values. The library skips what they name, with a
// warning, and keeps everything else: like bad remote entries, they never
// fail Services.
var (
	// ErrNotString reports a data bag value that is not a string. Juju
	// stores only strings, so a relation-get answer holding a number, a
	// boolean, null, an object or an array for a key did not come from a
	// bag as Juju keeps it.
	ErrNotString = errors.New("value is not a string")
	// ErrDataTooLarge reports a unit's data bag larger than the accessor
	// reads ([MaxBagBytes] and [MaxBagKeys] for hook tools): reading it
	// whole would let a remote unit decide how much memory every hook of
	// ours takes. [Provides.Publish] wraps it too, for a write that would
	// make the local bag one that a requirer skips.
	ErrDataTooLarge = errors.New("unit data too large")
)

// PartialBagError comes with a data bag that could be read only in part:
// UnitData returns it together with the bag, and a [BulkReader] hands both
// to its callback. The bag holds every key that could be read; Problems
// names each of the others, with its value as the source gave it.
// [Requires.Services] takes a hostname, private-address or port left out
// for an invalid one: the unit's top-level host is dropped, not served
// at the address that could be read.
type PartialBagError struct {
	// Problems has one entry per value left out. Each Err wraps
	// ErrNotString; Index is -1.
	Problems []*EntryError
}

// Error lists the values left out, keys and values quoted: a remote unit
// chose both.
func (e *PartialBagError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d value(s) left out of the data bag", len(e.Problems))
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s = %s: %v", Quote(p.Key), Quote(p.Value), p.Err)
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.Is(err, ErrNotString)
// holds.
func (e *PartialBagError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}
