// Package charmmeta reads the http endpoints a charm declares in its
// metadata.yaml or charmcraft.yaml, so that a typo or a wrong section
// fails at the first hook instead of silently doing nothing.
package charmmeta

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/juju/charm/v12"
	"gopkg.in/yaml.v2"
)

// Role is the side of a relation an endpoint is declared on.
type Role string

// Roles an http endpoint can have; the values match Juju's.
const (
	RoleProvider Role = "provider"
	RoleRequirer Role = "requirer"
)

var (
	// ErrInvalidMetadata reports a metadata.yaml or charmcraft.yaml that
	// cannot be read as charm metadata.
	ErrInvalidMetadata = errors.New("invalid charm metadata")
	// ErrNoEndpoint reports an endpoint that the charm metadata does not
	// declare with interface "http" in the role asked for.
	ErrNoEndpoint = errors.New("no such http endpoint")
)

// Endpoint is one http endpoint declared by a charm.
type Endpoint struct {
	Name      string
	Role      Role
	Interface string
	// Limit is the most relations the endpoint accepts; 0 means no limit.
	Limit int
}

// ReadEndpoints returns the endpoints with interface "http" that the charm
// in charmDir provides or requires, sorted by name. Peer endpoints are
// left out: the http interface has no peer side.
func ReadEndpoints(charmDir string) ([]Endpoint, error) {
	meta, _, err := readMeta(charmDir)
	if err != nil {
		return nil, err
	}
	var eps []Endpoint
	for _, rels := range []map[string]charm.Relation{meta.Provides, meta.Requires} {
		for _, rel := range rels {
			if rel.Interface == "http" {
				eps = append(eps, Endpoint{Name: rel.Name, Role: Role(rel.Role), Interface: rel.Interface, Limit: rel.Limit})
			}
		}
	}
	slices.SortFunc(eps, func(a, b Endpoint) int { return strings.Compare(a.Name, b.Name) })
	return eps, nil
}

// CheckEndpoint verifies that the charm in charmDir declares endpoint name
// with interface "http" in the given role. The error wraps ErrNoEndpoint
// and says what the metadata declares instead: another interface, the
// other role, or which endpoints there are.
func CheckEndpoint(charmDir, name string, role Role) error {
	if role != RoleProvider && role != RoleRequirer {
		return fmt.Errorf("endpoint %q: %w: role %q is neither %q nor %q", name, ErrNoEndpoint, role, RoleProvider, RoleRequirer)
	}
	meta, file, err := readMeta(charmDir)
	if err != nil {
		return err
	}
	rel, ok := meta.CombinedRelations()[name]
	if !ok {
		return fmt.Errorf("endpoint %q: %w in %s; declared: %s", name, ErrNoEndpoint, file, describeRelations(meta))
	}
	if rel.Interface != "http" {
		return fmt.Errorf("endpoint %q: %w: %s declares it under %s with interface %q", name, ErrNoEndpoint, file, section(rel.Role), rel.Interface)
	}
	if Role(rel.Role) != role {
		return fmt.Errorf("endpoint %q: %w: %s declares it under %s, not %s", name, ErrNoEndpoint, file, section(rel.Role), section(charm.RelationRole(role)))
	}
	return nil
}

// section names the metadata key that declares relations of role.
func section(role charm.RelationRole) string {
	switch role {
	case charm.RoleProvider:
		return "provides"
	case charm.RoleRequirer:
		return "requires"
	case charm.RolePeer:
		return "peers"
	}
	return string(role)
}

