package httprelationtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

func TestReadModelFixture(t *testing.T) {
	m := load(t, "departed.json")
	got := m.Snapshot()
	assert.Equal(t, "lb/0", got.Unit)
	assert.Equal(t, toolsim.Hook{Name: "backends-relation-departed", RelationID: "backends:4",
		RemoteUnit: "shop/3", DepartingUnit: "shop/3"}, got.Hook)
	require.Len(t, got.Relations, 2)
	assert.Equal(t, "8000", got.Relations["backends:4"].Units["shop/0"]["port"])
	assert.Equal(t, map[string]string{"backends.available": "1"}, m.State())
}

// A toolsim model, the transcripts' own shape with a hook section, loads
// as it is: one format on both sides.
func TestHarnessServesTranscriptModel(t *testing.T) {
	m := load(t, "changed.json")
	hc, err := m.Unit().Accessor.HookContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, httprelation.HookContext{Unit: "lb/0", HookName: "backends-relation-changed",
		RelationID: "backends:4", RemoteUnit: "shop/0", RemoteApp: "shop"}, hc)
	services, err := httprelation.NewRequires(m.Unit().Accessor, "backends").Services(ctx)
	require.NoError(t, err)
	require.Len(t, services, 2)
	assert.Equal(t, "blog", services[0].Name)
	assert.Equal(t, "shop", services[1].Name)
}

func TestReadModelRejects(t *testing.T) {
	tests := map[string]string{
		"unknown-field.json":         `unknown field "ingres_address"`,
		"old-scenario-shape.json":    "cannot unmarshal array",
		"bad-relation-id.json":       `relation id "backends" is not of the form endpoint:N`,
		"empty-endpoint.json":        `relation id ":4" is not of the form endpoint:N`,
		"duplicate-number.json":      "backends:4 and site:4 have the same number",
		"bad-local-unit.json":        `local unit "lb" is not a unit name`,
		"no-unit.json":               "no local unit",
		"trailing-data.json":         "data after the model",
		"trailing-brace.json":        "data after the model",
		"unknown-hook-relation.json": `relation "backends:9" is not in the model`,
		"unknown-remote-unit.json":   `remote unit "shop/9" is not in relation backends:4`,
		"departing-not-remote.json":  `departing unit "shop/3" is neither the remote unit "shop/0" nor the local unit "lb/0"`,
		"wrong-endpoint.json":        `relation backends:4 is not on endpoint "site"`,
		"not-json.json":              "invalid character",
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			m, err := toolsim.ReadModel(filepath.Join("testdata", file))
			require.Error(t, err)
			assert.ErrorContains(t, err, want)
			assert.ErrorContains(t, err, file, "the error must name the fixture")
			assert.Nil(t, m)
			if !strings.Contains(want, "unknown field") && !strings.Contains(want, "cannot unmarshal") &&
				!strings.Contains(want, "after the model") && want != "invalid character" {
				assert.ErrorIs(t, err, toolsim.ErrInvalidModel)
			}
		})
	}
	_, err := toolsim.ReadModel(filepath.Join("testdata", "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// Each mistake in a scenario is a clear error from NewHarness, never a
// hook that silently sees nothing.
func TestNewHarnessRejects(t *testing.T) {
	rel := func(units ...string) toolsim.Relation {
		r := toolsim.Relation{RemoteApp: "web", Units: map[string]map[string]string{}}
		for _, u := range units {
			r.Units[u] = map[string]string{"private-address": "10.0.0.1"}
		}
		return r
	}
	tests := map[string]struct {
		model *toolsim.Model
		want  string
	}{
		"nil":                      {nil, "nil model"},
		"no unit":                  {&toolsim.Model{}, "no local unit"},
		"hook relation missing":    {&toolsim.Model{Unit: "lb/0", Hook: toolsim.Hook{Name: "proxy-relation-changed", RelationID: "proxy:2", RemoteUnit: "web/0"}}, `relation "proxy:2" is not in the model`},
		"joined unit missing":      {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{Name: "proxy-relation-joined", RelationID: "proxy:1", RemoteUnit: "web/1"}}, `remote unit "web/1" is not in relation proxy:1`},
		"joined without unit":      {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{Name: "proxy-relation-joined", RelationID: "proxy:1"}}, "relation-joined needs a remote_unit"},
		"departed unit gone":       {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{Name: "proxy-relation-departed", RelationID: "proxy:1", RemoteUnit: "web/1", DepartingUnit: "web/1"}}, `remote unit "web/1" is not in relation proxy:1`},
		"departing other unit":     {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0", "web/1")}, Hook: toolsim.Hook{Name: "proxy-relation-departed", RelationID: "proxy:1", RemoteUnit: "web/0", DepartingUnit: "web/1"}}, `departing unit "web/1" is neither the remote unit "web/0"`},
		"departing outside hook":   {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{Name: "proxy-relation-changed", RelationID: "proxy:1", RemoteUnit: "web/0", DepartingUnit: "web/0"}}, "only relation-departed names a departing_unit"},
		"broken with remote unit":  {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{Name: "proxy-relation-broken", RelationID: "proxy:1", RemoteUnit: "web/0"}}, "relation-broken hooks have none"},
		"wrong remote app":         {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{Name: "proxy-relation-changed", RelationID: "proxy:1", RemoteApp: "api"}}, `remote_app "api" is not relation proxy:1's remote application "web"`},
		"relation fields, no hook": {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": rel("web/0")}, Hook: toolsim.Hook{RelationID: "proxy:1"}}, "only relation hooks name"},
		"install with a unit":      {&toolsim.Model{Unit: "lb/0", Hook: toolsim.Hook{Name: "install", RemoteUnit: "web/0"}}, "only relation hooks name"},
		"relation hook, no id":     {&toolsim.Model{Unit: "lb/0", Hook: toolsim.Hook{Name: "proxy-relation-changed"}}, "needs a relation_id"},
		"no remote app":            {&toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{"proxy:1": {}}}, `relation proxy:1: no remote_app`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := httprelationtest.NewHarness(tt.model)
			require.ErrorIs(t, err, toolsim.ErrInvalidModel)
			assert.ErrorContains(t, err, tt.want)
			assert.Nil(t, m)
		})
	}
}

// The hooks that are consistent with the model pass, the local unit
// departing included.
func TestNewHarnessAccepts(t *testing.T) {
	units := map[string]map[string]string{"web/0": {}, "web/1": {}}
	for _, h := range []toolsim.Hook{
		{},
		{Name: "install"},
		{Name: "proxy-relation-created", RelationID: "proxy:1"},
		{Name: "proxy-relation-joined", RelationID: "proxy:1", RemoteUnit: "web/0"},
		{Name: "proxy-relation-changed", RelationID: "1", RemoteUnit: "web/1", RemoteApp: "web"},
		{Name: "proxy-relation-changed", RelationID: "proxy:1"},
		{Name: "proxy-relation-departed", RelationID: "proxy:1", RemoteUnit: "web/0", DepartingUnit: "web/0"},
		{Name: "proxy-relation-departed", RelationID: "proxy:1", RemoteUnit: "web/0", DepartingUnit: "lb/0"},
		{Name: "proxy-relation-departed", RelationID: "proxy:1", RemoteUnit: "web/0"},
		{Name: "proxy-relation-broken", RelationID: "proxy:1"},
	} {
		_, err := httprelationtest.NewHarness(&toolsim.Model{Unit: "lb/0", Hook: h,
			Relations: map[string]toolsim.Relation{"proxy:1": {RemoteApp: "web", Units: units}}})
		assert.NoError(t, err, "%+v", h)
	}
}
