// Package httprelation lets a Juju charm written in Go speak the "http"
// relation interface: a provider (a web application) publishes where it
// serves, and a requirer (a reverse proxy, a load balancer, a REST client)
// collects those endpoints grouped by remote application.
//
// The library never talks to Juju directly. Everything goes through an
// [Accessor]; package hooktools implements it over Juju's hook tools and
// package httprelationtest implements it in memory for unit tests.
//
// A provider publishes its port from a hook handler:
//
//	website := httprelation.NewProvides(acc, "website")
//	if err := website.Configure(ctx, 8080); err != nil {
//		return err
//	}
//
// A requirer reads the services behind its relation:
//
//	proxy := httprelation.NewRequires(acc, "reverseproxy")
//	services, err := proxy.Services(ctx)
//	if err != nil {
//		return err
//	}
//	for _, svc := range services {
//		for _, h := range svc.Hosts {
//			fmt.Println(svc.Name, h.Addr())
//		}
//	}
//
// Everything a remote unit writes is untrusted: ports and addresses are
// validated, and a bad entry is logged and skipped without costing the good
// entries next to it.
package httprelation

import (
	"context"
	"errors"
	"strings"
)

// Keys of the unit data bags that the http interface uses.
const (
	KeyHostname       = "hostname"
	KeyPrivateAddress = "private-address"
	KeyPort           = "port"
	KeyIngressAddress = "ingress-address"
	KeyExtendedData   = "extended_data"
)

// Sentinel errors. Errors returned by this package wrap one of these where
// it applies, so callers can test them with errors.Is.
var (
	// ErrInvalidPort reports a port outside 1..65535 or not written in
	// ASCII decimal digits.
	ErrInvalidPort = errors.New("invalid port")
	// ErrInvalidAddress reports a hostname or address that is neither an IP
	// literal nor an RFC 1123 DNS name.
	ErrInvalidAddress = errors.New("invalid address")
	// ErrInvalidKey reports a relation data key that is empty or not
	// printable ASCII.
	ErrInvalidKey = errors.New("invalid relation data key")
	// ErrNoEndpoint reports an endpoint that the charm metadata does not
	// declare.
	ErrNoEndpoint = errors.New("no such endpoint")
	// ErrNotHTTP reports an endpoint whose interface is not "http".
	ErrNotHTTP = errors.New("endpoint interface is not http")
	// ErrWrongRole reports a provides endpoint used as requires, or the
	// reverse.
	ErrWrongRole = errors.New("endpoint has the wrong role")
	// ErrRelationNotFound reports a relation id that Juju does not know.
	// Accessors wrap it.
	ErrRelationNotFound = errors.New("relation not found")
	// ErrUnitNotFound reports a unit whose data bag cannot be found in a
	// relation. Accessors wrap it.
	ErrUnitNotFound = errors.New("unit not found")
)

// Accessor is the only way the library touches Juju. Implementations:
// hooktools.Accessor (real hook tools) and httprelationtest.Model (in
// memory). Relation ids have Juju's "endpoint:N" form, unit names
// "app/N".
//
// Implementations report what Juju reports; the library itself applies the
// departed and broken hook rules (see [HookContext]) so that every
// implementation gets them right.
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

// UnitRef names one unit's data bag in one relation.
type UnitRef struct {
	RelationID string
	Unit       string
}

// BulkReader is implemented by accessors that read many data bags faster
// together than one by one; hooktools.Accessor runs the reads concurrently.
// When an Accessor implements it, the library reads all remote bags of a
// call with one ReadUnits.
//
// The bags are handed over one by one rather than returned together, so
// that a reader and the library hold only the bags in flight, however
// many units there are and whatever they publish.
type BulkReader interface {
	// ReadUnits reads the bag of every ref and calls fn with each: the
	// ref's index in refs and what UnitData would return for it. fn is
	// called at most once per ref, in any order, never twice at once; it
	// may keep the bag.
	//
	// When fn returns an error, ReadUnits starts no more reads, cancels
	// those in flight, and returns that error as soon as they have
	// stopped; the refs not read by then never reach fn. Otherwise it
	// returns nil once fn has seen every ref, or ctx's error when ctx
	// ended first.
	ReadUnits(ctx context.Context, refs []UnitRef, fn func(i int, bag map[string]string, err error) error) error
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
	return relationID != "" && sameRelation(h.RelationID, relationID) &&
		strings.HasSuffix(h.HookName, "-relation-broken")
}

// IsDeparting reports whether unit leaves relationID in the running
// relation-departed hook. Juju drops the hook's remote unit from the
// relation: the departing unit itself, or, when the local unit is the one
// leaving (DepartingUnit names it), one remote unit per departed hook.
// Juju 3 no longer lists that unit; older tooling did. Either way it
// counts as gone.
func (h HookContext) IsDeparting(relationID, unit string) bool {
	if unit == "" || !sameRelation(h.RelationID, relationID) {
		return false
	}
	if h.DepartingUnit == "" && !strings.HasSuffix(h.HookName, "-relation-departed") {
		return false
	}
	return unit == h.RemoteUnit || unit == h.DepartingUnit
}

// sameRelation compares relation ids by their number, as Juju does ("3"
// and "website:3" name the same relation).
func sameRelation(a, b string) bool {
	return RelationNumber(a) == RelationNumber(b) && RelationNumber(a) != ""
}

// RelationNumber returns the number of a relation id ("website:3" → "3",
// "3" → "3"), or "" when id is not of that form.
func RelationNumber(id string) string {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if id == "" || len(id) > 18 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return ""
		}
	}
	return id
}

// AppName returns the application of a unit name ("web/0" → "web"), or ""
// when unit is not of that form.
func AppName(unit string) string {
	app, num, ok := strings.Cut(unit, "/")
	if !ok || app == "" || num == "" {
		return ""
	}
	return app
}
