package toolsim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"strings"
)

// Hook is the hook a model is in: the "hook" section of the model file.
// The tools answer relation-list, relation-get and relation-set for this
// hook, and [Sim] gives the charm its environment (see [Model.HookEnv]).
// The zero Hook is no hook at all, as under juju exec.
type Hook struct {
	// Name is the hook, e.g. "install" or "website-relation-changed".
	Name string `json:"name,omitempty"`
	// RelationID is the relation of a relation hook, e.g. "website:3";
	// only its number counts, as with the tools' -r.
	RelationID string `json:"relation_id,omitempty"`
	// RemoteUnit is the remote unit of a relation-joined, -changed or
	// -departed hook; relation-created and -broken hooks have none, and a
	// relation-changed hook for the remote application's data has none.
	RemoteUnit string `json:"remote_unit,omitempty"`
	// RemoteApp is the remote application; empty means the relation's.
	RemoteApp string `json:"remote_app,omitempty"`
	// DepartingUnit is the unit leaving in a relation-departed hook: the
	// remote unit, or the local unit when it is the one leaving.
	DepartingUnit string `json:"departing_unit,omitempty"`
}

// Kinds of relation hooks, the suffix after "<endpoint>-relation-".
const (
	kindCreated  = "created"
	kindJoined   = "joined"
	kindChanged  = "changed"
	kindDeparted = "departed"
	kindBroken   = "broken"
)

// relationHook splits the name of a relation hook:
// "website-relation-joined" is ("website", "joined", true).
func relationHook(name string) (endpoint, kind string, ok bool) {
	i := strings.LastIndex(name, "-relation-")
	if i <= 0 {
		return "", "", false
	}
	kind = name[i+len("-relation-"):]
	switch kind {
	case kindCreated, kindJoined, kindChanged, kindDeparted, kindBroken:
		return name[:i], kind, true
	}
	return "", "", false
}

// is reports whether h is the hook of relation key (a model key) and of
// the given kind.
func (h Hook) is(m *Model, key, kind string) bool {
	_, k, ok := relationHook(h.Name)
	if !ok || k != kind {
		return false
	}
	hookKey, found := m.findRelation(h.RelationID)
	return found && hookKey == key
}

// The model a simulated unit lives in, as Juju tells every hook in
// JUJU_MODEL_NAME, JUJU_MODEL_UUID and JUJU_VERSION. The version is the
// one whose hook tools the module's testdata/transcripts recorded. A
// Sim's hook variables (Start, SetHookEnv) may set other values.
const (
	modelName   = "toolsim"
	modelUUID   = "6f1a9c2e-3b7d-4e8a-9c5f-0d2b4a6e8f10"
	jujuVersion = "3.5.4"
)

// modelVars are the variables every hook gets alike.
var modelVars = map[string]string{
	"JUJU_MODEL_NAME": modelName,
	"JUJU_MODEL_UUID": modelUUID,
	"JUJU_VERSION":    jujuVersion,
}

// Hook variables: those that describe which hook runs. When the
// environment sets none of them, the tools answer for the model's hook.
var hookVars = []string{
	"JUJU_HOOK_NAME", "JUJU_DISPATCH_PATH", "JUJU_RELATION", "JUJU_RELATION_ID",
	"JUJU_REMOTE_UNIT", "JUJU_REMOTE_APP", "JUJU_DEPARTING_UNIT",
}

// hookFromEnv reads the hook from the environment, and reports false when
// the environment does not describe one.
func hookFromEnv(getenv func(string) string) (Hook, bool) {
	set := false
	for _, k := range hookVars {
		if getenv(k) != "" {
			set = true
		}
	}
	if !set {
		return Hook{}, false
	}
	h := Hook{
		Name:          getenv("JUJU_HOOK_NAME"),
		RelationID:    getenv("JUJU_RELATION_ID"),
		RemoteUnit:    getenv("JUJU_REMOTE_UNIT"),
		RemoteApp:     getenv("JUJU_REMOTE_APP"),
		DepartingUnit: getenv("JUJU_DEPARTING_UNIT"),
	}
	if h.Name == "" {
		if name, ok := strings.CutPrefix(getenv("JUJU_DISPATCH_PATH"), "hooks/"); ok {
			h.Name = name
		}
	}
	return h, true
}

