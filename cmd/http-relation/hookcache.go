package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/address"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
	"github.com/charmkit/httprelation/statefile"
)

// hookShareHelp ends the help of the commands that read the relations.
const hookShareHelp = `

Within one hook the commands share one read: the first of services and
flags to read an endpoint keeps what it found (a requires endpoint's
services, a provides endpoint's joined units) in
$JUJU_CHARM_DIR/.httprelation/hook.json, stamped with the hook's
JUJU_CONTEXT_ID, and the later ones answer from it, as Juju's own
relation-get answers a hook from its first read: no second relation-get
of a unit, no second warning for a bad entry. A command with
--incremental uses only what one with --incremental and the same --store
read, whose view that store holds. Another hook's file is ignored and
replaced; without JUJU_CONTEXT_ID or JUJU_CHARM_DIR nothing is shared. A
file that cannot be read or written costs a read and one warning, never
the command.`

// Keys of the hook cache file. The file is a statefile.File: a JSON
// object of strings, private to the unit's user.
const (
	cacheContextKey     = "context"   // the JUJU_CONTEXT_ID of the entries
	cacheRequiresPrefix = "requires." // + endpoint: a requiresEntry
	cacheProvidesPrefix = "provides." // + endpoint: a providesEntry
)

// readFull is how a command without --incremental reads a requires
// endpoint: every unit. One with --incremental reads through the view in
// its store, and says so with viewRead.
const readFull = "full"

// viewRead names a read through the incremental view kept in store.
func viewRead(store string) string { return "view-" + store }

// requiresEntry is what a command read of a requires endpoint: the
// library's services, checked, and how they were read.
type requiresEntry struct {
	Read     string                 `json:"read"`
	Services []httprelation.Service `json:"services"`
}

// providesEntry is what a command read of a provides endpoint.
type providesEntry struct {
	Joined bool `json:"joined"`
}

// hookCache shares what the commands of one hook run read, so that a
// bash charm calling services and flags reads each endpoint once. A
// command opens it after its own checks, asks it before each read, puts
// what it read, and saves it once it succeeded: a failed command shares
// nothing, and a view it did not save is never vouched for.
//
// It trusts nothing it loads: an entry of another hook run is ignored
// (and deleted by the next save), and one that does not decode strictly,
// or holds a service or host the library would not return, is not used.
// Every failure costs a read at most and logs one warning per command at
// most; none fails the command.
type hookCache struct {
	file      *statefile.File // nil: nothing is shared
	contextID string
	timeout   time.Duration // bounds the wait for the file's lock
	log       *slog.Logger
	entries   map[string]string // this hook run's, as loaded
	stale     []string          // keys of another run, deleted on save
	put       map[string]string
	warned    bool
}

// openHookCache loads the cache of the running hook. Without a context
// id or a charm directory it shares nothing.
func (c *cli) openHookCache(ctx context.Context, timeout time.Duration) *hookCache {
	hc := &hookCache{contextID: c.contextID, timeout: timeout, log: c.log, put: map[string]string{}}
	if c.contextID == "" || c.env.CharmDir == "" {
		return hc
	}
	// Next to the file store, in the directory statefile keeps private.
	path := filepath.Join(filepath.Dir(statefile.InCharmDir(c.env.CharmDir).Path()), "hook.json")
	hc.file = statefile.New(path)
	data, err := hc.file.Load(ctx)
	switch {
	case errors.Is(err, statefile.ErrCorrupt) || errors.Is(err, statefile.ErrTooLarge):
		// statefile leaves a damaged file alone, as it should state;
		// this one only saves reads, so it goes, and the next save
		// writes a good one. statefile opened it as the user's own
		// regular file in the user's private directory before it
		// decoded it.
		if rmErr := os.Remove(path); rmErr != nil {
			hc.fail(errors.Join(err, rmErr))
			return hc
		}
		hc.warn("hook cache damaged, removed; reading instead", err)
		return hc
	case err != nil:
		hc.fail(err)
		return hc
	}
	if data[cacheContextKey] == c.contextID {
		hc.entries = data
		return hc
	}
	for k := range data {
		hc.stale = append(hc.stale, k)
	}
	return hc
}

// services returns the services a command of this hook read on
// endpoint, if it read them in a way a command reading as read may use:
// a full read uses any, an incremental one only a read through the view
// in its own store, which that read saved.
func (hc *hookCache) services(endpoint, read string) ([]httprelation.Service, bool) {
	raw, ok := hc.entries[cacheRequiresPrefix+endpoint]
	if !ok {
		return nil, false
	}
	e, err := decodeRequires(raw)
	if err != nil {
		hc.warn("hook cache entry not used; reading instead", fmt.Errorf("%s: %w", endpoint, err))
		return nil, false
	}
	if read != readFull && e.Read != read {
		return nil, false
	}
	return e.Services, true
}

