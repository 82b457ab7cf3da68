package httprelation

import "context"

// Store persists the flag registry's state between hook runs: a flat map
// of string to string, like Juju's state-get / state-set.
type Store interface {
	// Load returns everything stored; an empty store gives an empty map.
	Load(ctx context.Context) (map[string]string, error)
	// Save applies changes: each key is set to its value, and a key whose
	// value is "" is deleted. Keys not named keep their values.
	Save(ctx context.Context, changes map[string]string) error
}
