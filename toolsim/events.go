package toolsim

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/juju/charm/v12/hooks"

	"github.com/charmkit/httprelation/internal/relationid"
)

// An Event is something that happens to the unit's world: a remote unit
// joins, changes its data or leaves, a relation comes or goes, the
// configuration changes. [Sim.Fire] (and httprelationtest's Harness.Fire)
// changes the model as Juju would and runs the hooks Juju runs for it, in
// Juju's order. Make one with [Join], [Change], [Depart], [AddRelation],
// [RemoveRelation], [ChangeConfig] or [RunHook].
type Event struct {
	kind     eventKind
	relation string
	unit     string
	app      string // AddRelation: the remote application
	endpoint string // AddRelation: its endpoint
	data     map[string]string
	config   map[string]any
	hook     string // RunHook
}

type eventKind int

const (
	evJoin eventKind = iota + 1
	evChange
	evDepart
	evAddRelation
	evRemoveRelation
	evConfig
	evHook
)

// Join is a remote unit entering relation relationID with the data bag it
// has then: relation-joined, then relation-changed, with the unit in the
// model from the first. Juju itself puts private-address, ingress-address
// and egress-subnets in a joining unit's bag: data should hold its
// private-address, and Join adds the other two from it, as Juju does for
// a unit with one address (ingress-address the same address,
// egress-subnets that address as a /32, or /128 for IPv6), unless data
// names them. As in Juju, whose bags never hold an empty value, keys set
// to "" are left out (and so not added either).
func Join(relationID, unit string, data map[string]string) Event {
	return Event{kind: evJoin, relation: relationID, unit: unit, data: maps.Clone(data)}
}

// Change is a remote unit of relation relationID changing its data, as
// relation-set does: keys set to "" are deleted, the others set. Then
// relation-changed runs.
func Change(relationID, unit string, data map[string]string) Event {
	return Event{kind: evChange, relation: relationID, unit: unit, data: maps.Clone(data)}
}

// Depart is a remote unit leaving relation relationID (it is removed, or
// scaled down): relation-departed runs with the unit as
// JUJU_REMOTE_UNIT and JUJU_DEPARTING_UNIT; relation-list no longer lists
// it but its bag stays readable. After the hook succeeded the unit is
// gone from the model, and so is the hook: the model is in no hook until
// the next event. (Juju keeps a departed unit's bag readable by
// relation-get for as long as the relation lives; the simulator does not,
// so a charm should not rely on it.)
func Depart(relationID, unit string) Event {
	return Event{kind: evDepart, relation: relationID, unit: unit}
}

// AddRelation is a relation being established with remoteApp's endpoint
// remoteEndpoint: relationID enters the model with no remote unit, and
// with the local bag Juju fills in (private-address, ingress-address and
// egress-subnets from the endpoint's binding, or the unit's private
// address); then relation-created runs. Units join with [Join].
func AddRelation(relationID, remoteApp, remoteEndpoint string) Event {
	return Event{kind: evAddRelation, relation: relationID, app: remoteApp, endpoint: remoteEndpoint}
}

// RemoveRelation is a relation being removed (juju remove-relation):
// relation-departed for each remote unit in turn (sorted by name, each
// gone once its hook succeeded; JUJU_DEPARTING_UNIT names the remote unit,
// though real Juju may name the local unit when this side leaves first),
// then relation-broken with no remote unit and no unit listed, after
// which the relation is gone from the model and the model is in no hook.
func RemoveRelation(relationID string) Event {
	return Event{kind: evRemoveRelation, relation: relationID}
}

// ChangeConfig is the operator setting options (juju config): each key is
// set to its value, nil resetting it to the charm's default (juju config
// --reset; config-get answers null for an option without one). Then
// config-changed runs.
//
// When the model's charm directory holds a charm (metadata.yaml or
// charmcraft.yaml), the options are checked against the ones it declares
// (config.yaml, or charmcraft.yaml's config section) as Juju checks
// them: an option it does not declare, or a value not of the option's
// type, does not fit the model. A value is stored as the option's type:
// "8081" or json.Number("8081") for an int option is 8081.
func ChangeConfig(config map[string]any) Event {
	return Event{kind: evConfig, config: maps.Clone(config)}
}

// RunHook runs a hook that comes with no change to the model, such as
// install, start, upgrade-charm or update-status; leader-elected makes the
// unit the leader first, as Juju runs it on the unit it elected. Relation
// hooks come from the relation events. A name Juju never runs (a typo
// such as "update_status") does not fit any model.
func RunHook(name string) Event {
	return Event{kind: evHook, hook: name}
}

