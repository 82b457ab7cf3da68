package httprelation

import (
	"context"
	"log/slog"
	"time"

	"github.com/charmkit/httprelation/internal/juju"
)

// Limits of the incremental view (see [WithIncrementalView]). Juju caps
// all of a charm's state together (the controller setting
// max-charm-state-size, 2 MiB by default), each value at 64 KiB and each
// key at 256 bytes; the view keeps to a quarter of the total, in values
// of at most 60 KiB.
const (
	// MaxViewUnits is the number of remote units up to which the view is
	// kept. Past it every hook reads every bag, as without the view.
	MaxViewUnits = 5000
	// MaxViewBytes bounds the stored view: a view that would take more
	// (remote units publishing many or very long names) is not kept and
	// every hook reads every bag. 1000 units of the usual kind take
	// about 30 KiB, 60 KiB with DNS hostnames.
	MaxViewBytes = 512 << 10
	// DefaultRereadInterval is how long the view goes at least between two
	// full re-reads, which happen in update-status hooks.
	DefaultRereadInterval = 5 * time.Minute
)

// ViewOption tunes [WithIncrementalView].
type ViewOption func(*viewConfig)

type viewConfig struct {
	reg      *Registry
	interval time.Duration
	now      func() time.Time
}

// WithIncrementalView makes a [Requires] keep, in reg, the validated
// hosts of every remote unit it has read, so that a hook reads only what
// can have changed since: the hook's own remote unit in a
// relation-joined or -changed hook, and units listed but not kept (the
// first hook, or after the store was lost). Units no longer listed and
// relations gone are dropped; other hooks answer from what is kept. Once
// the view holds every listed unit, a relation hook then makes 1
// relation-ids, one relation-list per relation and at most one
// relation-get, whatever the number of units, besides the Registry's
// state-get and state-set, and other hooks make no relation-get but in
// the full re-reads below. It has no effect on a [Provides].
//
// The view is saved by reg.Save, with the hook's flags in one Store
// write, so with Juju's charm state (the Store of hooktools.NewUnit) a
// failing hook commits none of it and Juju's retry of the hook reads
// again.
//
// # Contract
//
// It rests on Juju's rule that every change of a remote unit's bag is
// followed by a relation-changed hook naming that unit (coalesced, never
// skipped), and relation-joined before the first. So the charm must open
// the endpoint with this option in every relation-joined and
// relation-changed hook of the endpoint, call Services, Available or
// UpdateFlags, and Save reg when the hook succeeds. The dispatch pattern,
// which runs the same code in every hook, does all of that. A charm that
// skips those steps in a hook, or whose failed hook an operator resolves
// without a retry (juju resolved --no-retry), keeps the hosts of that
// hook's unit as last read until the unit changes again or the next full
// re-read: every update-status hook once [DefaultRereadInterval] (see
// [WithRereadInterval]) has passed since the last one, and every
// upgrade-charm hook. Departed and broken hooks and all other hooks may be
// skipped: the listing checks of the next hook drop what left.
//
// It stays correct across agent restarts, because Juju runs again a hook
// that did not complete and the view only changes when a hook's Save is
// committed with it (re-reading a unit or dropping one is harmless to
// repeat); across charm upgrades, because upgrade-charm re-reads
// everything and a view written by another format version is not used;
// and across a lost store (a statefile.File whose charm directory was
// replaced, a reset state), because a unit listed but not kept is read. A
// stored view that this code would not have written is damaged: one that
// does not decode, and, checked before anything is decoded, one larger
// than the view writes (a value of more than 60 KiB, more than
// [MaxViewBytes] in all, more than [MaxViewUnits] units). Every unit is
// then read, with one warning, and reg.Save replaces it. How much of the
// Store is read at all is the Store's own bound (hooktools' store over
// Juju's charm state and statefile.File refuse a state past 4 MiB).
//
// Past [MaxViewUnits] listed units or [MaxViewBytes] of stored view,
// every hook reads every bag, as without this option; one warning says so
// when that starts. Warnings for bad remote entries are logged when their
// bag is read, not again in every hook.
//
// A nil reg leaves the Requires reading every bag in every hook.
func WithIncrementalView(reg *Registry, opts ...ViewOption) Option {
	return func(o *options) {
		if reg == nil {
			o.view = nil
			return
		}
		c := &viewConfig{reg: reg, interval: DefaultRereadInterval, now: time.Now}
		for _, opt := range opts {
			if opt != nil {
				opt(c)
			}
		}
		o.view = c
	}
}

