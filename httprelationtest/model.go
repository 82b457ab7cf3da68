package httprelationtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/relationid"
	"github.com/charmkit/httprelation/toolsim"
)

// Names of the calls a Model records, in [Call.Method]. Accessor and
// Store methods are recorded under these names, hook tools run through
// [Model.Tools] (or logged through [Model.Logger]) under the tool's name,
// such as "config-get" or "juju-log".
const (
	CallHookContext    = "HookContext"
	CallRelationIDs    = "RelationIDs"
	CallRelationUnits  = "RelationUnits"
	CallRemoteApp      = "RemoteApp"
	CallUnitData       = "UnitData"
	CallSetLocalData   = "SetLocalData"
	CallIngressAddress = "IngressAddress"
	CallStateLoad      = "StateLoad"
	CallStateSave      = "StateSave"
)

// Call records one call made on a Model.
type Call struct {
	// Method is one of the Call* names, or a hook tool's name.
	Method string
	// Arg is the main argument: the endpoint of RelationIDs, the relation
	// id of the relation methods, "relation-id unit" for UnitData, the
	// arguments of a tool joined by spaces; empty for the others.
	Arg string
}

// Model is an in-memory Juju unit serving a [toolsim.Model]: the world of
// the model file format, in memory. It is safe for concurrent use.
type Model struct {
	mu    sync.Mutex
	model *toolsim.Model
	calls []Call
	// changes counts what may have changed the model; see ChangeCount.
	changes uint64
}

var (
	_ httprelation.Accessor      = (*Model)(nil)
	_ httprelation.Store         = (*Model)(nil)
	_ httprelation.ChangeCounter = (*Model)(nil)
)

// NewModel returns a Model serving a copy of m, which must pass
// [toolsim.Model.Validate]: a hook that names a relation or unit the
// model lacks is an error here, not an empty answer later.
func NewModel(m *toolsim.Model) (*Model, error) {
	if m == nil {
		return nil, fmt.Errorf("new model: %w: nil model", toolsim.ErrInvalidModel)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("new model: %w", err)
	}
	c := m.Clone()
	if c.Relations == nil {
		c.Relations = map[string]toolsim.Relation{}
	}
	if c.State == nil {
		c.State = map[string]string{}
	}
	return &Model{model: c}, nil
}

// New is NewModel for tests: it fails t at once when m is not valid.
func New(t testing.TB, m *toolsim.Model) *Model {
	t.Helper()
	model, err := NewModel(m)
	if err != nil {
		t.Fatalf("httprelationtest: %v", err)
	}
	return model
}

// Load reads a model file (see [toolsim.ReadModel], the one loader of the
// format) and returns a Model serving it.
func Load(path string) (*Model, error) {
	m, err := toolsim.ReadModel(path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return NewModel(m)
}

// Snapshot returns a copy of the model as the charm left it: every bag,
// the state, the status and the juju-log lines. It can start a
// [toolsim.Sim], or be compared with one's.
func (m *Model) Snapshot() *toolsim.Model {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.model.Clone()
}

// SetHook switches the hook being run, e.g. from relation-joined to
// relation-changed between two runs of the charm's code. A hook the model
// cannot be in (see [toolsim.Model.Validate]) is refused and the hook is
// left as it was. [Model.Fire] switches hooks as Juju does.
func (m *Model) SetHook(h toolsim.Hook) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	old := m.model.Hook
	m.model.Hook = h
	if err := m.model.Validate(); err != nil {
		m.model.Hook = old
		return fmt.Errorf("set hook: %w", err)
	}
	return nil
}

// SetUnitData puts a remote unit in scope of a relation with the given
// bag, or replaces its bag, without running any hook ([Model.Fire] with
// [toolsim.Join] or [toolsim.Change] runs the hooks Juju runs).
func (m *Model) SetUnitData(relationID, unit string, bag map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	key, r, err := m.relation(relationID)
	if err != nil {
		return err
	}
	if r.Units == nil {
		r.Units = map[string]map[string]string{}
	}
	r.Units[unit] = maps.Clone(bag)
	m.model.Relations[key] = r
	return nil
}

// RemoveUnit takes a remote unit out of a relation without running any
// hook ([Model.Fire] with [toolsim.Depart] runs relation-departed first).
// The running hook must not name the unit.
func (m *Model) RemoveUnit(relationID, unit string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes++
	key, r, err := m.relation(relationID)
	if err != nil {
		return err
	}
	bag, ok := r.Units[unit]
	if !ok {
		return fmt.Errorf("remove unit: relation %s: unit %q: %w", key, unit, httprelation.ErrUnitNotFound)
	}
	delete(r.Units, unit)
	if err := m.model.Validate(); err != nil {
		r.Units[unit] = bag
		return fmt.Errorf("remove unit: %w", err)
	}
	return nil
}

// ChangeCount implements httprelation.ChangeCounter: it moves with every
// change of the hook or of the remote units and their bags (SetHook,
// SetUnitData, RemoveUnit, and each step of Fire), so that a Requires or
// Provides reused across them reads the model again instead of answering
// from its read of the hook. The charm's own writes (its local bags, its
// state, juju-log) do not move it: they change nothing a read answers.
func (m *Model) ChangeCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes
}

// Local returns a copy of the local unit's bag in a relation (what the
// charm wrote), or nil when the model has no such relation.
func (m *Model) Local(relationID string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, r, err := m.relation(relationID)
	if err != nil {
		return nil
	}
	return maps.Clone(r.Local)
}

