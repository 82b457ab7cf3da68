package hooktools

import (
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/juju"
)

// Env is the hook environment Juju gives a charm's process.
type Env struct {
	// Unit is JUJU_UNIT_NAME, e.g. "lb/0"; empty outside Juju.
	Unit string
	// CharmDir is JUJU_CHARM_DIR, or CHARM_DIR for older agents.
	CharmDir string
	// HookName is JUJU_HOOK_NAME, or taken from JUJU_DISPATCH_PATH
	// ("hooks/<name>") when a dispatch script runs; empty under juju exec
	// and in actions.
	HookName string
	// RelationName is JUJU_RELATION, the endpoint of a relation hook.
	RelationName string
	// RelationID is JUJU_RELATION_ID, e.g. "backends:4".
	RelationID string
	// RemoteUnit is JUJU_REMOTE_UNIT; may be empty in relation hooks.
	RemoteUnit string
	// RemoteApp is JUJU_REMOTE_APP, or the application of RemoteUnit.
	RemoteApp string
	// DepartingUnit is JUJU_DEPARTING_UNIT in relation-departed hooks.
	DepartingUnit string
	// ModelName is JUJU_MODEL_NAME.
	ModelName string
	// ModelUUID is JUJU_MODEL_UUID.
	ModelUUID string
	// JujuVersion is JUJU_VERSION, e.g. "3.5.4".
	JujuVersion string
}

// EnvFrom reads the hook environment through lookup, which has the shape
// of os.LookupEnv so that tests can pass a map's lookup instead.
func EnvFrom(lookup func(key string) (string, bool)) Env {
	get := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := lookup(k); ok && v != "" {
				return v
			}
		}
		return ""
	}
	env := Env{
		Unit:          get("JUJU_UNIT_NAME"),
		CharmDir:      get("JUJU_CHARM_DIR", "CHARM_DIR"),
		HookName:      get("JUJU_HOOK_NAME"),
		RelationName:  get("JUJU_RELATION"),
		RelationID:    get("JUJU_RELATION_ID"),
		RemoteUnit:    get("JUJU_REMOTE_UNIT"),
		RemoteApp:     get("JUJU_REMOTE_APP"),
		DepartingUnit: get("JUJU_DEPARTING_UNIT"),
		ModelName:     get("JUJU_MODEL_NAME"),
		ModelUUID:     get("JUJU_MODEL_UUID"),
		JujuVersion:   get("JUJU_VERSION"),
	}
	if env.HookName == "" {
		// Only hooks/ paths name hooks; actions/<name> is an action.
		if name, ok := strings.CutPrefix(get("JUJU_DISPATCH_PATH"), "hooks/"); ok && !strings.Contains(name, "/") {
			env.HookName = name
		}
	}
	if env.RemoteApp == "" {
		env.RemoteApp = juju.AppName(env.RemoteUnit)
	}
	return env
}

// inHook reports whether the environment is a Juju unit's.
func (e Env) inHook() bool { return e.Unit != "" }

// hookContext converts e to the library's view of the running hook.
func (e Env) hookContext() httprelation.HookContext {
	return httprelation.HookContext{
		Unit:          e.Unit,
		HookName:      e.HookName,
		RelationID:    e.RelationID,
		RemoteUnit:    e.RemoteUnit,
		RemoteApp:     e.RemoteApp,
		DepartingUnit: e.DepartingUnit,
	}
}
