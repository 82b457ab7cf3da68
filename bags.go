package httprelation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/charmkit/httprelation/internal/badchar"
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
// [Accessor.UnitData] returns it together with the bag. The bag holds
// every key that could be read; Problems names each of the others, with
// its value as the source gave it.
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
		fmt.Fprintf(&b, "%s = %s: %v", badchar.Quote(p.Key), badchar.Quote(p.Value), p.Err)
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

// unitRef names one unit's data bag in one relation.
type unitRef struct {
	RelationID string
	Unit       string
}

// readConcurrency is how many bags a read asks for at once: each call
// waits mostly on the Juju agent.
const readConcurrency = 8

// readUnits reads the bag of every ref, at most readConcurrency at once,
// and hands each usable one to use, with the problems found in it, in any
// order and never twice at once. No bag is kept here, so memory follows
// the reads in flight, not the number of units.
//
// A unit that left between listing and reading (ErrUnitNotFound) or
// whose bag is too large (ErrDataTooLarge) is skipped with a warning in
// warnings; a bag read in part (*PartialBagError) is used for what it
// holds, its problems passed on. Any other failure cancels the reads in
// flight (hooktools kills their tools) and is returned, naming the
// relation and unit, once they have stopped.
func (r *Requires) readUnits(ctx context.Context, refs []unitRef, warnings *unitWarnings,
	use func(i int, bag map[string]string, problems []*EntryError)) error {
	accept := func(i int, bag map[string]string, err error) error {
		var partial *PartialBagError
		switch {
		case err == nil:
			use(i, bag, nil)
		case errors.As(err, &partial):
			use(i, bag, slices.Clip(partial.Problems))
		case errors.Is(err, ErrUnitNotFound):
			warnings.add(i, r.unitWarning(refs[i], "httprelation: skipping remote unit that left the relation", err))
		case errors.Is(err, ErrDataTooLarge):
			warnings.add(i, r.unitWarning(refs[i], "httprelation: skipping remote unit whose data is too large", err))
		default:
			return fmt.Errorf("httprelation: endpoint %s: relation %s: unit %s: %w",
				r.endpoint, badchar.Quote(refs[i].RelationID), badchar.Quote(refs[i].Unit), err)
		}
		return nil
	}
	if len(refs) == 0 {
		return nil
	}
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type read struct {
		i   int
		bag map[string]string
		err error
		// judged is signalled once accept has seen the read, so that its
		// worker starts no read that accept's verdict would cancel.
		judged chan<- struct{}
	}
	reads := make(chan read)
	var next atomic.Int64 // how many refs the workers have taken
	var wg sync.WaitGroup
	for range min(readConcurrency, len(refs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			judged := make(chan struct{}, 1)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(refs) || readCtx.Err() != nil {
					return
				}
				bag, err := r.acc.UnitData(readCtx, refs[i].RelationID, refs[i].Unit)
				select {
				case reads <- read{i, bag, err, judged}:
					<-judged
				case <-readCtx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(reads)
	}()
	seen := 0
	var failed error
	for rd := range reads {
		if failed == nil {
			seen++
			if err := accept(rd.i, rd.bag, rd.err); err != nil {
				failed = err
				cancel()
			}
		}
		// Else draining: the reads in flight are being cancelled.
		rd.judged <- struct{}{}
	}
	if failed != nil {
		return failed
	}
	if seen < len(refs) {
		// Only the end of ctx stops the workers early.
		return ctx.Err()
	}
	return nil
}

// unitWarning is the one warning for a remote unit skipped as a whole.
func (r *Requires) unitWarning(ref unitRef, msg string, err error) warning {
	return warning{msg: msg, attrs: []slog.Attr{
		slog.String("endpoint", r.endpoint),
		slog.String("relation", ref.RelationID),
		slog.String("unit", ref.Unit),
		slog.Any("error", err),
	}}
}

// entryWarning is the warning for one bad entry of a remote unit's bag.
// The key is cut as values are: a remote unit (or a tool) chose it too.
func (r *Requires) entryWarning(ref unitRef, p *EntryError) warning {
	attrs := []slog.Attr{
		slog.String("endpoint", r.endpoint),
		slog.String("relation", ref.RelationID),
		slog.String("unit", ref.Unit),
		slog.String("key", logText(p.Key)),
		slog.String("value", logText(p.Value)),
		slog.Any("error", p.Err),
	}
	if p.Index >= 0 {
		attrs = append(attrs, slog.Int("index", p.Index))
	}
	return warning{msg: "httprelation: ignoring invalid remote data", attrs: attrs}
}

// warning is one log record waiting to be written.
type warning struct {
	msg   string
	attrs []slog.Attr
}

// Warnings about remote data are capped, per unit and per read: each may
// cost a juju-log call, and a remote application (or a broken tool)
// could otherwise have every hook write thousands of them, and hold them
// all in memory until the read ends. What is left out is counted in one
// last warning.
const (
	maxUnitWarnings = 8
	maxReadWarnings = 64
)

// unitWarnings holds the warnings about the units of one read, so that
// they are logged in the order of the units (the order tools answer in
// varies) and only once the read succeeds: the first maxUnitWarnings of
// each unit, and of those the first maxReadWarnings in unit order. Keys
// and values are already escaped and cut, so holding them costs little
// whatever the units publish.
type unitWarnings struct {
	endpoint string
	pending  []indexedWarning
	perUnit  map[int]int
	leftOut  int
}

type indexedWarning struct {
	unit int
	warning
}

func (w *unitWarnings) add(unit int, wa warning) {
	if w.perUnit == nil {
		w.perUnit = make(map[int]int)
	}
	if w.perUnit[unit] >= maxUnitWarnings {
		w.leftOut++
		return
	}
	w.perUnit[unit]++
	w.pending = append(w.pending, indexedWarning{unit: unit, warning: wa})
	if len(w.pending) >= 2*maxReadWarnings {
		w.keepFirst()
	}
}

// keepFirst keeps the first maxReadWarnings warnings in unit order, each
// unit's in the order found. A warning it drops is not among the first
// of any larger set either, so which are logged does not depend on the
// order units are read in.
func (w *unitWarnings) keepFirst() {
	slices.SortStableFunc(w.pending, func(a, b indexedWarning) int { return a.unit - b.unit })
	if n := len(w.pending) - maxReadWarnings; n > 0 {
		w.leftOut += n
		clear(w.pending[maxReadWarnings:])
		w.pending = w.pending[:maxReadWarnings]
	}
}

// log writes the warnings kept, unit by unit, each unit's in the order
// found, then one counting those left out.
func (w *unitWarnings) log(ctx context.Context, l *slog.Logger) {
	w.keepFirst()
	for _, p := range w.pending {
		l.LogAttrs(ctx, slog.LevelWarn, p.msg, p.attrs...)
	}
	if w.leftOut > 0 {
		l.LogAttrs(ctx, slog.LevelWarn, "httprelation: more warnings about remote data, not logged one by one",
			slog.String("endpoint", w.endpoint), slog.Int("not_logged", w.leftOut))
	}
}

// logText renders a key or value chosen by a remote unit for a warning
// attribute: cut to 64 bytes, as Quote cuts, with backslashes doubled and
// control, format and non-UTF-8 characters escaped (badchar.Escape), so
// that no handler can be made to write a forged line and an escape reads
// back as one. It is not quoted: handlers quote what is not plain text,
// and a second layer of quotes would only be noise.
func logText(s string) string {
	n := len(s)
	s = badchar.Prefix(s, badchar.MaxQuoted)
	s = badchar.Escape(strings.ReplaceAll(s, `\`, `\\`))
	if n > badchar.MaxQuoted {
		s += fmt.Sprintf("...(%d bytes)", n)
	}
	return s
}
