package toolsim

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/charmkit/httprelation/internal/relationid"
)

// ErrInvalidModel reports a model that does not describe a world Juju
// could be in: no local unit, a malformed or repeated relation id, or a
// hook that names a relation or unit the model does not have.
var ErrInvalidModel = errors.New("invalid model")

// validRelationID is Juju's "endpoint:N": an endpoint name, a colon and a
// number without leading zeros.
var validRelationID = regexp.MustCompile(`^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*:(?:0|[1-9][0-9]*)$`)

// Validate checks that m describes a world Juju could be in, so that a
// mistake in a test's setup is an error that says what is wrong rather
// than a hook that silently sees nothing. It checks that the local unit
// is named (app/N), that relation ids are "endpoint:N" with distinct
// numbers and a remote application, and that the hook is consistent
// with the model:
//
//   - a relation hook names a relation of the model, on the endpoint of
//     the hook's name, and the relation's remote application if any;
//   - relation-joined names a remote unit, relation-departed names one
//     too, and either names a unit the relation has (a departing unit
//     stays in the model during its relation-departed hook);
//   - relation-changed names a unit of the relation or none (the remote
//     application's data changed);
//   - relation-created and relation-broken name no remote unit;
//   - the departing unit is the hook's remote unit or the local unit
//     (when the local unit is the one leaving), and only
//     relation-departed names one;
//   - other hooks are hooks Juju runs (install, update-status,
//     <storage>-storage-attached, ...), and they, like no hook, name no
//     relation or unit.
//
// The remote application's name (beyond being set), its units' names and
// their data are not checked: they come from the other side, and tests
// need them hostile. The error wraps
// ErrInvalidModel and lists every problem.
func (m *Model) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch {
	case m.Unit == "":
		add(`no local unit: the model's "unit" must name one, e.g. "web/0"`)
	case !validUnit.MatchString(m.Unit):
		add("local unit %q is not a unit name (app/N)", m.Unit)
	}
	numbers := map[int]string{}
	for _, key := range slices.Sorted(maps.Keys(m.Relations)) {
		if !validRelationID.MatchString(key) {
			add("relation id %q is not of the form endpoint:N", key)
			continue
		}
		n, _ := relationid.Number(key)
		if other, dup := numbers[n]; dup {
			add("relations %s and %s have the same number: Juju's ids count only by number", other, key)
		}
		numbers[n] = key
		if m.Relations[key].RemoteApp == "" {
			add("relation %s: no remote_app: every relation has a remote application", key)
		}
	}
	errs = append(errs, m.checkHook()...)
	errs = append(errs, m.checkOpenedPorts()...)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidModel, errors.Join(errs...))
	}
	return nil
}

// checkHook checks m.Hook against the model; see Validate.
func (m *Model) checkHook() []error {
	h := m.Hook
	var errs []error
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("hook %q: "+format, append([]any{h.Name}, a...)...))
	}
	endpoint, kind, isRelation := relationHook(h.Name)
	if !isRelation {
		if h.Name != "" {
			if err := checkHookName(h.Name); err != nil {
				errs = append(errs, err)
			}
		}
		if h.RelationID != "" || h.RemoteUnit != "" || h.RemoteApp != "" || h.DepartingUnit != "" {
			add("only relation hooks name a relation_id, remote_unit, remote_app or departing_unit")
		}
		return errs
	}
	if h.RelationID == "" {
		return append(errs, fmt.Errorf("hook %q: a relation hook needs a relation_id", h.Name))
	}
	key, found := m.findRelation(h.RelationID)
	if !found {
		add("relation %q is not in the model", h.RelationID)
		return errs
	}
	r := m.Relations[key]
	if relationid.Endpoint(key) != endpoint {
		add("relation %s is not on endpoint %q", key, endpoint)
	}
	if h.RemoteApp != "" && h.RemoteApp != r.RemoteApp {
		add("remote_app %q is not relation %s's remote application %q", h.RemoteApp, key, r.RemoteApp)
	}
	switch kind {
	case kindCreated, kindBroken:
		if h.RemoteUnit != "" {
			add("names remote unit %q, but relation-%s hooks have none", h.RemoteUnit, kind)
		}
	case kindJoined, kindDeparted:
		if h.RemoteUnit == "" {
			add("relation-%s needs a remote_unit", kind)
		}
	}
	if _, ok := r.Units[h.RemoteUnit]; h.RemoteUnit != "" && !ok {
		add("remote unit %q is not in relation %s", h.RemoteUnit, key)
	}
	if d := h.DepartingUnit; d != "" {
		switch {
		case kind != kindDeparted:
			add("only relation-departed names a departing_unit")
		case d != h.RemoteUnit && d != m.Unit:
			add("departing unit %q is neither the remote unit %q nor the local unit %q", d, h.RemoteUnit, m.Unit)
		}
	}
	return errs
}
