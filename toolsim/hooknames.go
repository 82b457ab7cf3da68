package toolsim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/juju/charm/v12/hooks"
)

// validPrefix is the name of a storage or a container, which prefixes its
// hooks ("data-storage-attached", "web-pebble-ready").
var validPrefix = regexp.MustCompile(`^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$`)

// checkHookName reports whether Juju ever runs a hook called name, other
// than a relation hook: a unit hook (install, config-changed,
// leader-elected, ...), a secret hook, or a storage or workload hook
// after its storage's or container's name. A typo such as
// "update_status" would otherwise run as a hook no charm sees in Juju.
func checkHookName(name string) error {
	kind := hooks.Kind(name)
	if slices.Contains(hooks.UnitHooks(), kind) || slices.Contains(hooks.SecretHooks(), kind) {
		return nil
	}
	for _, k := range append(hooks.StorageHooks(), hooks.WorkloadHooks()...) {
		if prefix, ok := strings.CutSuffix(name, "-"+string(k)); ok && validPrefix.MatchString(prefix) {
			return nil
		}
	}
	hint := ""
	if fixed := strings.ToLower(strings.ReplaceAll(name, "_", "-")); fixed != name && checkHookName(fixed) == nil {
		hint = fmt.Sprintf(" (did you mean %q?)", fixed)
	}
	var names []string
	for _, k := range append(hooks.UnitHooks(), hooks.SecretHooks()...) {
		names = append(names, string(k))
	}
	return fmt.Errorf("%q is not a hook Juju runs%s: want one of %s, or <storage>-storage-attached, <container>-pebble-ready and the like",
		name, hint, strings.Join(names, ", "))
}
