// Package httprelationtest provides fake relation data for testing charms
// that use httprelation, in the manner of net/http/httptest: [Model] is a
// real, in-memory implementation of httprelation.Accessor and
// httprelation.Store that follows Juju's rules, not a mock.
//
// Declare the world as a [Scenario] (in Go or as a JSON file under
// testdata/), run the charm's hook code against the Model, then inspect
// what it wrote with [Model.Local], the flags it stored with [Model.State],
// and how it got there with [Model.Calls].
//
//	m := httprelationtest.New(httprelationtest.Scenario{
//		Unit: "haproxy/0",
//		Hook: httprelationtest.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "web/0"},
//		Relations: []httprelationtest.Relation{{
//			ID: "reverseproxy:1", RemoteApp: "web",
//			Units: map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "8080"}},
//		}},
//	})
//	services, err := httprelation.NewRequires(m, "reverseproxy").Services(ctx)
//
// As in Juju 3, a unit departing in a relation-departed hook is not listed
// but its data stays readable, and the relation of a relation-broken hook
// lists no units.
package httprelationtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/charmkit/httprelation"
)

// Call records one accessor or store call made on a Model.
type Call struct {
	// Method is the method called, e.g. "UnitData".
	Method string
	// Arg is its main argument: an endpoint, a relation id, or
	// "relation-id unit" for UnitData.
	Arg string
}

// Model is an in-memory Juju unit. It is safe for concurrent use.
type Model struct {
	mu        sync.Mutex
	unit      string
	privAddr  string
	hook      Hook
	relations []*Relation
	byNumber  map[string]*Relation // relations by number; Juju's ids count only by number
	state     map[string]string
	calls     []Call
	changes   uint64 // counts edits of the hook and the relations; see ChangeCount
}

var (
	_ httprelation.Accessor      = (*Model)(nil)
	_ httprelation.Store         = (*Model)(nil)
	_ httprelation.ChangeCounter = (*Model)(nil)
)

// New returns a Model serving s. The scenario's maps are copied, so the
// caller may reuse s.
func New(s Scenario) *Model {
	m := &Model{unit: s.Unit, privAddr: s.PrivateAddress, hook: s.Hook, state: maps.Clone(s.State),
		byNumber: make(map[string]*Relation, len(s.Relations))}
	if m.state == nil {
		m.state = map[string]string{}
	}
	for _, r := range s.Relations {
		c := r
		c.Local = maps.Clone(r.Local)
		c.Units = make(map[string]map[string]string, len(r.Units))
		for u, bag := range r.Units {
			c.Units[u] = maps.Clone(bag)
		}
		m.relations = append(m.relations, &c)
		if num := httprelation.RelationNumber(c.ID); num != "" && m.byNumber[num] == nil {
			m.byNumber[num] = &c // the first relation with a number wins, as a scan would find it
		}
	}
	return m
}

// SetHook switches the hook being run, e.g. from relation-joined to
// relation-changed between two runs of the charm's code.
func (m *Model) SetHook(h Hook) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	m.hook = h
}

// SetUnitData puts a remote unit in scope of a relation with the given
// bag, or replaces its bag.
func (m *Model) SetUnitData(relationID, unit string, bag map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.relation(relationID)
	if err != nil {
		return err
	}
	m.changes++
	r.Units[unit] = maps.Clone(bag)
	return nil
}

// RemoveUnit takes a remote unit out of a relation, as Juju does once its
// relation-departed hook has run.
func (m *Model) RemoveUnit(relationID, unit string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.relation(relationID)
	if err != nil {
		return err
	}
	m.changes++
	delete(r.Units, unit)
	return nil
}

// ChangeCount implements httprelation.ChangeCounter: it changes with
// every SetHook, SetUnitData and RemoveUnit, so that a Requires or
// Provides reused across them reads the model again instead of answering
// from its read of the hook.
func (m *Model) ChangeCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes
}

// Local returns a copy of the local unit's bag in a relation: what the
// charm wrote.
func (m *Model) Local(relationID string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.relation(relationID)
	if err != nil {
		return nil
	}
	return maps.Clone(r.Local)
}

// State returns a copy of the stored state (flags, hashes).
func (m *Model) State() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.state)
}

// Calls returns the calls made so far, in order.
func (m *Model) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// CallCount counts the calls made to method.
func (m *Model) CallCount(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls recorded so far.
func (m *Model) ResetCalls() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = nil
}

func (m *Model) record(method, arg string) {
	m.calls = append(m.calls, Call{Method: method, Arg: arg})
}

// relation finds a relation by id; only the number counts, as in Juju.
func (m *Model) relation(id string) (*Relation, error) {
	if r := m.byNumber[httprelation.RelationNumber(id)]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("relation %q: %w", id, httprelation.ErrRelationNotFound)
}