// HookEnv is the environment Juju gives the charm in m's hook, the
// variables of Juju's HookContext.HookVars:
//
//   - always: JUJU_UNIT_NAME; the simulated model's JUJU_MODEL_NAME
//     ("toolsim"), JUJU_MODEL_UUID (a fixed UUID) and JUJU_VERSION
//     ("3.5.4", the version the module's transcripts recorded);
//     JUJU_CONTEXT_ID ("<unit>-<hook>-<number>", "run-commands" for the
//     hook outside one), new on every call, as Juju makes one per hook
//     run; JUJU_AGENT_SOCKET_ADDRESS and JUJU_AGENT_SOCKET_NETWORK (the
//     unit agent's socket, "/var/lib/juju/agents/unit-<app>-<n>/agent.socket"
//     and "unix": the simulated tools do not use it); JUJU_MACHINE_ID
//     (the model's machine_id, else "0"), JUJU_AVAILABILITY_ZONE and
//     JUJU_PRINCIPAL_UNIT (the model's, else empty); and, empty as
//     without a controller, proxies or SLA, JUJU_API_ADDRESSES,
//     CLOUD_API_VERSION and JUJU_CHARM_HTTP_PROXY, _HTTPS_PROXY,
//     _FTP_PROXY, _NO_PROXY, with JUJU_SLA "unsupported";
//   - JUJU_CHARM_DIR and CHARM_DIR when the model names a charm directory;
//   - in a hook, JUJU_HOOK_NAME and JUJU_DISPATCH_PATH ("hooks/<name>");
//   - in a relation hook, JUJU_RELATION, JUJU_RELATION_ID (the model's key
//     for the relation), JUJU_REMOTE_UNIT (empty in relation-created and
//     -broken), JUJU_REMOTE_APP (the relation's remote application unless
//     the hook names one) and, in relation-departed, JUJU_DEPARTING_UNIT.
//     Juju sets JUJU_REMOTE_UNIT in every relation hook, empty or not,
//     and JUJU_DEPARTING_UNIT only when it names a unit.
//
// Juju's variables for actions, storage, secrets, workloads and meter
// status are left out: the simulator runs none of those hooks.
func (m *Model) HookEnv() map[string]string {
	env := map[string]string{"JUJU_UNIT_NAME": m.Unit}
	maps.Copy(env, modelVars)
	maps.Copy(env, m.agentVars())
	if m.CharmDir != "" {
		env["JUJU_CHARM_DIR"] = m.CharmDir
		env["CHARM_DIR"] = m.CharmDir
	}
	h := m.Hook
	if h.Name == "" {
		return env
	}
	env["JUJU_CONTEXT_ID"] = contextID(m.Unit, h.Name)
	env["JUJU_HOOK_NAME"] = h.Name
	env["JUJU_DISPATCH_PATH"] = path.Join("hooks", h.Name)
	endpoint, kind, ok := relationHook(h.Name)
	if !ok {
		return env
	}
	key, found := m.findRelation(h.RelationID)
	if !found {
		key = h.RelationID
	}
	app := h.RemoteApp
	if app == "" {
		app = m.Relations[key].RemoteApp
	}
	env["JUJU_RELATION"] = endpoint
	env["JUJU_RELATION_ID"] = key
	env["JUJU_REMOTE_UNIT"] = h.RemoteUnit
	env["JUJU_REMOTE_APP"] = app
	if kind == kindDeparted && h.DepartingUnit != "" {
		env["JUJU_DEPARTING_UNIT"] = h.DepartingUnit // as Juju: only when there is one
	}
	return env
}

// agentVars are the variables of HookVars that say where the unit runs
// and how its agent is reached, the same in every hook.
func (m *Model) agentVars() map[string]string {
	machine := m.MachineID
	if machine == "" {
		machine = "0"
	}
	return map[string]string{
		"JUJU_CONTEXT_ID":           contextID(m.Unit, "run-commands"),
		"JUJU_AGENT_SOCKET_ADDRESS": "/var/lib/juju/agents/unit-" + strings.ReplaceAll(m.Unit, "/", "-") + "/agent.socket",
		"JUJU_AGENT_SOCKET_NETWORK": "unix",
		"JUJU_MACHINE_ID":           machine,
		"JUJU_AVAILABILITY_ZONE":    m.AvailabilityZone,
		"JUJU_PRINCIPAL_UNIT":       m.PrincipalUnit,
		"JUJU_API_ADDRESSES":        "",
		"JUJU_SLA":                  "unsupported",
		"CLOUD_API_VERSION":         "",
		"JUJU_CHARM_HTTP_PROXY":     "",
		"JUJU_CHARM_HTTPS_PROXY":    "",
		"JUJU_CHARM_FTP_PROXY":      "",
		"JUJU_CHARM_NO_PROXY":       "",
	}
}

// contextID is a hook run's JUJU_CONTEXT_ID as Juju's context factory
// makes it: unit, hook and a random non-negative number.
func contextID(unit, hook string) string {
	return fmt.Sprintf("%s-%s-%d", unit, hook, rand.Int64())
}
