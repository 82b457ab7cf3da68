package httprelation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

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
	if err := ValidateFlag(key); err != nil {
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
