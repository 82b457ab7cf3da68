package httprelation

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/charmkit/httprelation/internal/juju"
)

// Requires is the requirer side of an http endpoint: a reverse proxy, a
// load balancer or a client reading where the remote applications serve.
//
// A Requires lives for one hook, as the dispatch pattern builds it: the
// first of Services, Available and UpdateFlags reads the relations and
// logs their bad entries, and later calls in the same hook answer from
// that read. Open a new Requires in every hook.
type Requires struct {
	acc      Accessor
	endpoint string
	log      *slog.Logger
	view     *viewConfig // nil: every hook reads every bag
	services hookMemo[[]Service]
}

// NewRequires returns the requirer side of endpoint, reading through acc,
// without checking it against charm metadata: charm code uses
// [Unit.OpenRequires]. It makes no call.
func NewRequires(acc Accessor, endpoint string, opts ...Option) *Requires {
	o := buildOptions(opts)
	return &Requires{acc: acc, endpoint: endpoint, log: o.logger, view: o.view}
}

// Available reports whether at least one remote unit serves a usable host,
// which is what the "<endpoint>.available" flag means on this side. It
// answers from the hook's one read, like Services.
func (r *Requires) Available(ctx context.Context) (bool, error) {
	// The memo's answer itself: no copy is needed to count it.
	services, err := r.services.get(ctx, r.readServices)
	return len(services) > 0, err
}

// UpdateFlags sets AvailableFlag(endpoint) while Services is non-empty and
// clears it otherwise: unlike the Python layer, the flag drops when the
// last unit with a port leaves, even if other units remain.
func (r *Requires) UpdateFlags(ctx context.Context, reg *Registry) error {
	ok, err := r.Available(ctx)
	if err != nil {
		return err
	}
	return reg.toggle(AvailableFlag(r.endpoint), ok)
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
	services, err := r.services.get(ctx, r.readServices)
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
		app := juju.AppName(refs[i].Unit)
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
func (r *Requires) parseBag(hosts []Host, ref unitRef, i int, bag map[string]string, problems []*EntryError, warnings *unitWarnings) []Host {
	hosts, problems = appendUnitHosts(hosts, problems, bag)
	for _, p := range problems {
		warnings.add(i, r.entryWarning(ref, p))
	}
	return hosts
}

// listUnits lists the remote units of every live relation of the endpoint.
// The application of a unit comes from its name, so RemoteApp is never
// called.
func (r *Requires) listUnits(ctx context.Context) (HookContext, []unitRef, error) {
	hc, ids, err := liveRelations(ctx, r.acc, r.endpoint)
	if err != nil {
		return hc, nil, fmt.Errorf("httprelation: endpoint %s: %w", r.endpoint, err)
	}
	var refs []unitRef
	malformed := 0 // warned about one by one up to maxReadWarnings
	for _, id := range ids {
		units, err := liveUnits(ctx, r.acc, hc, id)
		if err != nil {
			return hc, nil, fmt.Errorf("httprelation: endpoint %s: %w", r.endpoint, err)
		}
		for _, u := range units {
			if !juju.ValidUnitName(u) {
				if malformed++; malformed <= maxReadWarnings {
					r.log.LogAttrs(ctx, slog.LevelWarn, "httprelation: skipping remote unit with a malformed name",
						slog.String("endpoint", r.endpoint), slog.String("relation", id),
						slog.String("unit", logText(u)))
				}
				continue
			}
			refs = append(refs, unitRef{RelationID: id, Unit: u})
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

// hookMemo keeps one successful answer, so that Services, Available and
// UpdateFlags, in any order and number, read and log bad remote entries
// once per hook.
type hookMemo[T any] struct {
	once sync.Once
	// turn holds a token while a caller checks the answer or loads it,
	// so that concurrent first calls share one read; unlike a mutex, it
	// can be waited for until the caller's context ends.
	turn chan struct{}
	ok   bool
	val  T
}

// get returns the kept answer, or calls load and keeps a successful
// answer. A caller that finds another one loading waits for it, or for
// the end of its own context, whichever comes first.
func (m *hookMemo[T]) get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	m.once.Do(func() { m.turn = make(chan struct{}, 1) })
	select {
	case m.turn <- struct{}{}:
	default:
		select {
		case m.turn <- struct{}{}:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	defer func() { <-m.turn }()
	if m.ok {
		return m.val, nil
	}
	val, err := load(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	m.ok, m.val = true, val
	return val, nil
}

// cloneServices copies services deeply, so that a caller editing its
// answer cannot change what later calls in the hook return.
func cloneServices(services []Service) []Service {
	if services == nil {
		return nil
	}
	out := make([]Service, len(services))
	for i, s := range services {
		out[i] = Service{Name: s.Name, Hosts: slices.Clone(s.Hosts)}
	}
	return out
}
