package toolsim

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
)

// MarshalJSON leaves an empty hook out, so that a transcript's model
// writes back as it was read, and does not escape <, > and & (data bags
// are not HTML).
func (m Model) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	err := encodeModel(&buf, &m, "")
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// encodeModel writes m as MarshalJSON does, indented by indent, in one
// pass: a model file of a thousand units is written on every write tool
// call, and going through MarshalJSON would encode it, check it and
// indent it again.
func encodeModel(w io.Writer, m *Model, indent string) error {
	type plain Model // without MarshalJSON
	var hook *Hook
	if m.Hook != (Hook{}) {
		hook = &m.Hook
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	return enc.Encode(struct {
		*plain
		Hook *Hook `json:"hook,omitempty"` // shadows plain's
	}{(*plain)(m), hook})
}

// Clone returns a copy of m that shares no map or slice with it, so that
// a test can keep a model as it was or derive variants of it. Config
// values are copied as they are: Juju's are strings, numbers and
// booleans.
func (m *Model) Clone() *Model {
	c := *m
	c.Config = maps.Clone(m.Config)
	c.State = maps.Clone(m.State)
	c.Log = slices.Clone(m.Log)
	c.Faults = maps.Clone(m.Faults)
	c.LeaderSettings = maps.Clone(m.LeaderSettings)
	c.OpenedPorts = clonePorts(m.OpenedPorts)
	c.GoalUnits = maps.Clone(m.GoalUnits)
	if m.GoalRelations != nil {
		c.GoalRelations = make(map[string]map[string]string, len(m.GoalRelations))
		for k, units := range m.GoalRelations {
			c.GoalRelations[k] = maps.Clone(units)
		}
	}
	if m.Status != nil {
		st := *m.Status
		c.Status = &st
	}
	if m.AppStatus != nil {
		st := *m.AppStatus
		c.AppStatus = &st
	}
	if m.Networks != nil {
		c.Networks = make(map[string]Network, len(m.Networks))
		for k, n := range m.Networks {
			c.Networks[k] = n.clone()
		}
	}
	if m.Relations != nil {
		c.Relations = make(map[string]Relation, len(m.Relations))
		for k, r := range m.Relations {
			c.Relations[k] = r.clone()
		}
	}
	return &c
}

func (r Relation) clone() Relation {
	r.Local = maps.Clone(r.Local)
	r.App = maps.Clone(r.App)
	r.LocalApp = maps.Clone(r.LocalApp)
	if r.Units != nil {
		units := make(map[string]map[string]string, len(r.Units))
		for u, bag := range r.Units {
			units[u] = maps.Clone(bag)
		}
		r.Units = units
	}
	if r.Network != nil {
		n := r.Network.clone()
		r.Network = &n
	}
	return r
}

func (n Network) clone() Network {
	n.EgressSubnets = slices.Clone(n.EgressSubnets)
	n.IngressAddresses = slices.Clone(n.IngressAddresses)
	if n.BindAddresses != nil {
		binds := make([]BindAddress, len(n.BindAddresses))
		for i, b := range n.BindAddresses {
			b.Addresses = slices.Clone(b.Addresses)
			binds[i] = b
		}
		n.BindAddresses = binds
	}
	return n
}

// clonePorts copies Model.OpenedPorts, sharing no slice.
func clonePorts(ports map[string][]string) map[string][]string {
	if ports == nil {
		return nil
	}
	c := make(map[string][]string, len(ports))
	for k, v := range ports {
		c[k] = slices.Clone(v)
	}
	return c
}

// RestoreWrites puts back, from before, what a hook writes
// transactionally: the local unit's and the local application's bag of
// every relation, the charm state and the opened ports. Juju discards
// those writes when a hook fails (they are committed by the hook
// context's Flush), while what status-set, application-version-set,
// leader-set and juju-log did stays: Juju sends those at once. before is
// m as it was when the hook started; relations it does not have are left
// alone.
func (m *Model) RestoreWrites(before *Model) {
	m.OpenedPorts = clonePorts(before.OpenedPorts)
	for key, r := range m.Relations {
		old, ok := before.Relations[key]
		if !ok {
			continue
		}
		r.Local = maps.Clone(old.Local)
		r.LocalApp = maps.Clone(old.LocalApp)
		m.Relations[key] = r
	}
	m.State = maps.Clone(before.State)
}
