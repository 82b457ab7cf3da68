// Package httprelation lets a Juju charm written in Go speak the "http"
// relation interface: a provider (a web application) publishes where it
// serves, and a requirer (a reverse proxy, a load balancer, a REST client)
// collects those endpoints grouped by remote application.
//
// Charm code works on a [Unit]: package hooktools wires one from Juju's
// hook tools in one call, package httprelationtest from an in-memory model
// in tests. A provider publishes its port from its hook:
//
//	unit, err := hooktools.NewUnit()
//	if err != nil {
//		return err // hooktools.ErrNotInHook outside Juju
//	}
//	website, err := unit.OpenProvides("website") // checked against metadata.yaml
//	if err != nil {
//		return err
//	}
//	return website.Configure(ctx, 8080)
//
// A requirer reads the services behind its relation:
//
//	proxy, err := unit.OpenRequires("reverseproxy")
//	if err != nil {
//		return err
//	}
//	services, err := proxy.Services(ctx)
//	if err != nil {
//		return err
//	}
//	for _, svc := range services {
//		for _, h := range svc.Hosts {
//			fmt.Println(svc.Name, h.PrivateAddr()) // where a proxy connects; h.Addr() is for clients
//		}
//	}
//
// Everything a remote unit writes is untrusted: ports and addresses are
// validated, and a bad entry is logged and skipped without costing the
// good entries next to it.
//
// The library never talks to Juju directly: everything goes through an
// [Accessor]. Tools such as a command-line front end that have no charm
// metadata to check against use [NewProvides] and [NewRequires] with one.
package httprelation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
)

// Keys of the unit data bags that the http interface uses.
const (
	keyHostname       = "hostname"
	keyPrivateAddress = "private-address"
	keyPort           = "port"
	keyExtendedData   = "extended_data"
)

// Sentinel errors. Errors returned by this package wrap one of these where
// it applies, so callers can test them with errors.Is.
var (
	// ErrInvalidPort reports a port outside 1..65535 or not written in
	// ASCII decimal digits.
	ErrInvalidPort = errors.New("invalid port")
	// ErrInvalidAddress reports a hostname or address that is neither an IP
	// literal nor an RFC 1123 DNS name.
	ErrInvalidAddress = address.ErrInvalid
	// ErrInvalidKey reports a relation data key that is empty, not
	// printable ASCII, or starts with '-'.
	ErrInvalidKey = juju.ErrInvalidKey
	// ErrRelationNotFound reports a relation id that Juju does not know.
	// Accessors wrap it.
	ErrRelationNotFound = errors.New("relation not found")
	// ErrUnitNotFound reports a unit whose data bag cannot be found in a
	// relation. Accessors wrap it.
	ErrUnitNotFound = errors.New("unit not found")
)

// Accessor is the only way the library touches Juju. hooktools implements
// it over Juju's hook tools; httprelationtest runs that implementation over
// simulated tools. Relation ids have Juju's "endpoint:N" form, unit names
// "app/N". An Accessor must be safe for concurrent use: a requirer reads
// several bags at once.
//
// Implementations report what Juju reports; the library itself applies
// the departed and broken hook rules (see [HookContext]) so that every
// implementation gets them right.
//
// One call of a [Requires] or [Provides] may make many accessor calls:
// it carries on past a relation that failed (Configure and Publish try
// every relation, Available lists each one) and a later call of the hook
// asks again for what failed. An implementation that bounds its calls
// with a deadline should therefore fail at once a call that would wait
// on what already ran past it in the hook, as hooktools does for a tool
// that stalled, so that one hung tool costs the hook one deadline.
type Accessor interface {
	// HookContext describes the hook that is running.
	HookContext(ctx context.Context) (HookContext, error)
	// RelationIDs lists the relation ids of an endpoint, empty if none.
	RelationIDs(ctx context.Context, endpoint string) ([]string, error)
	// RelationUnits lists the remote units in a relation.
	RelationUnits(ctx context.Context, relationID string) ([]string, error)
	// RemoteApp names the remote application of a relation.
	RemoteApp(ctx context.Context, relationID string) (string, error)
	// UnitData returns the whole data bag of a unit in a relation (remote
	// or local). The returned map must not be modified. A unit that left
	// the relation fails with an error wrapping ErrUnitNotFound; a bag
	// too large to read, with one wrapping ErrDataTooLarge. A bag read
	// only in part comes with a *PartialBagError naming what was left
	// out.
	UnitData(ctx context.Context, relationID, unit string) (map[string]string, error)
	// SetLocalData writes keys of the local unit's bag in a relation; an
	// empty value deletes the key.
	SetLocalData(ctx context.Context, relationID string, data map[string]string) error
	// IngressAddress is the address the local unit advertises to the
	// other side of a relation.
	IngressAddress(ctx context.Context, relationID string) (string, error)
}