// describeRelations lists every declared endpoint for error messages.
func describeRelations(meta *charm.Meta) string {
	var parts []string
	for name, rel := range meta.CombinedRelations() {
		parts = append(parts, fmt.Sprintf("%s (%s %s)", name, section(rel.Role), rel.Interface))
	}
	if len(parts) == 0 {
		return "none"
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// readMeta parses metadata.yaml, or charmcraft.yaml when there is no
// metadata.yaml (the unified format of charmcraft 2.5+), and returns it
// with the path it came from.
func readMeta(charmDir string) (*charm.Meta, string, error) {
	var file string
	var raw []byte
	for _, name := range []string{"metadata.yaml", "charmcraft.yaml"} {
		file = filepath.Join(charmDir, name)
		var err error
		raw, err = os.ReadFile(file)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("read charm metadata: %w", err)
		}
		raw = nil
	}
	if raw == nil {
		return nil, "", fmt.Errorf("read charm metadata: no metadata.yaml or charmcraft.yaml in %s: %w", charmDir, fs.ErrNotExist)
	}
	meta, err := parseMeta(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %v", ErrInvalidMetadata, file, err)
	}
	return meta, file, nil
}

// parseMeta hands the document to charm.ReadMeta. When ReadMeta refuses
// it, the endpoint keys alone are extracted and tried again: a
// charmcraft.yaml often lacks keys ReadMeta requires (summary), and a
// YAML 1.1 scalar such as a bare yes decodes as a boolean where ReadMeta
// wants a string. Only endpoints are needed here, so the rest of the
// document does not get to fail the hook; Juju validates it at deploy.
func parseMeta(raw []byte) (*charm.Meta, error) {
	meta, err := charm.ReadMeta(bytes.NewReader(raw))
	if err == nil {
		return meta, checkUnique(meta)
	}
	var doc metaDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Name == "" {
		return nil, errors.New("no charm name: not charm metadata")
	}
	for _, rels := range []map[string]relationDoc{doc.Provides, doc.Requires, doc.Peers} {
		for name, rel := range rels {
			if rel.Interface == "" {
				return nil, fmt.Errorf("endpoint %q has no interface", name)
			}
		}
	}
	clean, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	meta, err = charm.ReadMeta(bytes.NewReader(clean))
	if err != nil {
		return nil, err
	}
	return meta, checkUnique(meta)
}

// checkUnique rejects an endpoint name declared in two sections, which
// Juju refuses to deploy and which would make its role ambiguous here.
func checkUnique(meta *charm.Meta) error {
	seen := map[string]charm.RelationRole{}
	for _, rels := range []map[string]charm.Relation{meta.Provides, meta.Requires, meta.Peers} {
		for name, rel := range rels {
			if other, ok := seen[name]; ok {
				return fmt.Errorf("endpoint %q declared under both %s and %s", name, section(other), section(rel.Role))
			}
			seen[name] = rel.Role
		}
	}
	return nil
}

// metaDoc is the part of charm metadata that declares endpoints. Decoding
// into string fields keeps a scalar's text, so `yes` stays "yes", and
// marshalling quotes it so that ReadMeta reads it back as a string.
type metaDoc struct {
	Name        string                 `yaml:"name"`
	Summary     string                 `yaml:"summary"`
	Description string                 `yaml:"description"`
	Provides    map[string]relationDoc `yaml:"provides,omitempty"`
	Requires    map[string]relationDoc `yaml:"requires,omitempty"`
	Peers       map[string]relationDoc `yaml:"peers,omitempty"`
}

// relationDoc is one endpoint, written either as a bare interface name or
// as a map.
type relationDoc struct {
	Interface string `yaml:"interface"`
	Limit     *int   `yaml:"limit,omitempty"`
	Optional  bool   `yaml:"optional,omitempty"`
	Scope     string `yaml:"scope,omitempty"`
}

// UnmarshalYAML accepts both the short and the long endpoint form.
func (r *relationDoc) UnmarshalYAML(unmarshal func(any) error) error {
	var iface string
	if err := unmarshal(&iface); err == nil {
		*r = relationDoc{Interface: iface}
		return nil
	}
	type plain relationDoc // drops the method, avoiding recursion
	return unmarshal((*plain)(r))
}
