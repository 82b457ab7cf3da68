package httprelation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/charmkit/httprelation/internal/badchar"
)

// readUnits reads the bag of every ref and hands each usable one to use,
// with the problems found in it, in any order and never twice at once:
// through one ReadUnits call when the accessor reads in bulk, else one
// UnitData call at a time. No bag is kept here, so memory follows the
// reads in flight, not the number of units.
//
// A unit that left between listing and reading (ErrUnitNotFound) or
// whose bag is too large (ErrDataTooLarge) is skipped with a warning in
// warnings; a bag read in part (*PartialBagError) is used for what it
// holds, its problems passed on. Any other failure stops the reads and is
// returned, naming the relation and unit.
func (r *Requires) readUnits(ctx context.Context, refs []UnitRef, warnings *unitWarnings,
	use func(i int, bag map[string]string, problems []*EntryError)) error {
	seen := make([]bool, len(refs))
	count := 0
	accept := func(i int, bag map[string]string, err error) error {
		if i < 0 || i >= len(refs) || seen[i] {
			return fmt.Errorf("httprelation: endpoint %s: bulk read of %d units handed over unit %d twice or out of range",
				r.endpoint, len(refs), i)
		}
		seen[i] = true
		count++
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
				r.endpoint, Quote(refs[i].RelationID), Quote(refs[i].Unit), err)
		}
		return nil
	}
	if len(refs) == 0 {
		return nil
	}
	if br, ok := r.acc.(BulkReader); ok {
		if err := br.ReadUnits(ctx, refs, accept); err != nil {
			return err
		}
		if count != len(refs) {
			return fmt.Errorf("httprelation: endpoint %s: bulk read of %d units handed over %d", r.endpoint, len(refs), count)
		}
		return nil
	}
	for i, ref := range refs {
		bag, err := r.acc.UnitData(ctx, ref.RelationID, ref.Unit)
		if err := accept(i, bag, err); err != nil {
			return err
		}
	}
	return nil
}

// unitWarning is the one warning for a remote unit skipped as a whole.
func (r *Requires) unitWarning(ref UnitRef, msg string, err error) warning {
	return warning{msg: msg, attrs: []slog.Attr{
		slog.String("endpoint", r.endpoint),
		slog.String("relation", ref.RelationID),
		slog.String("unit", ref.Unit),
		slog.Any("error", err),
	}}
}

// entryWarning is the warning for one bad entry of a remote unit's bag.
// The key is cut as values are: a remote unit (or a tool) chose it too.
func (r *Requires) entryWarning(ref UnitRef, p *EntryError) warning {
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
	s = badchar.Prefix(s, maxQuoted)
	s = badchar.Escape(strings.ReplaceAll(s, `\`, `\\`))
	if n > maxQuoted {
		s += fmt.Sprintf("...(%d bytes)", n)
	}
	return s
}
