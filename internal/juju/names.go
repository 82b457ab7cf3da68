// Package juju holds Juju's rules for the names the library reads from
// hook tools and remote units (unit, application and relation names) and
// for the keys it writes. The root package and hooktools apply them alike.
package juju

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/juju/names/v5"
)

// MaxAppName is the longest application name Juju creates: juju deploy
// refuses longer ones (juju/juju#20223), because a Kubernetes service
// named after the application could not exist.
const MaxAppName = 63

// maxUnitDigits is the longest unit number ValidUnitName accepts.
const maxUnitDigits = 9

// AppName returns the application of a unit name ("web/0" → "web"), or ""
// when unit is not of that form.
func AppName(unit string) string {
	app, num, ok := strings.Cut(unit, "/")
	if !ok || app == "" || num == "" {
		return ""
	}
	return app
}

// RelationNumber returns the number of a relation id ("website:3" → "3",
// "3" → "3"), or "" when id is not of that form.
func RelationNumber(id string) string {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if id == "" || len(id) > 18 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return ""
		}
	}
	return id
}

// SameRelation compares relation ids by their number, as Juju does ("3"
// and "website:3" name the same relation).
func SameRelation(a, b string) bool {
	return RelationNumber(a) == RelationNumber(b) && RelationNumber(a) != ""
}

// ValidUnitName reports whether unit is a unit name Juju can create:
// Juju's own rule (names.IsValidUnit: "app/N" with a valid application
// name and N a number without leading zeros), an application name of at
// most MaxAppName characters and N of at most 9 digits. Other names
// cannot come from Juju and would end up in proxy configuration as
// service names.
func ValidUnitName(unit string) bool {
	app, num, _ := strings.Cut(unit, "/")
	return len(app) <= MaxAppName && len(num) <= maxUnitDigits && names.IsValidUnit(unit)
}

// ValidAppName reports whether name is an application name Juju can
// create: Juju's own syntax (names.IsValidApplication: a lower-case
// letter, then lower-case letters, digits and single hyphens, no hyphen
// last and no all-digit part after a hyphen) and at most MaxAppName
// characters. "web-1", "a-", "a--b" and longer names are not.
func ValidAppName(name string) bool {
	return len(name) <= MaxAppName && names.IsValidApplication(name)
}

// MaxEndpointName is the longest endpoint name the library serves. Juju
// sets no limit of its own, but the endpoint's available flag
// ("<endpoint>.available") must fit the 200 bytes of a flag name, which
// keeps it, and the keys of the endpoint's incremental view, within
// Juju's 256-byte limit on charm state keys.
const MaxEndpointName = 190

// endpointSyntax is Juju's syntax for relation (endpoint) names
// (names.RelationSnippet).
var endpointSyntax = regexp.MustCompile(`^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$`)

// ValidEndpoint reports whether name is an endpoint name the library
// serves: Juju's syntax for relation names and at most MaxEndpointName
// bytes.
func ValidEndpoint(name string) bool {
	return len(name) <= MaxEndpointName && endpointSyntax.MatchString(name)
}

// ErrInvalidKey reports a key that relation-set, leader-set or state-set
// could not take; httprelation exports it.
var ErrInvalidKey = errors.New("invalid relation data key")

// CheckKey accepts keys of printable ASCII without spaces or '=', not
// starting with '-': they must survive YAML, key=value arguments and
// positional arguments unchanged.
func CheckKey(k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if k[0] == '-' {
		return fmt.Errorf("%w: %q starts with '-'", ErrInvalidKey, k)
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' || k[i] == '=' {
			return fmt.Errorf("%w: %q", ErrInvalidKey, k)
		}
	}
	return nil
}
