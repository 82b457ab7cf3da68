package hooktools

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
	"github.com/charmkit/httprelation/internal/relationid"
)

// accessor implements httprelation.Accessor over hook tools. It is safe
// for concurrent use. It lives as long as the hook: it reads each
// relation's ids, units and each unit's bag at most once, because a tool
// call costs a process and a round trip to the Juju agent, and what it
// reads does not change under a running hook except through the hook's
// own writes. Bags are kept up to a budget of 2 MiB, so that a thousand
// large ones are not held together; past it, a bag asked for again is
// read again.
type accessor struct {
	call caller
	env  Env

	relationIDs memo[[]string]
	units       memo[[]string]
	apps        memo[string]
	bags        memo[bagRead]
	ingress     memo[string]
	// config is what the unit's Tools read of its config (ToolsOf).
	config memo[Config]
	// cacheLeft is what remains of the bytes of bags the cache may keep.
	cacheLeft atomic.Int64
}

var (
	_ httprelation.Accessor = (*accessor)(nil)
)

// accessor returns an accessor that runs tools as c says. Without an env
// it knows no hook: HookContext fails with ErrNotInHook and
// IngressAddress skips the local unit's bag.
func (c config) accessor() *accessor {
	a := &accessor{call: c.caller()}
	if c.env != nil {
		a.env = *c.env
	}
	a.bags.retain = a.keepBag
	a.cacheLeft.Store(maxCachedBags)
	return a
}

// HookContext implements httprelation.Accessor.
func (a *accessor) HookContext(context.Context) (httprelation.HookContext, error) {
	if !a.env.inHook() {
		return httprelation.HookContext{}, fmt.Errorf("%w: JUJU_UNIT_NAME is unset", ErrNotInHook)
	}
	return a.env.hookContext(), nil
}

// RelationIDs implements httprelation.Accessor with one relation-ids call
// per endpoint. The endpoint comes first, "relation-ids ENDPOINT
// --format=json": Juju's parser takes options anywhere, and goops' test
// doubles read the endpoint from the first argument.
func (a *accessor) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	if err := checkArg("endpoint", endpoint); err != nil {
		return nil, err
	}
	ids, err := a.relationIDs.get(ctx, endpoint, func() ([]string, error) {
		out, err := a.call.runLimited(ctx, "relation-ids", []string{endpoint, "--format=json"}, nil, MaxListOutput)
		if err != nil {
			return nil, err
		}
		ids, err := decodeList("relation-ids", out)
		if err == nil {
			err = checkRelationIDs(endpoint, ids, out)
		}
		return ids, err
	})
	if err != nil {
		return nil, err
	}
	return cloneList(ids), nil
}

// RelationUnits implements httprelation.Accessor with one relation-list
// call per relation.
func (a *accessor) RelationUnits(ctx context.Context, relationID string) ([]string, error) {
	if err := checkArg("relation id", relationID); err != nil {
		return nil, err
	}
	units, err := a.units.get(ctx, relationKey(relationID), func() ([]string, error) {
		return a.call.runList(ctx, "relation-list", "--format=json", relationFlag(relationID))
	})
	if err != nil {
		return nil, err
	}
	return cloneList(units), nil
}

// RemoteApp implements httprelation.Accessor. It derives the application
// from the listed units, which the library reads anyway, and asks
// relation-list --app only when no unit is listed (relation-broken).
func (a *accessor) RemoteApp(ctx context.Context, relationID string) (string, error) {
	if err := checkArg("relation id", relationID); err != nil {
		return "", err
	}
	return a.apps.get(ctx, relationKey(relationID), func() (string, error) {
		units, err := a.RelationUnits(ctx, relationID)
		if err != nil {
			return "", err
		}
		for _, u := range units {
			if app := juju.AppName(u); app != "" {
				return app, nil
			}
		}
		return a.call.runString(ctx, "relation-list", "--format=json", relationFlag(relationID), "--app")
	})
}

// UnitData implements httprelation.Accessor with one relation-get call
// per bag for the whole bag. The returned map is shared with the cache.
//
// A value that is not a JSON string (Juju stores only strings) is left
// out of the bag, which comes with a *httprelation.PartialBagError
// naming each such key.
func (a *accessor) UnitData(ctx context.Context, relationID, unit string) (map[string]string, error) {
	if err := checkArg("relation id", relationID); err != nil {
		return nil, err
	}
	if err := checkArg("unit", unit); err != nil {
		return nil, err
	}
	read, err := a.bags.get(ctx, bagKey(relationID, unit), func() (bagRead, error) {
		args := []string{"--format=json", relationFlag(relationID), "-", unit}
		out, err := a.call.runLimited(ctx, "relation-get", args, nil, maxBagOutput)
		if errors.Is(err, ErrOutputTooLarge) {
			return bagRead{}, fmt.Errorf("%w: %w", httprelation.ErrDataTooLarge, err)
		}
		if err != nil {
			return bagRead{}, err
		}
		n := countMembers(out)
		if n > maxBagKeys {
			return bagRead{}, fmt.Errorf("%w: relation-get: %d keys, more than %d", httprelation.ErrDataTooLarge, n, maxBagKeys)
		}
		bag, problems, err := decodeStringMap("relation-get", out, n, false)
		return bagRead{bag: bag, problems: problems, size: len(out)}, err
	})
	if err != nil {
		return nil, err
	}
	if len(read.problems) > 0 {
		return read.bag, &httprelation.PartialBagError{Problems: read.problems}
	}
	return read.bag, nil
}

