package httprelation_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

func TestNoRelationsIsNoop(t *testing.T) {
	ctx := context.Background()
	m, acc := serve(t, website(toolsim.Hook{}))
	p := httprelation.NewProvides(acc, "nosuch")
	require.NoError(t, p.Configure(ctx, 8080))
	require.NoError(t, p.Publish(ctx, map[string]string{"services": "x"}))
	require.NoError(t, p.Unpublish(ctx, "services"))
	assert.Zero(t, m.CallCount("relation-set"))
	assert.Zero(t, m.CallCount("network-get"))
}

// listing answers relation-list from a fixed table, as tooling older than
// Juju 3 did: departing units and broken relations still listed.
type listing struct {
	httprelation.Accessor
	units map[string][]string
	errs  map[string]error
}

func (l listing) RelationUnits(_ context.Context, id string) ([]string, error) {
	return l.units[id], l.errs[id]
}

func TestAvailable(t *testing.T) {
	departed := toolsim.Hook{Name: "website-relation-departed", RelationID: "website:3", RemoteUnit: "lb/0", DepartingUnit: "lb/0"}
	broken := toolsim.Hook{Name: "website-relation-broken", RelationID: "website:3"}
	noUnits := func(ids ...string) func(*toolsim.Model) {
		return func(m *toolsim.Model) {
			for _, id := range ids {
				editRelation(m, id, func(r *toolsim.Relation) { r.Units = nil })
			}
		}
	}
	noCDN := noUnits("website:12")
	tests := []struct {
		name  string
		hook  toolsim.Hook
		edit  func(*toolsim.Model)
		old   map[string][]string // relation-list answers of old tooling, if set
		errs  map[string]error
		want  bool
		isErr bool
	}{
		{name: "joined", want: true},
		{name: "only the other relation joined", edit: noUnits("website:3"), want: true},
		{name: "nobody joined", edit: func(m *toolsim.Model) {
			noUnits("website:3", "website:12")(m)
			editRelation(m, "admin:5", func(r *toolsim.Relation) { r.Units = map[string]map[string]string{"ops/0": {}} })
		}, want: false},
		{name: "last unit departing", hook: departed, edit: noCDN, want: false},
		{name: "last unit departing, old tooling lists it", hook: departed, edit: noCDN,
			old: map[string][]string{"website:3": {"lb/0"}}, want: false},
		{name: "one of two departing", hook: departed, edit: noCDN,
			old: map[string][]string{"website:3": {"lb/0", "lb/1"}}, want: true},
		{name: "departing unit, other relation joined", hook: departed, want: true},
		{name: "only relation broken", hook: broken, edit: noCDN, want: false},
		{name: "broken relation still listing units", hook: broken,
			old: map[string][]string{"website:3": {"lb/0"}}, want: false},
		{name: "broken relation, other relation joined", hook: broken, want: true},
		{name: "one relation unlistable, other joined",
			old: map[string][]string{"website:12": {"cdn/0"}}, errs: map[string]error{"website:3": errBoom}, want: true},
		{name: "unlistable and nobody else", edit: noCDN,
			errs: map[string]error{"website:3": errBoom}, isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := website(tt.hook)
			if tt.edit != nil {
				tt.edit(s)
			}
			acc := serveAccessor(t, s)
			if tt.old != nil || tt.errs != nil {
				acc = listing{Accessor: acc, units: tt.old, errs: tt.errs}
			}
			got, err := httprelation.NewProvides(acc, "website").Available(context.Background())
			if tt.isErr {
				require.ErrorIs(t, err, errBoom)
				assert.ErrorContains(t, err, "website:3")
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
