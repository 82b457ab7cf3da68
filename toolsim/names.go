package toolsim

import "regexp"

// Juju's naming rules (github.com/juju/names): an application is a
// lowercase letter, then lowercase letters and digits, with single
// hyphens between groups that each hold a letter; a unit is an
// application, a slash and a number without leading zeros.
var (
	validApp  = regexp.MustCompile(`^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$`)
	validUnit = regexp.MustCompile(`^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*/(?:0|[1-9][0-9]*)$`)
)