// String describes the event, e.g. "join web/1 to website:3".
func (e Event) String() string {
	switch e.kind {
	case evJoin:
		return fmt.Sprintf("join %s to %s", e.unit, e.relation)
	case evChange:
		return fmt.Sprintf("change %s in %s", e.unit, e.relation)
	case evDepart:
		return fmt.Sprintf("depart %s from %s", e.unit, e.relation)
	case evAddRelation:
		return fmt.Sprintf("add relation %s with %s:%s", e.relation, e.app, e.endpoint)
	case evRemoveRelation:
		return fmt.Sprintf("remove relation %s", e.relation)
	case evConfig:
		return "change config " + strings.Join(slices.Sorted(maps.Keys(e.config)), ",")
	case evHook:
		return "run " + e.hook
	}
	return "no event"
}

// A Step is one hook of an event: the model changes Juju makes before the
// hook runs, the hook, and the changes it makes once the hook succeeded.
// Runners apply them in that order; when the hook fails they stop, as
// Juju does until the hook is resolved.
type Step struct {
	// Hook is the hook to run; the runner puts it in the model.
	Hook   Hook
	before func(*Model)
	after  func(*Model)
}

// Before applies what Juju changes before the step's hook runs and puts
// the hook in the model.
func (s Step) Before(m *Model) {
	if s.before != nil {
		s.before(m)
	}
	m.Hook = s.Hook
}

// After applies what Juju changes once the step's hook succeeded.
func (s Step) After(m *Model) {
	if s.after != nil {
		s.after(m)
	}
}

// Steps returns the hooks Juju runs for e on m, in order. It fails,
// wrapping ErrInvalidModel, when e does not fit m: a relation the model
// lacks (or already has, for AddRelation), a unit that is not of the
// relation's remote application, one that has already joined, or one
// that is not there to change or depart. m is not changed.
func (e Event) Steps(m *Model) ([]Step, error) {
	if e.kind == evHook || e.kind == evConfig || e.kind == evAddRelation {
		return e.unrelatedSteps(m)
	}
	key, ok := m.findRelation(e.relation)
	if !ok {
		return nil, fmt.Errorf("%s: %w: relation %q is not in the model (have %s): put it in the model's relations, or fire AddRelation first",
			e, ErrInvalidModel, e.relation, relationNames(m))
	}
	r := m.Relations[key]
	endpoint := relationid.Endpoint(key)
	hook := func(kind, unit string) Hook {
		h := Hook{Name: endpoint + "-relation-" + kind, RelationID: key, RemoteUnit: unit, RemoteApp: r.RemoteApp}
		if kind == kindDeparted {
			h.DepartingUnit = unit
		}
		return h
	}
	if e.kind == evRemoveRelation {
		var steps []Step
		for _, u := range slices.Sorted(maps.Keys(r.Units)) {
			steps = append(steps, Step{Hook: hook(kindDeparted, u), after: removeUnit(key, u)})
		}
		broken := Step{Hook: hook(kindBroken, ""), after: func(m *Model) {
			delete(m.Relations, key)
			m.Hook = Hook{} // it named the relation
		}}
		return append(steps, broken), nil
	}
	_, present := r.Units[e.unit]
	switch {
	case !validUnit.MatchString(e.unit) || appOf(e.unit) != r.RemoteApp:
		return nil, fmt.Errorf("%s: %w: %q is not a unit of %s's remote application %q: name one such as %q",
			e, ErrInvalidModel, e.unit, key, r.RemoteApp, r.RemoteApp+"/0")
	case e.kind == evJoin && present:
		return nil, fmt.Errorf("%s: %w: %s has already joined %s: fire Change to change its data", e, ErrInvalidModel, e.unit, key)
	case e.kind != evJoin && !present:
		return nil, fmt.Errorf("%s: %w: %s is not in %s (have %s): fire Join first", e, ErrInvalidModel, e.unit, key, unitNames(r))
	}
	switch e.kind {
	case evJoin:
		enter := func(m *Model) {
			r := m.Relations[key]
			if r.Units == nil {
				r.Units = map[string]map[string]string{}
			}
			r.Units[e.unit] = joinedBag(e.data)
			m.Relations[key] = r
		}
		return []Step{{Hook: hook(kindJoined, e.unit), before: enter}, {Hook: hook(kindChanged, e.unit)}}, nil
	case evChange:
		change := func(m *Model) {
			units := m.Relations[key].Units
			units[e.unit] = applySettings(units[e.unit], e.data)
		}
		return []Step{{Hook: hook(kindChanged, e.unit), before: change}}, nil
	}
	return []Step{{Hook: hook(kindDeparted, e.unit), after: removeUnit(key, e.unit)}}, nil
}

