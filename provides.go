package httprelation

import (
	"context"
	"errors"
	"fmt"

	"github.com/charmkit/httprelation/internal/badchar"
)

// Provides is the provider (web application) side of an http endpoint. It
// keeps nothing between hooks: open one per hook, as the dispatch pattern
// does. Within the hook, Available and UpdateFlags share one listing of
// the relations; writes always go to the [Accessor].
type Provides struct {
	acc       Accessor
	endpoint  string
	available hookMemo[bool]
}

// NewProvides returns the provider side of endpoint, e.g. "website",
// without checking it against charm metadata: charm code uses
// [Unit.OpenProvides]. The provider side logs nothing and no option
// changes it; opts are taken so that both sides open alike.
func NewProvides(acc Accessor, endpoint string, opts ...Option) *Provides {
	return &Provides{acc: acc, endpoint: endpoint}
}

// Available reports whether at least one remote unit is joined on any
// relation of the endpoint. A unit departing in the running
// relation-departed hook and the relation of a running relation-broken
// hook do not count, so the last unit leaving makes it false. A relation
// that cannot be listed only matters when no other relation has a unit.
// Like [Requires.Services], it lists the relations once per hook, however
// often it and UpdateFlags are called.
func (p *Provides) Available(ctx context.Context) (bool, error) {
	return p.available.get(ctx, p.listAvailable)
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
			errs = append(errs, fmt.Errorf("relation %s not written: %w", badchar.Quote(id), err))
		}
	}
	return errors.Join(errs...)
}

// UpdateFlags sets AvailableFlag(endpoint) while at least one remote unit
// is joined on any relation of the endpoint, and clears it otherwise.
func (p *Provides) UpdateFlags(ctx context.Context, reg *Registry) error {
	ok, err := p.Available(ctx)
	if err != nil {
		return err
	}
	return reg.toggle(AvailableFlag(p.endpoint), ok)
}
