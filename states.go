package httprelation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/statekey"
)

// Store persists the flag registry's state between hook runs: a flat map
// of string to string, like Juju's state-get / state-set.
type Store interface {
	// Load returns everything stored; an empty store gives an empty map.
	Load(ctx context.Context) (map[string]string, error)
	// Save applies changes: each key is set to its value, and a key whose
	// value is "" is deleted. Keys not named keep their values.
	Save(ctx context.Context, changes map[string]string) error
}

// Key prefixes in the Store. Namespacing lets flags, change-detector
// hashes and whatever else a charm keeps share one Store.
const (
	flagPrefix = "flag."
	hashPrefix = "hash."
)

// maxNameLen bounds a flag name or change-detector key. The key stored
// for it must also fit Juju's state key limit as Juju counts it (see
// validateFlag).
const maxNameLen = 200

// ErrInvalidFlag reports a flag name or change-detector key that some
// Store could not keep; see [Registry.Set] for the rule.
var ErrInvalidFlag = errors.New("invalid flag name")

// Registry holds named flags, the Go form of charms.reactive's flags, and
// the handlers that react to them. It is loaded once per hook from a Store
// and written back with [Registry.Save]; until then changes live in memory
// only, so a failing hook leaves the stored state untouched.
//
// A Registry is safe for concurrent use; handlers may call its methods.
type Registry struct {
	store Store

	mu       sync.Mutex
	values   map[string]string // the Store's content with this hook's edits
	saved    map[string]string // the Store's content as last loaded or saved
	handlers []handler
}

// NewRegistry loads the flags and change-detector hashes kept in store.
func NewRegistry(ctx context.Context, store Store) (*Registry, error) {
	if store == nil {
		return nil, errors.New("new registry: nil store")
	}
	data, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load registry: %w", err)
	}
	values := make(map[string]string, len(data))
	maps.Copy(values, data)
	return &Registry{store: store, values: values, saved: maps.Clone(data)}, nil
}

// validateFlag reports whether name is usable as a flag name or
// change-detector key, wrapping ErrInvalidFlag when it is not. The rule is
// what every Store of this module keeps unchanged (MemoryStore,
// statefile.File and hooktools' store over Juju's state-set, through YAML
// on stdin or key=value arguments):
//
//   - 1 to 200 bytes of printable ASCII ('!' to '~'): no whitespace,
//     control bytes or non-ASCII, which hook-tool arguments and log lines
//     would not carry faithfully;
//   - no '=', which state-set's key=value arguments split on;
//   - the stored key ("flag." or "hash." and the name) within Juju's
//     256-byte state key limit as the controller counts it: it escapes
//     '.' and '$' to three-byte characters before checking, so a name of
//     200 bytes may hold at most 24 of them.
//
// Quotes, ':', '#', a leading '-' and YAML words such as "yes" or "null"
// are fine: the stored key always starts with the prefix, and
// hooktools quotes every key it writes.
func validateFlag(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w: %s: must be 1 to %d bytes", ErrInvalidFlag, badchar.Quote(name), maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] > '~' {
			return fmt.Errorf("%w: %s: byte %d (%#02x) is not printable ASCII or is whitespace", ErrInvalidFlag, badchar.Quote(name), i, name[i])
		}
		if name[i] == '=' {
			return fmt.Errorf("%w: %s: holds '=', which state-set's key=value arguments split on", ErrInvalidFlag, badchar.Quote(name))
		}
	}
	// Both prefixes are five bytes with one '.', so one check covers both.
	if size := statekey.Size(flagPrefix + name); size > statekey.MaxSize {
		return fmt.Errorf("%w: %s: stored as a %d-byte key once Juju escapes '.' and '$' (three bytes each), above its limit of %d",
			ErrInvalidFlag, badchar.Quote(name), size, statekey.MaxSize)
	}
	return nil
}

