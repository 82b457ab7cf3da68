package httprelation

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

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
// ValidateFlag).
const maxNameLen = 200

// maxPasses bounds Dispatch: handlers that keep inventing new flag states
// would otherwise never settle.
const maxPasses = 100

var (
	// ErrInvalidFlag reports a flag name or change-detector key that some
	// Store could not keep; see [ValidateFlag] for the rule.
	ErrInvalidFlag = errors.New("invalid flag name")
	// ErrDispatchLoop reports handlers that kept changing flags for more
	// passes than Dispatch allows.
	ErrDispatchLoop = errors.New("handlers did not settle")
	// ErrCorruptState reports stored state that cannot be decoded. It is
	// never silently replaced by empty state, because that would re-run
	// every one-off handler of the charm.
	ErrCorruptState = errors.New("corrupt state")
)

// HandlerFunc is the body of a handler registered with [Registry.When] or
// [Registry.WhenNot].
type HandlerFunc func(ctx context.Context) error

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

type handler struct {
	name    string
	when    []string
	whenNot []string
	fn      HandlerFunc
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

// ValidateFlag reports whether name is usable as a flag name or
// change-detector key, wrapping ErrInvalidFlag when it is not. The rule is
// what every Store of this module keeps unchanged (MemoryStore, FileStore
// and hooktools.StateStore over Juju's state-set, through YAML on stdin or
// key=value arguments):
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
func ValidateFlag(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w: %s: must be 1 to %d bytes", ErrInvalidFlag, Quote(name), maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] > '~' {
			return fmt.Errorf("%w: %s: byte %d (%#02x) is not printable ASCII or is whitespace", ErrInvalidFlag, Quote(name), i, name[i])
		}
		if name[i] == '=' {
			return fmt.Errorf("%w: %s: holds '=', which state-set's key=value arguments split on", ErrInvalidFlag, Quote(name))
		}
	}
	// Both prefixes are five bytes with one '.', so one check covers both.
	if size := statekey.Size(flagPrefix + name); size > statekey.MaxSize {
		return fmt.Errorf("%w: %s: stored as a %d-byte key once Juju escapes '.' and '$' (three bytes each), above its limit of %d",
			ErrInvalidFlag, Quote(name), size, statekey.MaxSize)
	}
	return nil
}

// Set raises a flag. Setting a flag that is already set changes nothing.
func (r *Registry) Set(name string) error {
	if err := ValidateFlag(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values[flagPrefix+name] = "1"
	return nil
}

// Clear lowers a flag. Clearing a flag that is not set changes nothing.
func (r *Registry) Clear(name string) error {
	if err := ValidateFlag(name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.values, flagPrefix+name)
	return nil
}

// Has reports whether a flag is set; an invalid name is never set.
func (r *Registry) Has(name string) bool {
	if ValidateFlag(name) != nil {
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
		if ok && value != "" && ValidateFlag(name) == nil {
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

// Condition collects the flags a handler waits for, like a stack of
// charms.reactive decorators. Build one with [Registry.When] or
// [Registry.WhenNot] and finish it with [Condition.Do].
type Condition struct {
	r       *Registry
	when    []string
	whenNot []string
}

// When starts a condition that holds while all of flags are set:
// r.When("website.available").Do("configure", fn) is the Go form of
// @when('website.available').
func (r *Registry) When(flags ...string) Condition {
	return Condition{r: r}.When(flags...)
}

// WhenNot starts a condition that holds while none of flags are set.
func (r *Registry) WhenNot(flags ...string) Condition {
	return Condition{r: r}.WhenNot(flags...)
}

// When adds flags that must all be set.
func (c Condition) When(flags ...string) Condition {
	// Concat copies, so conditions derived from a shared prefix never
	// write into each other's slices.
	c.when = slices.Concat(c.when, flags)
	return c
}

// WhenNot adds flags that must all be clear.
func (c Condition) WhenNot(flags ...string) Condition {
	c.whenNot = slices.Concat(c.whenNot, flags)
	return c
}

// Do registers fn under name to run from [Registry.Dispatch] while the
// condition holds. Handlers run in registration order; name labels the
// handler's errors.
func (c Condition) Do(name string, fn HandlerFunc) error {
	if c.r == nil {
		return fmt.Errorf("handler %q: condition not made by a Registry", name)
	}
	if fn == nil {
		return fmt.Errorf("handler %q: nil function", name)
	}
	for _, flag := range slices.Concat(c.when, c.whenNot) {
		if err := ValidateFlag(flag); err != nil {
			return fmt.Errorf("handler %q: %w", name, err)
		}
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.handlers = append(c.r.handlers, handler{name: name, when: c.when, whenNot: c.whenNot, fn: fn})
	return nil
}

// ready reports whether h's condition holds for the flags in set.
func (h handler) ready(set map[string]bool) bool {
	for _, f := range h.when {
		if !set[f] {
			return false
		}
	}
	for _, f := range h.whenNot {
		if set[f] {
			return false
		}
	}
	return true
}

// Dispatch runs the handlers whose conditions hold, in registration order,
// and repeats the round while a round changed any flag, so handlers react
// to the flags earlier ones set. A handler runs at most once for each
// distinct set of flags, so flags that return to an earlier state do not
// re-trigger it. The first handler error stops Dispatch; a round limit of
// 100 turns runaway handlers into ErrDispatchLoop.
//
// Dispatch does not save: call [Registry.Save] once the hook succeeded.
func (r *Registry) Dispatch(ctx context.Context) error {
	r.mu.Lock()
	handlers := slices.Clone(r.handlers)
	r.mu.Unlock()

	ran := make([]map[string]bool, len(handlers))
	for range maxPasses {
		changed := false
		for i, h := range handlers {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("dispatch: %w", err)
			}
			before, set := r.flagState()
			if !h.ready(set) || ran[i][before] {
				continue
			}
			if ran[i] == nil {
				ran[i] = map[string]bool{}
			}
			ran[i][before] = true
			if err := h.fn(ctx); err != nil {
				return fmt.Errorf("handler %d %q: %w", i, h.name, err)
			}
			if after, _ := r.flagState(); after != before {
				changed = true
			}
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("%w: flags still changing after %d rounds", ErrDispatchLoop, maxPasses)
}

// flagState returns the set flags as one comparable string (flag names
// hold no whitespace, so a newline separates them unambiguously) and as a
// set.
func (r *Registry) flagState() (string, map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	flags := r.listLocked()
	set := make(map[string]bool, len(flags))
	for _, f := range flags {
		set[f] = true
	}
	return strings.Join(flags, "\n"), set
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
