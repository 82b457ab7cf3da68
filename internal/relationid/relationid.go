// Package relationid reads Juju relation ids ("website:3") as the hook
// tools do, for the simulator and for the in-process test harness, which
// must name the same relations, and for hooktools: only the number after
// the last colon names a relation.
package relationid

import (
	"sort"
	"strconv"
	"strings"
)

// Number parses a relation id as Juju's -r option does: only the number
// after the last colon counts.
func Number(id string) (int, bool) {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	n, err := strconv.Atoi(id)
	return n, err == nil
}

// Endpoint returns the endpoint name of a relation id ("website:3" →
// "website"), or "" when it has none.
func Endpoint(id string) string {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return ""
	}
	return id[:i]
}

// Find returns the key of relations, a map keyed by relation id, for the
// relation that id names ("website:3", or just "3"): only the number
// counts, as with the tools' -r. An id that is a key names that relation
// at once: this is every call a charm makes, and a lookup by number scans
// every relation, which made a hook over 1000 relations quadratic.
func Find[V any](relations map[string]V, id string) (string, bool) {
	if _, ok := relations[id]; ok {
		return id, true
	}
	n, ok := Number(id)
	if !ok {
		return "", false
	}
	return WithNumber(relations, n)
}

// WithNumber finds the key of relations with number n; should they name
// the same number twice (a model that fails validation), the smallest key
// wins so that answers stay stable.
func WithNumber[V any](relations map[string]V, n int) (string, bool) {
	found := ""
	for key := range relations {
		if k, ok := Number(key); ok && k == n && (found == "" || key < found) {
			found = key
		}
	}
	return found, found != ""
}

// OnEndpoint is what relation-ids answers: the keys of relations on
// endpoint, sorted as strings as Juju does ("website:12" before
// "website:3"), never nil.
func OnEndpoint[V any](relations map[string]V, endpoint string) []string {
	ids := []string{}
	for key := range relations {
		if Endpoint(key) == endpoint {
			ids = append(ids, key)
		}
	}
	sort.Strings(ids)
	return ids
}
