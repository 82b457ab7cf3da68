package hooktools

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/juju"
	"github.com/charmkit/httprelation/internal/statekey"
)

// Juju's quota for charm state (core/quota: MaxCharmStateKeySize,
// MaxCharmStateValueSize); checked here so that an oversized flag fails
// with a clear error before any write. The key limit applies to the key
// as the controller stores it, with each '.' and '$' escaped to three
// bytes.
const (
	MaxStateKeySize   = statekey.MaxSize
	MaxStateValueSize = statekey.MaxValueSize
)

// Caps on what Load reads of the charm state: state-get's answer, the
// JSON of the whole state, is read up to MaxStateOutput bytes (4 MiB,
// twice Juju's default max-charm-state-size of 2 MiB) and decoded only
// when it holds at most MaxStateKeys keys. Past either, Load fails with
// ErrTooLarge, and nothing is decoded: a state that large is not one
// this library writes (its flags, change detectors and incremental views
// are some tens of keys), and reading it whole would let it decide how
// much memory every hook takes. A controller whose max-charm-state-size
// was raised can hold a state this store refuses to load.
const (
	MaxStateOutput = statekey.MaxLoadBytes
	MaxStateKeys   = statekey.MaxLoadKeys
)

// stateStore implements httprelation.Store over Juju's charm state
// (state-get, state-set, state-delete), which outlives hooks and is kept
// by the controller.
type stateStore struct {
	call caller
}

var _ httprelation.Store = (*stateStore)(nil)

// stateStore returns a store that runs tools as c says.
func (c config) stateStore() *stateStore {
	return &stateStore{call: c.caller()}
}

// Load implements httprelation.Store with one state-get call. A stored
// empty value counts as absent, as Save never stores one. state-get
// prints null when nothing is stored; a value that is not a string
// cannot come from Juju and fails the load with a *ParseError.
//
// The answer is read up to MaxStateOutput bytes and MaxStateKeys keys;
// past either, Load fails with ErrTooLarge (and ErrOutputTooLarge for
// the bytes) before decoding anything. A key longer than
// MaxStateKeySize bytes (as state-set counts it, unescaped) or a value
// longer than MaxStateValueSize cannot come from Juju, which checks both
// before it stores them: it fails the load with a *ParseError that wraps
// ErrTooLarge.
func (s *stateStore) Load(ctx context.Context) (map[string]string, error) {
	out, err := s.call.runLimited(ctx, "state-get", []string{"--format=json"}, nil, MaxStateOutput)
	if errors.Is(err, ErrOutputTooLarge) {
		return nil, fmt.Errorf("load charm state: %w: %w (hooktools.MaxStateOutput)", ErrTooLarge, err)
	}
	if err != nil {
		return nil, err
	}
	members := countMembers(out)
	if members > MaxStateKeys {
		return nil, fmt.Errorf("load charm state: %w: state-get: %d keys, more than %d (hooktools.MaxStateKeys)",
			ErrTooLarge, members, MaxStateKeys)
	}
	m, problems, err := decodeStringMap("state-get", out, members, true)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, newParseError("state-get", out, problems[0])
	}
	for _, k := range slices.Sorted(maps.Keys(m)) { // the same key reported every time
		if len(k) > MaxStateKeySize {
			return nil, newParseError("state-get", out, fmt.Errorf("%w: key %s is %d bytes, and Juju keeps at most %d",
				ErrTooLarge, badchar.Quote(k), len(k), MaxStateKeySize))
		}
		if v := m[k]; len(v) > MaxStateValueSize {
			return nil, newParseError("state-get", out, fmt.Errorf("%w: value of %s is %d bytes, and Juju keeps at most %d",
				ErrTooLarge, badchar.Quote(k), len(v), MaxStateValueSize))
		}
	}
	maps.DeleteFunc(m, func(_, v string) bool { return v == "" })
	return m, nil
}

// Save implements httprelation.Store: one state-set call for the values
// set, one state-delete call per key deleted. Juju's state-set stores an
// empty value as is (jujuc StateSetCommand calls SetCharmStateValue(k,
// "")); only state-delete removes a key. Every key and value is checked
// before anything is written.
func (s *stateStore) Save(ctx context.Context, changes map[string]string) error {
	set := make(map[string]string, len(changes))
	var deleted []string
	for k, v := range changes {
		if err := juju.CheckKey(k); err != nil {
			return fmt.Errorf("state: %w", err)
		}
		if size := statekey.Size(k); size > MaxStateKeySize {
			return fmt.Errorf("state: %w: key %.32q... counts %d bytes with '.' and '$' escaped as Juju stores them, limit %d",
				ErrTooLarge, k, size, MaxStateKeySize)
		}
		if len(v) > MaxStateValueSize {
			return fmt.Errorf("state: %w: value of %q is %d bytes, limit %d", ErrTooLarge, k, len(v), MaxStateValueSize)
		}
		if v == "" {
			deleted = append(deleted, k)
		} else {
			set[k] = v
		}
	}
	if len(set) > 0 {
		if err := s.call.setValues(ctx, "state-set", nil, set); err != nil {
			return err
		}
	}
	slices.Sort(deleted)
	for _, k := range deleted {
		if _, err := s.call.run(ctx, "state-delete", []string{k}, nil); err != nil {
			return err
		}
	}
	return nil
}