// HookContext describes the hook being run.
type HookContext struct {
	// Unit is the local unit, e.g. "haproxy/0".
	Unit string
	// HookName is e.g. "website-relation-departed"; empty outside a hook
	// (juju exec).
	HookName string
	// RelationID is the relation of a relation hook, e.g. "website:3".
	RelationID string
	// RemoteUnit is the remote unit of a relation hook; may be empty.
	RemoteUnit string
	// RemoteApp is the remote application of a relation hook.
	RemoteApp string
	// DepartingUnit is set in relation-departed hooks. It names the local
	// unit when the local unit itself is leaving.
	DepartingUnit string
}

// IsBroken reports whether relationID is the relation whose
// relation-broken hook is running. Juju may still list such a relation; it
// counts as gone.
func (h HookContext) IsBroken(relationID string) bool {
	return relationID != "" && juju.SameRelation(h.RelationID, relationID) &&
		strings.HasSuffix(h.HookName, "-relation-broken")
}

// IsDeparting reports whether unit leaves relationID in the running
// relation-departed hook. Juju drops the hook's remote unit from the
// relation: the departing unit itself, or, when the local unit is the one
// leaving (DepartingUnit names it), one remote unit per departed hook.
// Juju 3 no longer lists that unit; older tooling did. Either way it
// counts as gone.
func (h HookContext) IsDeparting(relationID, unit string) bool {
	if unit == "" || !juju.SameRelation(h.RelationID, relationID) {
		return false
	}
	if h.DepartingUnit == "" && !strings.HasSuffix(h.HookName, "-relation-departed") {
		return false
	}
	return unit == h.RemoteUnit || unit == h.DepartingUnit
}

// Option configures a [Provides] or [Requires].
type Option func(*options)

type options struct {
	logger *slog.Logger
	view   *viewConfig // WithIncrementalView; Requires only
}

// WithLogger sends the library's warnings (skipped remote entries, for
// instance) to l instead of slog.Default(). A [Unit] passes its Logger
// this way.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// liveRelations lists the relations of endpoint minus the one whose
// relation-broken hook is running: Juju still lists it, but it is gone.
// Both sides start here, so the hook rules live in one place.
func liveRelations(ctx context.Context, acc Accessor, endpoint string) (HookContext, []string, error) {
	hc, err := acc.HookContext(ctx)
	if err != nil {
		return HookContext{}, nil, fmt.Errorf("hook context: %w", err)
	}
	all, err := acc.RelationIDs(ctx, endpoint)
	if err != nil {
		return HookContext{}, nil, fmt.Errorf("relation ids: %w", err)
	}
	ids := make([]string, 0, len(all))
	for _, id := range all {
		if !hc.IsBroken(id) {
			ids = append(ids, id)
		}
	}
	return hc, ids, nil
}

// liveUnits lists the remote units of a relation minus the one leaving in
// the running relation-departed hook, which older tooling still lists.
func liveUnits(ctx context.Context, acc Accessor, hc HookContext, id string) ([]string, error) {
	units, err := acc.RelationUnits(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("relation %s: units: %w", badchar.Quote(id), err)
	}
	live := units[:0:0]
	for _, u := range units {
		if !hc.IsDeparting(id, u) {
			live = append(live, u)
		}
	}
	return live, nil
}
