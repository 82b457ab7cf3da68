// Package statekey holds Juju's rule for the size of a charm state key,
// shared by the flag registry (which must never accept a name that Juju
// would refuse later) and hooktools.StateStore (which checks before it
// writes).
package statekey

import "strings"

// MaxSize is Juju's limit on a charm state key in bytes
// (core/quota.MaxCharmStateKeySize).
const MaxSize = 256

// Size returns the number of bytes Juju counts for key against MaxSize.
// Juju 3 keeps charm state in MongoDB, which cannot store '.' or '$' in a
// field name, so the controller escapes them to U+FF0E and U+FF04, three
// bytes each, and checks the quota on the escaped key (state package,
// unitSetStateOperation; mongo/utils.EscapeKey). The hook tool's own check
// of the raw key is the weaker one.
func Size(key string) int {
	return len(key) + 2*strings.Count(key, ".") + 2*strings.Count(key, "$")
}
