package httprelation

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/juju/names/v5"
)

// Requires is the requirer side of an http endpoint: a reverse proxy, a
// load balancer or a client reading where the remote applications serve.
//
// A Requires lives for one hook, as the dispatch pattern builds it: the
// first of Services, Available and UpdateFlags reads the relations and
// logs their bad entries, and later calls in the same hook answer from
// that read (see [ChangeCounter] for accessors whose data changes under
// it). Build a new Requires in every hook.
type Requires struct {
	acc      Accessor
	endpoint string
	log      *slog.Logger
	view     *viewConfig // nil: every hook reads every bag
	services hookMemo[[]Service]
}

// NewRequires returns the requirer side of endpoint, reading through acc.
// It makes no call.
func NewRequires(acc Accessor, endpoint string, opts ...Option) *Requires {
	o := buildOptions(opts)
	return &Requires{acc: acc, endpoint: endpoint, log: o.logger, view: o.view}
}

// Endpoint returns the endpoint name given to NewRequires.
func (r *Requires) Endpoint() string { return r.endpoint }

// Available reports whether at least one remote unit serves a usable host,
// which is what the "<endpoint>.available" flag means on this side. It
// answers from the hook's one read, like Services.
func (r *Requires) Available(ctx context.Context) (bool, error) {
	services, err := r.Services(ctx)
	return len(services) > 0, err
}

// Services returns one [Service] per remote application on the endpoint,
// merging every relation to that application, sorted by name; never nil.
// The relation of a running relation-broken hook and the unit leaving in a
// relation-departed hook are left out, whatever the accessor lists.
//
// Bad remote data is logged as a warning and skipped, as are a unit whose
// bag vanished between listing and reading and a unit whose bag is larger
// than the accessor reads; an error is returned only when the accessor
// fails otherwise, and then at once, without waiting for the reads still
// running. Warnings come in the order of the units, however the accessor
// orders its reads: at most 8 per unit and 64 per read, then one that
// counts those left out, since each may cost a juju-log call. The
// relations are read, and bad entries logged, once per hook: later calls
// return a copy of the first answer.
func (r *Requires) Services(ctx context.Context) ([]Service, error) {
	services, err := r.services.get(ctx, r.acc, r.readServices)
	return cloneServices(services), err
}

// readServices reads every remote unit's bag, or, with an incremental
// view, the bags the view cannot vouch for (see WithIncrementalView).
func (r *Requires) readServices(ctx context.Context) ([]Service, error) {
	if r.view != nil {
		return r.viewServices(ctx)
	}
	_, refs, err := r.listUnits(ctx)
	if err != nil {
		return nil, err
	}
	byApp := make(map[string][]Host)
	warnings := unitWarnings{endpoint: r.endpoint}
	err = r.readUnits(ctx, refs, &warnings, func(i int, bag map[string]string, problems []*EntryError) {
		app := AppName(refs[i].Unit)
		byApp[app] = r.parseBag(byApp[app], refs[i], i, bag, problems, &warnings)
	})
	if err != nil {
		return nil, err
	}
	warnings.log(ctx, r.log)
	return groupServices(byApp), nil
}

// parseBag appends the hosts of unit i's bag to hosts and notes a warning
// for each of its bad entries, problems found while reading it included:
// the one place where a bag read becomes hosts and warnings, for full
// reads and the incremental view alike.
func (r *Requires) parseBag(hosts []Host, ref UnitRef, i int, bag map[string]string, problems []*EntryError, warnings *unitWarnings) []Host {
	hosts, problems = appendUnitHosts(hosts, problems, bag)
	for _, p := range problems {
		warnings.add(i, r.entryWarning(ref, p))
	}
	return hosts
}

// listUnits lists the remote units of every live relation of the endpoint.
// The application of a unit comes from its name, so RemoteApp is never
// called.
func (r *Requires) listUnits(ctx context.Context) (HookContext, []UnitRef, error) {
	hc, ids, err := liveRelations(ctx, r.acc, r.endpoint)
	if err != nil {
		return hc, nil, fmt.Errorf("httprelation: endpoint %s: %w", r.endpoint, err)
	}
	var refs []UnitRef
	malformed := 0 // warned about one by one up to maxReadWarnings
	for _, id := range ids {
		units, err := liveUnits(ctx, r.acc, hc, id)
		if err != nil {
			return hc, nil, fmt.Errorf("httprelation: endpoint %s: %w", r.endpoint, err)
		}
		for _, u := range units {
			if !validUnitName(u) {
				if malformed++; malformed <= maxReadWarnings {
					r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: skipping remote unit with a malformed name",
						slog.String("endpoint", r.endpoint), slog.String("relation", id),
						slog.String("unit", logText(u)))
				}
				continue
			}
			refs = append(refs, UnitRef{RelationID: id, Unit: u})
		}
	}
	if malformed > maxReadWarnings {
		r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: more remote units with a malformed name, not logged one by one",
			slog.String("endpoint", r.endpoint), slog.Int("not_logged", malformed-maxReadWarnings))
	}
	return hc, refs, nil
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