// unrelatedSteps are the steps of events that name no existing relation.
func (e Event) unrelatedSteps(m *Model) ([]Step, error) {
	switch e.kind {
	case evConfig:
		changes, err := configChanges(m.CharmDir, e.config)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
		set := func(m *Model) {
			if m.Config == nil {
				m.Config = map[string]any{}
			}
			for k, v := range changes {
				if v == nil {
					delete(m.Config, k) // back to the charm's default
				} else {
					m.Config[k] = v
				}
			}
		}
		return []Step{{Hook: Hook{Name: "config-changed"}, before: set}}, nil
	case evHook:
		if _, _, ok := relationHook(e.hook); ok {
			return nil, fmt.Errorf("%s: %w: run relation hooks through the relation events (Join, Change, Depart, AddRelation, RemoveRelation)", e, ErrInvalidModel)
		}
		if err := checkHookName(e.hook); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", e, ErrInvalidModel, err)
		}
		switch hooks.Kind(e.hook) {
		case hooks.LeaderElected:
			// Juju runs it on the unit it has just made leader.
			return []Step{{Hook: Hook{Name: e.hook}, before: func(m *Model) { m.Leader = true }}}, nil
		case hooks.LeaderSettingsChanged:
			if m.Leader {
				return nil, fmt.Errorf("%s: %w: Juju runs it only on units that are not the leader, and the model's unit is", e, ErrInvalidModel)
			}
		}
		return []Step{{Hook: Hook{Name: e.hook}}}, nil
	}
	if !validRelationID.MatchString(e.relation) || !validApp.MatchString(e.app) {
		return nil, fmt.Errorf("%s: %w: want a relation id endpoint:N and an application name", e, ErrInvalidModel)
	}
	if key, ok := m.findRelation(e.relation); ok {
		return nil, fmt.Errorf("%s: %w: the model already has relation %s", e, ErrInvalidModel, key)
	}
	key, endpoint := e.relation, relationid.Endpoint(e.relation)
	add := func(m *Model) {
		if m.Relations == nil {
			m.Relations = map[string]Relation{}
		}
		m.Relations[key] = Relation{RemoteApp: e.app, RemoteEndpoint: e.endpoint,
			Local: m.enteredScope(endpoint), Units: map[string]map[string]string{}}
	}
	return []Step{{Hook: Hook{Name: endpoint + "-relation-created", RelationID: key, RemoteApp: e.app}, before: add}}, nil
}

// removeUnit is the change after a unit's relation-departed hook: the
// unit is gone, and so is the hook that named it, so that the model stays
// one Juju could be in (see [Model.Validate]).
func removeUnit(key, unit string) func(*Model) {
	return func(m *Model) {
		delete(m.Relations[key].Units, unit)
		m.Hook = Hook{}
	}
}

// relationNames names the model's relations for an error message.
func relationNames(m *Model) string {
	if len(m.Relations) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m.Relations)), ", ")
}

// unitNames names a relation's remote units for an error message.
func unitNames(r Relation) string {
	if len(r.Units) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(r.Units)), ", ")
}

// enteredScope is the bag Juju gives the local unit when it enters a
// relation of endpoint.
func (m *Model) enteredScope(endpoint string) map[string]string {
	addr, egress := m.PrivateAddress, ""
	if n, ok := m.Networks[endpoint]; ok {
		if len(n.IngressAddresses) > 0 {
			addr = n.IngressAddresses[0]
		}
		egress = strings.Join(n.EgressSubnets, ",")
	}
	bag := map[string]string{}
	if addr != "" {
		bag["private-address"] = addr
		bag["ingress-address"] = addr
	}
	if egress != "" {
		bag["egress-subnets"] = egress
	}
	return bag
}

// joinedBag is the bag of a unit entering scope with data: data less its
// empty values, with the ingress-address and egress-subnets Juju derives
// from the unit's address added unless data names them.
func joinedBag(data map[string]string) map[string]string {
	bag := applySettings(nil, data)
	addr := data["private-address"]
	if addr == "" {
		return bag
	}
	if _, named := data["ingress-address"]; !named {
		bag["ingress-address"] = addr
	}
	if _, named := data["egress-subnets"]; !named {
		bag["egress-subnets"] = hostSubnet(addr)
	}
	return bag
}
