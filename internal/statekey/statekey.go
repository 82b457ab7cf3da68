// Package statekey holds Juju's rules for the size of charm state,
// shared by the flag registry (which must never accept a name that Juju
// would refuse later), hooktools' state store (which checks before it
// writes and as it loads) and statefile (which keeps the same state in a
// file).
package statekey

import "strings"

// MaxSize is Juju's limit on a charm state key in bytes
// (core/quota.MaxCharmStateKeySize).
const MaxSize = 256

// MaxValueSize is Juju's limit on a charm state value in bytes
// (core/quota.MaxCharmStateValueSize), checked by the hook tool and by
// the controller: no value Juju keeps is longer.
const MaxValueSize = 64 << 10

// What a store reads of a whole state in one load. Juju caps a unit's
// charm state at the controller setting max-charm-state-size, 2 MiB by
// default (counted as BSON, about the keys and values' bytes), and sets
// no limit on the number of keys. A load reads the state's JSON text up
// to MaxLoadBytes, twice Juju's default, which leaves room for JSON's
// escapes, and up to MaxLoadKeys keys: decoded, each key costs a few
// hundred bytes whatever its size, so that a text of tiny keys (some
// 200,000 in 4 MiB) would cost more than 80 MiB. A charm's flags,
// change detectors and incremental views are some tens of keys.
const (
	MaxLoadBytes = 4 << 20
	MaxLoadKeys  = 16384
)

// Size returns the number of bytes Juju counts for key against MaxSize.
// Juju 3 keeps charm state in MongoDB, which cannot store '.' or '$' in a
// field name, so the controller escapes them to U+FF0E and U+FF04, three
// bytes each, and checks the quota on the escaped key (state package,
// unitSetStateOperation; mongo/utils.EscapeKey). The hook tool's own check
// of the raw key is the weaker one.
func Size(key string) int {
	return len(key) + 2*strings.Count(key, ".") + 2*strings.Count(key, "$")
}