// decodeRequires decodes a requires entry and checks it.
func decodeRequires(raw string) (requiresEntry, error) {
	var e requiresEntry
	if err := decodeStrict(raw, &e); err != nil {
		return e, err
	}
	switch e.Read {
	case readFull, viewRead(storeState), viewRead(storeFile):
	default:
		return e, fmt.Errorf("unknown read %s", badchar.Quote(e.Read))
	}
	if e.Services == nil { // the library's answer is never null
		return e, errors.New("no services")
	}
	return e, checkServices(e.Services)
}

// joined returns whether a command of this hook found a remote unit
// joined on the provides endpoint.
func (hc *hookCache) joined(endpoint string) (joined, ok bool) {
	raw, ok := hc.entries[cacheProvidesPrefix+endpoint]
	if !ok {
		return false, false
	}
	var e providesEntry
	if err := decodeStrict(raw, &e); err != nil {
		hc.warn("hook cache entry not used; reading instead", fmt.Errorf("%s: %w", endpoint, err))
		return false, false
	}
	return e.Joined, true
}

// putServices and putJoined keep what the command read for the next
// save.
func (hc *hookCache) putServices(endpoint, read string, services []httprelation.Service) {
	hc.putEntry(cacheRequiresPrefix+endpoint, requiresEntry{Read: read, Services: services})
}

func (hc *hookCache) putJoined(endpoint string, joined bool) {
	hc.putEntry(cacheProvidesPrefix+endpoint, providesEntry{Joined: joined})
}

func (hc *hookCache) putEntry(key string, v any) {
	if hc.file == nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil { // not for these types; the read is simply not shared
		hc.warn("hook cache entry not written; the hook's later commands read again", err)
		return
	}
	hc.put[key] = string(data)
}

// save writes what the command read, stamped with the hook's context id,
// deleting another hook run's entries, in one statefile save. It waits
// for the file's lock at most one --timeout, like a hook tool.
func (hc *hookCache) save(ctx context.Context) {
	if hc.file == nil || len(hc.put) == 0 {
		return
	}
	changes := make(map[string]string, len(hc.put)+len(hc.stale)+1)
	for _, k := range hc.stale {
		changes[k] = "" // statefile deletes a key saved empty
	}
	for k, v := range hc.put {
		changes[k] = v
	}
	changes[cacheContextKey] = hc.contextID
	ctx, cancel := context.WithTimeout(ctx, hc.timeout)
	defer cancel()
	if err := hc.file.Save(ctx, changes); err != nil {
		hc.warn("hook cache not written; the hook's later commands read again", err)
	}
}

// fail reports a cache that cannot be used and stops using it: it is
// neither read nor written again by the command.
func (hc *hookCache) fail(err error) {
	hc.warn("hook cache not used; reading instead", err)
	hc.file = nil
	hc.entries = nil
}

// warn logs the command's one warning about the cache.
func (hc *hookCache) warn(msg string, err error) {
	if hc.warned {
		return
	}
	hc.warned = true
	hc.log.Warn("http-relation: "+msg, "err", err.Error())
}

// decodeStrict decodes one JSON value holding no field v lacks.
func decodeStrict(raw string, v any) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the entry")
	}
	return nil
}

// checkServices reports services the library would not return: an
// application name Juju would not give, names out of order or repeated,
// a service without hosts, hosts out of order or repeated, a port out
// of range, an address the library refuses or would spell otherwise.
func checkServices(services []httprelation.Service) error {
	for i, s := range services {
		if !juju.ValidAppName(s.Name) {
			return fmt.Errorf("service %s: not an application name", badchar.Quote(s.Name))
		}
		if i > 0 && services[i-1].Name >= s.Name {
			return fmt.Errorf("service %q: out of order or repeated", s.Name)
		}
		if len(s.Hosts) == 0 {
			return fmt.Errorf("service %q: no hosts", s.Name)
		}
		for j, h := range s.Hosts {
			if err := httprelation.CheckPort(h.Port); err != nil {
				return fmt.Errorf("service %q: %w", s.Name, err)
			}
			for _, addr := range []string{h.Hostname, h.PrivateAddress} {
				if canonical, err := address.Canonical(addr); err != nil || canonical != addr {
					return fmt.Errorf("service %s: address %s: not one the library returns", s.Name, badchar.Quote(addr))
				}
			}
			if j > 0 && compareHosts(s.Hosts[j-1], h) >= 0 {
				return fmt.Errorf("service %q: hosts out of order or repeated", s.Name)
			}
		}
	}
	return nil
}

// compareHosts orders hosts as Requires.Services sorts them: by
// hostname, private address, port.
func compareHosts(a, b httprelation.Host) int {
	return cmp.Or(strings.Compare(a.Hostname, b.Hostname),
		strings.Compare(a.PrivateAddress, b.PrivateAddress), cmp.Compare(a.Port, b.Port))
}