// bagRead is one relation-get answer as the cache keeps it: the values
// that are strings, a problem for each other one, and the size of the
// answer, which the cache counts.
type bagRead struct {
	bag      map[string]string
	problems []*httprelation.EntryError
	size     int
}

// keepBag reports whether a bag just read fits in what is left of the
// cache's budget (maxCachedBags), and takes its share if so.
func (a *accessor) keepBag(read bagRead) bool {
	if a.cacheLeft.Add(-int64(read.size)) >= 0 {
		return true
	}
	a.cacheLeft.Add(int64(read.size))
	return false
}

// SetLocalData implements httprelation.Accessor with one relation-set
// call. Values travel as YAML on stdin, so any string survives; a runner
// without stdin gets key=value arguments, limited to 128 KiB each.
func (a *accessor) SetLocalData(ctx context.Context, relationID string, data map[string]string) error {
	if err := checkArg("relation id", relationID); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	err := a.call.setValues(ctx, "relation-set", []string{relationFlag(relationID)}, data)
	if a.env.Unit == "" {
		// The local unit's bag cannot be told from the others.
		prefix := bagKey(relationID, "")
		a.bags.forgetIf(func(key string) bool { return strings.HasPrefix(key, prefix) })
		return err
	}
	key := bagKey(relationID, a.env.Unit)
	if err != nil {
		// Part of the data may have been written.
		a.bags.forgetIf(func(k string) bool { return k == key })
		return err
	}
	a.bags.update(key, func(old bagRead) bagRead {
		// Copy: callers may still hold the old map.
		bag := maps.Clone(old.bag)
		problems := old.problems[:0:0]
		for k, v := range data {
			if v == "" {
				delete(bag, k)
			} else {
				bag[k] = v
			}
		}
		for _, p := range old.problems {
			if _, written := data[p.Key]; !written {
				problems = append(problems, p)
			}
		}
		return bagRead{bag: bag, problems: problems}
	})
	return nil
}

// IngressAddress implements httprelation.Accessor: network-get's first
// ingress address for the relation, else the local unit's own
// ingress-address or private-address in the relation, else unit-get
// private-address.
func (a *accessor) IngressAddress(ctx context.Context, relationID string) (string, error) {
	if err := checkArg("relation id", relationID); err != nil {
		return "", err
	}
	return a.ingress.get(ctx, relationKey(relationID), func() (string, error) {
		var errs []error
		if endpoint := a.endpointOf(relationID); endpoint != "" {
			addr, err := a.networkIngress(ctx, relationID, endpoint)
			if addr != "" {
				return addr, nil
			}
			errs = append(errs, err)
		}
		if a.env.Unit != "" && ctx.Err() == nil {
			bag, err := a.UnitData(ctx, relationID, a.env.Unit)
			for _, k := range []string{"ingress-address", "private-address"} {
				if addr := strings.TrimSpace(bag[k]); addr != "" {
					return addr, nil
				}
			}
			errs = append(errs, err)
		}
		addr, err := a.call.runString(ctx, "unit-get", "--format=json", "private-address")
		if addr = strings.TrimSpace(addr); addr != "" {
			return addr, nil
		}
		errs = append(errs, err, errors.New("no address found"))
		return "", fmt.Errorf("ingress address of relation %s: %w", badchar.Quote(relationID), errors.Join(errs...))
	})
}

func (a *accessor) networkIngress(ctx context.Context, relationID, endpoint string) (string, error) {
	var info struct {
		IngressAddresses []string `json:"ingress-addresses"`
	}
	args := []string{"--format=json", relationFlag(relationID), endpoint}
	if err := a.call.runJSON(ctx, "network-get", args, &info); err != nil {
		return "", err
	}
	for _, addr := range info.IngressAddresses {
		if addr = strings.TrimSpace(addr); addr != "" {
			return addr, nil
		}
	}
	return "", errors.New("network-get: no ingress address")
}

// endpointOf names the endpoint of a relation id: its "name:" prefix, or
// the running relation hook's endpoint when id is its bare number.
func (a *accessor) endpointOf(relationID string) string {
	if ep := relationid.Endpoint(relationID); ep != "" {
		return ep
	}
	if a.env.RelationName != "" && juju.RelationNumber(a.env.RelationID) == relationID {
		return a.env.RelationName
	}
	return ""
}

// relationFlag is the relation option of a relation id as one argument.
// An "endpoint:N" id goes as "-r=ID": Juju's tools take it (the recorded
// transcripts replay "-r=backends:4"), and goops' test doubles
// (goopstest) recognise only that form. Juju's option parser keeps the
// '=' of a short option, though, and reads "=backends:4" by its number
// alone, so a bare number "-r=4" would be the id "=4", which it refuses:
// a bare number goes as the long option, "--relation=4".
func relationFlag(id string) string {
	if juju.RelationNumber(id) == id {
		return "--relation=" + id
	}
	return "-r=" + id
}

// relationKey keys caches by relation number, as Juju does: "backends:4"
// and "4" are one relation.
func relationKey(id string) string {
	if n := juju.RelationNumber(id); n != "" {
		return n
	}
	return id
}

func bagKey(relationID, unit string) string {
	return relationKey(relationID) + "\x00" + unit
}

// checkArg rejects values that a tool would parse as a flag or that name
// nothing.
func checkArg(what, s string) error {
	if s == "" || strings.HasPrefix(s, "-") {
		return fmt.Errorf("invalid %s %q", what, s)
	}
	return nil
}

// cloneList copies a cached list so that callers may sort it; it is never
// nil, as "none" is an empty list.
func cloneList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