func (m *Model) hookContext() httprelation.HookContext {
	h := httprelation.HookContext{
		Unit:          m.unit,
		HookName:      m.hook.Name,
		RelationID:    m.hook.RelationID,
		RemoteUnit:    m.hook.RemoteUnit,
		RemoteApp:     m.hook.RemoteApp,
		DepartingUnit: m.hook.DepartingUnit,
	}
	if h.RelationID == "" {
		return h
	}
	if r, err := m.relation(h.RelationID); err == nil {
		h.RelationID = r.ID
		if h.RemoteApp == "" {
			h.RemoteApp = r.RemoteApp
		}
	}
	return h
}

// HookContext implements httprelation.Accessor.
func (m *Model) HookContext(ctx context.Context) (httprelation.HookContext, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("HookContext", "")
	return m.hookContext(), ctx.Err()
}

// RelationIDs implements httprelation.Accessor. Like relation-ids, it
// sorts the ids as strings and still lists the relation of a running
// relation-broken hook.
func (m *Model) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("RelationIDs", endpoint)
	ids := []string{}
	for _, r := range m.relations {
		if strings.TrimSuffix(r.ID, ":"+httprelation.RelationNumber(r.ID)) == endpoint {
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	return ids, ctx.Err()
}

// RelationUnits implements httprelation.Accessor, with Juju 3's departed
// and broken semantics.
func (m *Model) RelationUnits(ctx context.Context, relationID string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("RelationUnits", relationID)
	r, err := m.relation(relationID)
	if err != nil {
		return nil, err
	}
	h := m.hookContext()
	units := []string{}
	if h.IsBroken(r.ID) {
		return units, ctx.Err()
	}
	for u := range r.Units {
		if !h.IsDeparting(r.ID, u) {
			units = append(units, u)
		}
	}
	slices.Sort(units)
	return units, ctx.Err()
}

// RemoteApp implements httprelation.Accessor.
func (m *Model) RemoteApp(ctx context.Context, relationID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("RemoteApp", relationID)
	r, err := m.relation(relationID)
	if err != nil {
		return "", err
	}
	return r.RemoteApp, ctx.Err()
}

// UnitData implements httprelation.Accessor. The local unit's bag, and the
// bag of a remote unit in scope (or departing), are readable; a unit of
// another application is not.
func (m *Model) UnitData(ctx context.Context, relationID, unit string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("UnitData", relationID+" "+unit)
	r, err := m.relation(relationID)
	if err != nil {
		return nil, err
	}
	if unit == m.unit {
		return nonNil(r.Local), ctx.Err()
	}
	bag, ok := r.Units[unit]
	if !ok {
		return nil, fmt.Errorf("relation %s: unit %q: %w", r.ID, unit, httprelation.ErrUnitNotFound)
	}
	return nonNil(bag), ctx.Err()
}

// SetLocalData implements httprelation.Accessor. The bag is replaced, not
// modified, so maps handed out earlier stay as they were.
func (m *Model) SetLocalData(ctx context.Context, relationID string, data map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("SetLocalData", relationID)
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := m.relation(relationID)
	if err != nil {
		return err
	}
	bag := maps.Clone(r.Local)
	if bag == nil {
		bag = map[string]string{}
	}
	for k, v := range data {
		if k == "" {
			return fmt.Errorf("relation %s: %w: empty key", r.ID, httprelation.ErrInvalidKey)
		}
		if v == "" {
			delete(bag, k)
		} else {
			bag[k] = v
		}
	}
	r.Local = bag
	return nil
}

// IngressAddress implements httprelation.Accessor with the real
// accessor's fallbacks: the relation's ingress address, else the local
// bag's ingress-address or private-address, else the unit's private
// address.
func (m *Model) IngressAddress(ctx context.Context, relationID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("IngressAddress", relationID)
	r, err := m.relation(relationID)
	if err != nil {
		return "", err
	}
	for _, a := range []string{r.IngressAddress, r.Local[httprelation.KeyIngressAddress], r.Local[httprelation.KeyPrivateAddress], m.privAddr} {
		if a != "" {
			return a, ctx.Err()
		}
	}
	return "", fmt.Errorf("relation %s: no ingress address in the scenario", r.ID)
}

// Load implements httprelation.Store.
func (m *Model) Load(ctx context.Context) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("StateLoad", "")
	return maps.Clone(m.state), ctx.Err()
}

// Save implements httprelation.Store.
func (m *Model) Save(ctx context.Context, changes map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record("StateSave", "")
	if err := ctx.Err(); err != nil {
		return err
	}
	for k, v := range changes {
		if v == "" {
			delete(m.state, k)
		} else {
			m.state[k] = v
		}
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