// WithRereadInterval sets how long the view goes at least between two
// full re-reads (default [DefaultRereadInterval]). They happen in
// update-status hooks, which Juju runs every 5 minutes by default, so
// this bounds how long a charm that broke the contract can miss a change.
// d <= 0 re-reads in every update-status hook.
func WithRereadInterval(d time.Duration) ViewOption {
	return func(c *viewConfig) { c.interval = d }
}

// WithClock replaces time.Now for the re-read interval, for tests.
func WithClock(now func() time.Time) ViewOption {
	return func(c *viewConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// Hooks with a meaning for the view.
const (
	hookUpdateStatus = "update-status"
	hookUpgradeCharm = "upgrade-charm"
)

// viewServices answers Services from the stored view, reading the bags it
// cannot vouch for, and puts the new view in the Registry.
func (r *Requires) viewServices(ctx context.Context) ([]Service, error) {
	hc, refs, err := r.listUnits(ctx)
	if err != nil {
		return nil, err
	}
	v := r.view
	var (
		stored storedView
		parts  int
	)
	keys, keysOK := newViewKeys(r.endpoint)
	if keysOK {
		var err error
		if stored, parts, err = keys.load(v.reg); err != nil {
			r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: stored view unusable; reading every unit",
				slog.String("endpoint", r.endpoint), slog.Any("error", err))
		}
	} else {
		r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: endpoint name unusable in stored keys; reading every unit",
			slog.String("endpoint", logText(r.endpoint)))
	}
	now := v.now()
	full := !keysOK || !stored.usable || stored.over || len(refs) > MaxViewUnits ||
		v.rereadDue(hc.HookName, stored.lastFull, now)

	var toRead []unitRef
	var readAt []int
	kept := make([][]Host, len(refs))
	for i, ref := range refs {
		hosts, ok := stored.units[viewKeyOf(ref)]
		if full || !ok || isHookUnit(hc, ref) {
			toRead = append(toRead, ref)
			readAt = append(readAt, i)
			continue
		}
		kept[i] = hosts
	}
	// A unit skipped by the read (it left, or its bag is too large) is
	// kept without hosts, which is what a full read makes of it.
	warnings := unitWarnings{endpoint: r.endpoint}
	err = r.readUnits(ctx, toRead, &warnings, func(j int, bag map[string]string, problems []*EntryError) {
		kept[readAt[j]] = r.parseBag(nil, toRead[j], j, bag, problems, &warnings)
	})
	if err != nil {
		return nil, err
	}
	warnings.log(ctx, r.log)

	byApp := make(map[string][]Host)
	for i, ref := range refs {
		app := juju.AppName(ref.Unit)
		byApp[app] = append(byApp[app], kept[i]...)
	}
	if keysOK {
		lastFull := stored.lastFull
		if full {
			lastFull = now.Unix()
		}
		r.storeView(ctx, keys, parts, stored.over, viewState{lastFull: lastFull, refs: refs, hosts: kept})
	}
	return groupServices(byApp), nil
}

// storeView puts the view in the Registry, or, past the limits, only a
// note that it is not kept, with one warning when that starts.
func (r *Requires) storeView(ctx context.Context, keys viewKeys, parts int, wasOver bool, next viewState) {
	var (
		text string
		why  slog.Attr // set when the view is not kept
	)
	if n := len(next.refs); n > MaxViewUnits {
		why = slog.Int("units", n) // not worth encoding
	} else {
		var size int
		if text, size = next.encode(); size > MaxViewBytes {
			why = slog.Int("bytes", size)
		}
	}
	if why.Key != "" {
		text = next.encodeOver()
		if !wasOver {
			r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: too many remote units or hosts to keep a view; every hook reads every unit",
				slog.String("endpoint", r.endpoint), why, slog.Int("max_units", MaxViewUnits), slog.Int("max_bytes", MaxViewBytes))
		}
	}
	keys.store(r.view.reg, text, parts)
}

// rereadDue reports whether this hook re-reads every unit: upgrade-charm
// always (the new charm may parse differently), update-status once the
// interval has passed since the last full read, or when the clock went
// back past it.
func (c *viewConfig) rereadDue(hook string, lastFull int64, now time.Time) bool {
	switch hook {
	case hookUpgradeCharm:
		return true
	case hookUpdateStatus:
		elapsed := now.Sub(time.Unix(lastFull, 0))
		return elapsed < 0 || elapsed >= c.interval
	}
	return false
}

// isHookUnit reports whether ref is the remote unit that the running
// relation hook names, whose bag may have changed.
func isHookUnit(hc HookContext, ref unitRef) bool {
	return hc.RemoteUnit != "" && ref.Unit == hc.RemoteUnit && juju.SameRelation(hc.RelationID, ref.RelationID)
}