// State returns a copy of the charm state (flags, hashes).
func (m *Model) State() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.model.State)
}

// Calls returns the calls made so far, in order.
func (m *Model) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// CallCount counts the calls made to method, one of the Call* names or a
// tool's name.
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
func (m *Model) relation(id string) (string, toolsim.Relation, error) {
	if key, ok := relationid.Find(m.model.Relations, id); ok {
		return key, m.model.Relations[key], nil
	}
	return "", toolsim.Relation{}, fmt.Errorf("relation %q: %w", id, httprelation.ErrRelationNotFound)
}

// hookContext is the model's hook as the library sees it.
func (m *Model) hookContext() httprelation.HookContext {
	h := m.model.Hook
	hc := httprelation.HookContext{
		Unit:          m.model.Unit,
		HookName:      h.Name,
		RelationID:    h.RelationID,
		RemoteUnit:    h.RemoteUnit,
		RemoteApp:     h.RemoteApp,
		DepartingUnit: h.DepartingUnit,
	}
	if key, r, err := m.relation(h.RelationID); h.RelationID != "" && err == nil {
		hc.RelationID = key
		if hc.RemoteApp == "" {
			hc.RemoteApp = r.RemoteApp
		}
	}
	return hc
}

// HookContext implements httprelation.Accessor.
func (m *Model) HookContext(ctx context.Context) (httprelation.HookContext, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallHookContext, "")
	return m.hookContext(), ctx.Err()
}

// RelationIDs implements httprelation.Accessor. Like relation-ids, it
// sorts the ids as strings and still lists the relation of a running
// relation-broken hook.
func (m *Model) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallRelationIDs, endpoint)
	return relationid.OnEndpoint(m.model.Relations, endpoint), ctx.Err()
}

// RelationUnits implements httprelation.Accessor with relation-list's
// answer in Juju 3: the unit leaving in a relation-departed hook is not
// listed, and the relation of a relation-broken hook lists no units.
func (m *Model) RelationUnits(ctx context.Context, relationID string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallRelationUnits, relationID)
	if _, _, err := m.relation(relationID); err != nil {
		return nil, err
	}
	return m.model.ListedUnits(relationID), ctx.Err()
}

// RemoteApp implements httprelation.Accessor.
func (m *Model) RemoteApp(ctx context.Context, relationID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallRemoteApp, relationID)
	_, r, err := m.relation(relationID)
	if err != nil {
		return "", err
	}
	return r.RemoteApp, ctx.Err()
}

// UnitData implements httprelation.Accessor. The local unit's bag, and the
// bag of a remote unit in scope (or departing), are readable; any other
// unit is not found.
func (m *Model) UnitData(ctx context.Context, relationID, unit string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallUnitData, relationID+" "+unit)
	key, r, err := m.relation(relationID)
	if err != nil {
		return nil, err
	}
	if unit == m.model.Unit {
		return nonNil(r.Local), ctx.Err()
	}
	bag, ok := r.Units[unit]
	if !ok {
		return nil, fmt.Errorf("relation %s: unit %q: %w", key, unit, httprelation.ErrUnitNotFound)
	}
	return nonNil(bag), ctx.Err()
}

// SetLocalData implements httprelation.Accessor with relation-set's rules:
// "" deletes a key. The bag is replaced, not modified, so maps handed out
// earlier stay as they were.
func (m *Model) SetLocalData(ctx context.Context, relationID string, data map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallSetLocalData, relationID)
	if err := ctx.Err(); err != nil {
		return err
	}
	key, r, err := m.relation(relationID)
	if err != nil {
		return err
	}
	bag := maps.Clone(r.Local)
	if bag == nil {
		bag = map[string]string{}
	}
	for k, v := range data {
		if k == "" {
			return fmt.Errorf("relation %s: %w: empty key", key, httprelation.ErrInvalidKey)
		}
		if v == "" {
			delete(bag, k)
		} else {
			bag[k] = v
		}
	}
	r.Local = bag
	m.model.Relations[key] = r
	return nil
}

// IngressAddress implements httprelation.Accessor with the real
// accessor's fallbacks: the ingress address network-get reports for the
// relation (its own network, else its endpoint's binding), else the local
// bag's ingress-address or private-address, else the unit's private
// address.
func (m *Model) IngressAddress(ctx context.Context, relationID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallIngressAddress, relationID)
	key, r, err := m.relation(relationID)
	if err != nil {
		return "", err
	}
	var candidates []string
	endpoint, _, _ := strings.Cut(key, ":")
	if n, ok := m.model.Network(key, endpoint); ok {
		candidates = n.IngressAddresses
	}
	candidates = append(candidates, r.Local[httprelation.KeyIngressAddress], r.Local[httprelation.KeyPrivateAddress], m.model.PrivateAddress)
	for _, a := range candidates {
		if a != "" {
			return a, ctx.Err()
		}
	}
	return "", fmt.Errorf("relation %s: no ingress address in the model", key)
}

// Load implements httprelation.Store.
func (m *Model) Load(ctx context.Context) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallStateLoad, "")
	return nonNil(maps.Clone(m.model.State)), ctx.Err()
}

// Save implements httprelation.Store. The state is replaced, not
// modified, so maps handed out earlier stay as they were.
func (m *Model) Save(ctx context.Context, changes map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(CallStateSave, "")
	if err := ctx.Err(); err != nil {
		return err
	}
	state := nonNil(maps.Clone(m.model.State))
	for k, v := range changes {
		if v == "" {
			delete(state, k)
		} else {
			state[k] = v
		}
	}
	m.model.State = state
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
