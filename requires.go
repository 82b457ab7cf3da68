package httprelation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/juju/names/v5"
)

// Requires is the requirer side of an http endpoint: a reverse proxy, a
// load balancer or a client reading where the remote applications serve.
type Requires struct {
	acc      Accessor
	endpoint string
	log      *slog.Logger
}

// NewRequires returns the requirer side of endpoint, reading through acc.
// It makes no call; every method reads the current state afresh, since
// relation data changes between hooks.
func NewRequires(acc Accessor, endpoint string, opts ...Option) *Requires {
	o := buildOptions(opts)
	return &Requires{acc: acc, endpoint: endpoint, log: o.logger}
}

// Endpoint returns the endpoint name given to NewRequires.
func (r *Requires) Endpoint() string { return r.endpoint }

// Available reports whether at least one remote unit serves a usable host,
// which is what the "<endpoint>.available" flag means on this side.
func (r *Requires) Available(ctx context.Context) (bool, error) {
	services, err := r.Services(ctx)
	return len(services) > 0, err
}

// Services returns one [Service] per remote application on the endpoint,
// merging every relation to that application, sorted by name; never nil.
// The relation of a running relation-broken hook and the unit leaving in a
// relation-departed hook are left out, whatever the accessor lists.
//
// Bad remote data is logged as a warning and skipped, as is a unit whose
// bag vanished between listing and reading; an error is returned only when
// the accessor fails otherwise.
func (r *Requires) Services(ctx context.Context) ([]Service, error) {
	refs, err := r.listUnits(ctx)
	if err != nil {
		return nil, err
	}
	bags, err := r.readBags(ctx, refs)
	if err != nil {
		return nil, err
	}
	byApp := make(map[string][]Host)
	for i, bag := range bags {
		app := AppName(refs[i].Unit)
		var problems []*EntryError
		byApp[app], problems = appendUnitHosts(byApp[app], nil, bag)
		for _, p := range problems {
			r.warnEntry(ctx, refs[i], p)
		}
	}
	return groupServices(byApp), nil
}

// listUnits lists the remote units of every live relation of the endpoint.
// The application of a unit comes from its name, so RemoteApp is never
// called.
func (r *Requires) listUnits(ctx context.Context) ([]UnitRef, error) {
	hc, ids, err := liveRelations(ctx, r.acc, r.endpoint)
	if err != nil {
		return nil, fmt.Errorf("httprelation: endpoint %s: %w", r.endpoint, err)
	}
	var refs []UnitRef
	for _, id := range ids {
		units, err := liveUnits(ctx, r.acc, hc, id)
		if err != nil {
			return nil, fmt.Errorf("httprelation: endpoint %s: %w", r.endpoint, err)
		}
		for _, u := range units {
			if !validUnitName(u) {
				r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: skipping remote unit with a malformed name",
					slog.String("endpoint", r.endpoint), slog.String("relation", id),
					slog.String("unit", Quote(u)))
				continue
			}
			refs = append(refs, UnitRef{RelationID: id, Unit: u})
		}
	}
	return refs, nil
}

// readBags reads the bag of every ref: in one ReadUnits call when the
// accessor can read in bulk, else one by one. A unit that vanished gets a
// nil bag, which offers no host, and a warning; any other failure is
// returned.
func (r *Requires) readBags(ctx context.Context, refs []UnitRef) ([]map[string]string, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	if br, ok := r.acc.(BulkReader); ok {
		bags, errs := br.ReadUnits(ctx, refs)
		if len(bags) != len(refs) || (errs != nil && len(errs) != len(refs)) {
			return nil, fmt.Errorf("httprelation: endpoint %s: bulk read of %d units returned %d bags and %d errors",
				r.endpoint, len(refs), len(bags), len(errs))
		}
		for i := range errs {
			if errs[i] == nil {
				continue
			}
			if err := r.skipVanished(ctx, refs[i], errs[i]); err != nil {
				return nil, err
			}
			bags[i] = nil
		}
		return bags, nil
	}
	bags := make([]map[string]string, len(refs))
	for i, ref := range refs {
		bag, err := r.acc.UnitData(ctx, ref.RelationID, ref.Unit)
		if err != nil {
			if err := r.skipVanished(ctx, ref, err); err != nil {
				return nil, err
			}
			continue
		}
		bags[i] = bag
	}
	return bags, nil
}

// skipVanished logs a unit whose bag is gone (it left between listing and
// reading) and returns nil, or returns any other read error wrapped.
func (r *Requires) skipVanished(ctx context.Context, ref UnitRef, err error) error {
	if !errors.Is(err, ErrUnitNotFound) {
		return fmt.Errorf("httprelation: endpoint %s: relation %s: unit %s: %w", r.endpoint, ref.RelationID, ref.Unit, err)
	}
	r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: skipping remote unit that left the relation",
		slog.String("endpoint", r.endpoint), slog.String("relation", ref.RelationID),
		slog.String("unit", ref.Unit), slog.Any("error", err))
	return nil
}

func (r *Requires) warnEntry(ctx context.Context, ref UnitRef, p *EntryError) {
	attrs := []slog.Attr{
		slog.String("endpoint", r.endpoint),
		slog.String("relation", ref.RelationID),
		slog.String("unit", ref.Unit),
		slog.String("key", p.Key),
		slog.String("value", Quote(p.Value)),
		slog.Any("error", p.Err),
	}
	if p.Index >= 0 {
		attrs = append(attrs, slog.Int("index", p.Index))
	}
	r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: ignoring invalid remote data", attrs...)
}

// groupServices sorts and de-duplicates each application's hosts and
// returns the applications that have any, in name order.
func groupServices(byApp map[string][]Host) []Service {
	services := make([]Service, 0, len(byApp))
	for _, name := range slices.Sorted(maps.Keys(byApp)) {
		hosts := byApp[name]
		if len(hosts) == 0 {
			continue
		}
		slices.SortFunc(hosts, compareHost)
		services = append(services, Service{Name: name, Hosts: slices.Clip(slices.Compact(hosts))})
	}
	return services
}

func compareHost(a, b Host) int {
	if c := strings.Compare(a.Hostname, b.Hostname); c != 0 {
		return c
	}
	if c := strings.Compare(a.PrivateAddress, b.PrivateAddress); c != 0 {
		return c
	}
	return cmp.Compare(a.Port, b.Port)
}

// validUnitName reports whether unit is a unit name Juju can create:
// Juju's own rule (names.IsValidUnit: "app/N" with a valid application
// name and N a number without leading zeros), an application name of at
// most [MaxAppName] characters and N of at most 9 digits. Other names
// cannot come from Juju and would end up in proxy configuration as
// service names.
func validUnitName(unit string) bool {
	app, num, _ := strings.Cut(unit, "/")
	return len(app) <= MaxAppName && len(num) <= 9 && names.IsValidUnit(unit)
}
