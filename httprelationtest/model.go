package httprelationtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/relationid"
	"github.com/charmkit/httprelation/toolsim"
)

// Snapshot returns a copy of the model as the charm left it: every bag,
// the state, the status and the juju-log lines. It can start a
// [toolsim.Sim], or be compared with one's.
func (h *Harness) Snapshot() *toolsim.Model {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.model.Clone()
}

// SetHook switches the hook being run, e.g. from relation-joined to
// relation-changed between two runs of the charm's code. A hook the model
// cannot be in (see [toolsim.Model.Validate]) is refused and the hook is
// left as it was. [Harness.Fire] switches hooks as Juju does.
func (h *Harness) SetHook(hook toolsim.Hook) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.model.Hook
	h.model.Hook = hook
	if err := h.model.Validate(); err != nil {
		h.model.Hook = old
		return fmt.Errorf("set hook: %w", err)
	}
	return nil
}

// SetUnitData puts a remote unit in scope of a relation with the given
// bag, or replaces its bag, without running any hook ([Harness.Fire] with
// [toolsim.Join] or [toolsim.Change] runs the hooks Juju runs).
func (h *Harness) SetUnitData(relationID, unit string, bag map[string]string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	key, r, err := h.relation(relationID)
	if err != nil {
		return fmt.Errorf("set unit data: %w", err)
	}
	if r.Units == nil {
		r.Units = map[string]map[string]string{}
	}
	r.Units[unit] = maps.Clone(bag)
	h.model.Relations[key] = r
	return nil
}

// RemoveUnit takes a remote unit out of a relation without running any
// hook ([Harness.Fire] with [toolsim.Depart] runs relation-departed
// first). The running hook must not name the unit.
func (h *Harness) RemoveUnit(relationID, unit string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	key, r, err := h.relation(relationID)
	if err != nil {
		return fmt.Errorf("remove unit: %w", err)
	}
	bag, ok := r.Units[unit]
	if !ok {
		return fmt.Errorf("remove unit: relation %s: unit %q: %w", key, unit, httprelation.ErrUnitNotFound)
	}
	delete(r.Units, unit)
	if err := h.model.Validate(); err != nil {
		r.Units[unit] = bag
		return fmt.Errorf("remove unit: %w", err)
	}
	return nil
}

// Local returns a copy of the local unit's bag in a relation (what the
// charm wrote), or nil when the model has no such relation.
func (h *Harness) Local(relationID string) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, r, err := h.relation(relationID)
	if err != nil {
		return nil
	}
	return maps.Clone(r.Local)
}

// State returns a copy of the charm state (flags, hashes).
func (h *Harness) State() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.model.State)
}

// Log returns the juju-log lines, "LEVEL message", as the simulator
// records them: in a relation hook Juju prefixes the message with the
// relation id ("WARNING backends:1: ...").
func (h *Harness) Log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.model.Log...)
}

// Warnings returns the messages of the WARNING juju-log lines of the last
// event, that is of the hooks of the last Fire or of the last Run: the
// library's notes about remote data it skipped, among others. Every hook's
// lines are in [Harness.Log].
func (h *Harness) Warnings() []string {
	h.mu.Lock()
	log := slices.Clone(h.model.Log[min(h.eventLog, len(h.model.Log)):])
	h.mu.Unlock()
	return Warnings(&toolsim.Model{Log: log})
}

// Status returns the workload status the charm set with status-set, or
// nil.
func (h *Harness) Status() *toolsim.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.model.Status == nil {
		return nil
	}
	st := *h.model.Status
	return &st
}

// Flags returns the flags the charm state holds, as a Registry loaded
// from it lists them.
func (h *Harness) Flags() ([]string, error) {
	return Flags(&toolsim.Model{State: h.State()})
}

// Flags returns the flags that the charm state of model holds, sorted, as
// a Registry loaded from it lists them: for a toolsim.Sim's model after a
// charm ran, or a Harness's.
func Flags(model *toolsim.Model) ([]string, error) {
	ctx := context.Background()
	var store httprelation.MemoryStore
	if err := store.Save(ctx, model.State); err != nil {
		return nil, err
	}
	reg, err := httprelation.NewRegistry(ctx, &store)
	if err != nil {
		return nil, err
	}
	return reg.List(), nil
}

// Warnings returns the messages of model's WARNING juju-log lines.
func Warnings(model *toolsim.Model) []string {
	var out []string
	for _, line := range model.Log {
		if msg, ok := strings.CutPrefix(line, "WARNING "); ok {
			out = append(out, msg)
		}
	}
	return out
}

// relation finds a relation by id; only the number counts, as in Juju.
func (h *Harness) relation(id string) (string, toolsim.Relation, error) {
	if key, ok := relationid.Find(h.model.Relations, id); ok {
		return key, h.model.Relations[key], nil
	}
	return "", toolsim.Relation{}, fmt.Errorf("relation %q: %w", id, httprelation.ErrRelationNotFound)
}