// Set raises a flag. Setting a flag that is already set changes nothing.
//
// A flag name, like a key of [Registry.Changed], is 1 to 200 bytes of
// printable ASCII without whitespace or '=', whose stored key ("flag." and
// the name) fits Juju's 256-byte state key limit once Juju escapes each
// '.' and '$' to three bytes; anything else wraps ErrInvalidFlag.
func (r *Registry) Set(name string) error {
	if err := validateFlag(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values[flagPrefix+name] = "1"
	return nil
}

// Clear lowers a flag. Clearing a flag that is not set changes nothing.
func (r *Registry) Clear(name string) error {
	if err := validateFlag(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.values, flagPrefix+name)
	return nil
}

// Has reports whether a flag is set; an invalid name is never set.
func (r *Registry) Has(name string) bool {
	if validateFlag(name) != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.values[flagPrefix+name] != ""
}

// List returns the set flags in sorted order.
func (r *Registry) List() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.listLocked()
}

func (r *Registry) listLocked() []string {
	flags := []string{}
	for key, value := range r.values {
		name, ok := strings.CutPrefix(key, flagPrefix)
		// A name the Store holds but Set would refuse cannot be tested
		// for, so listing it would only mislead.
		if ok && value != "" && validateFlag(name) == nil {
			flags = append(flags, name)
		}
	}
	slices.Sort(flags)
	return flags
}

// Save writes the flags and hashes changed since the last load or save to
// the Store in one call. Nothing is written when nothing changed, so a
// quiet hook costs no state-set.
func (r *Registry) Save(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	changes := map[string]string{}
	for key, value := range r.values {
		if r.saved[key] != value {
			changes[key] = value
		}
	}
	for key := range r.saved {
		if _, ok := r.values[key]; !ok {
			changes[key] = ""
		}
	}
	if len(changes) == 0 {
		return nil
	}
	if err := r.store.Save(ctx, changes); err != nil {
		return fmt.Errorf("save registry: %w", err)
	}
	r.saved = maps.Clone(r.values)
	return nil
}

// Changed reports whether value differs from the value last given for key,
// and records it: the data_changed idiom of charms.reactive, used to
// reconfigure a proxy only when the services behind it really changed.
// The first call for a key reports true.
//
// Values are compared by the SHA-256 of their JSON encoding, so equal
// values compare equal whatever their identity (maps encode with sorted
// keys). Only the hash is kept; it reaches the Store with the next
// [Registry.Save], so a hook that fails before saving sees the change
// again next time. key follows the flag name rules (ErrInvalidFlag).
func (r *Registry) Changed(key string, value any) (bool, error) {
	if err := validateFlag(key); err != nil {
		return false, fmt.Errorf("changed: %w", err)
	}
	data, err := json.Marshal(value)
	if err != nil {
		return false, fmt.Errorf("changed %q: encode value: %w", key, err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	r.mu.Lock()
	defer r.mu.Unlock()
	previous := r.values[hashPrefix+key]
	r.values[hashPrefix+key] = hash
	return previous != hash, nil
}

// AvailableFlag names the flag raised while an endpoint is usable:
// "<endpoint>.available", as in the Python layer. [Provides.UpdateFlags]
// and [Requires.UpdateFlags] set and clear it.
func AvailableFlag(endpoint string) string {
	return endpoint + ".available"
}

// toggle sets flag when on, else clears it.
func (r *Registry) toggle(flag string, on bool) error {
	if on {
		return r.Set(flag)
	}
	return r.Clear(flag)
}

// MemoryStore is a Store in memory, for tests and for charms that need no
// persistence. The zero value is empty and ready; it is safe for
// concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	data map[string]string
}

// Load returns a copy of the stored map.
func (m *MemoryStore) Load(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.data))
	maps.Copy(out, m.data)
	return out, nil
}

// Save applies changes; an empty value deletes its key.
func (m *MemoryStore) Save(ctx context.Context, changes map[string]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = map[string]string{}
	}
	applyChanges(m.data, changes)
	return nil
}

// applyChanges implements the Store.Save rule that "" deletes a key.
func applyChanges(data, changes map[string]string) {
	for key, value := range changes {
		if value == "" {
			delete(data, key)
		} else {
			data[key] = value
		}
	}
}
