package httprelationtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmkit/httprelation"
)

// Scenario declares the world a charm's hook runs in: the local unit, the
// hook, and every relation with its remote units' data. It is what test
// fixtures under testdata/ hold, as JSON.
type Scenario struct {
	// Unit is the local unit, e.g. "haproxy/0".
	Unit string `json:"unit"`
	// PrivateAddress is what unit-get private-address would answer; the
	// last fallback of the ingress address.
	PrivateAddress string `json:"private_address,omitempty"`
	// Hook is the hook being run.
	Hook Hook `json:"hook"`
	// Relations are all relations of the unit, of every endpoint.
	Relations []Relation `json:"relations"`
	// State is the charm's stored state (flags and hashes), as state-get
	// would return it.
	State map[string]string `json:"state,omitempty"`
}

// Hook is the hook part of a Scenario.
type Hook struct {
	// Name is e.g. "website-relation-changed"; empty for juju exec.
	Name string `json:"name,omitempty"`
	// RelationID is the relation of a relation hook, e.g. "website:3".
	RelationID string `json:"relation_id,omitempty"`
	// RemoteUnit is the remote unit of a relation hook.
	RemoteUnit string `json:"remote_unit,omitempty"`
	// RemoteApp is the remote application; defaults to the relation's.
	RemoteApp string `json:"remote_app,omitempty"`
	// DepartingUnit is set for relation-departed hooks.
	DepartingUnit string `json:"departing_unit,omitempty"`
}

// Relation is one relation of a Scenario.
type Relation struct {
	// ID is Juju's relation id, "endpoint:N".
	ID string `json:"id"`
	// RemoteApp is the application on the other side.
	RemoteApp string `json:"remote_app"`
	// Units maps each remote unit in scope to its data bag.
	Units map[string]map[string]string `json:"units,omitempty"`
	// Local is the local unit's own bag in this relation.
	Local map[string]string `json:"local,omitempty"`
	// IngressAddress is what network-get would answer for this relation;
	// empty means "fall back" as the real accessor does.
	IngressAddress string `json:"ingress_address,omitempty"`
}

// LoadScenario reads a Scenario from a JSON file. Unknown fields are an
// error, so a typo in a fixture does not silently change the test.
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("load scenario: %w", err)
	}
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("load scenario %s: %w", path, err)
	}
	// Anything after the scenario would be silently ignored, like an
	// unknown field.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Scenario{}, fmt.Errorf("load scenario %s: data after the scenario", path)
	}
	if err := s.check(); err != nil {
		return Scenario{}, fmt.Errorf("load scenario %s: %w", path, err)
	}
	return s, nil
}

// Load reads a Scenario from a JSON file and returns a Model serving it.
func Load(path string) (*Model, error) {
	s, err := LoadScenario(path)
	if err != nil {
		return nil, err
	}
	return New(s), nil
}

func (s Scenario) check() error {
	if httprelation.AppName(s.Unit) == "" {
		return fmt.Errorf("unit %q is not of the form app/N", s.Unit)
	}
	seen := map[string]bool{}
	for _, r := range s.Relations {
		num := httprelation.RelationNumber(r.ID)
		if num == "" || strings.LastIndexByte(r.ID, ':') < 1 { // no endpoint
			return fmt.Errorf("relation id %q is not of the form endpoint:N", r.ID)
		}
		if seen[num] {
			return fmt.Errorf("relation number %s is used twice", num)
		}
		seen[num] = true
		for u := range r.Units {
			if httprelation.AppName(u) != r.RemoteApp {
				return fmt.Errorf("relation %s: unit %q is not of application %q", r.ID, u, r.RemoteApp)
			}
		}
	}
	if id := s.Hook.RelationID; id != "" && !seen[httprelation.RelationNumber(id)] {
		return fmt.Errorf("hook relation %q is not among the relations", id)
	}
	return nil
}
