package httprelation_test

import (
	"context"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const webappCharm = "testdata/charms/webapp"

func TestOpenEndpoints(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{Unit: "webapp/0"})
	p, err := httprelation.OpenProvides(webappCharm, m, "website")
	require.NoError(t, err)
	assert.Equal(t, "website", p.Endpoint())
	r, err := httprelation.OpenRequires(webappCharm, m, "reverseproxy")
	require.NoError(t, err)
	assert.Equal(t, "reverseproxy", r.Endpoint())

	tests := []struct {
		name     string
		open     func() error
		sentinel error
	}{
		{"missing", func() error { _, err := httprelation.OpenProvides(webappCharm, m, "nosuch"); return err }, httprelation.ErrNoEndpoint},
		{"not http", func() error { _, err := httprelation.OpenRequires(webappCharm, m, "db"); return err }, httprelation.ErrNotHTTP},
		{"provides used as requires", func() error { _, err := httprelation.OpenRequires(webappCharm, m, "website"); return err }, httprelation.ErrWrongRole},
		{"requires used as provides", func() error { _, err := httprelation.OpenProvides(webappCharm, m, "reverseproxy"); return err }, httprelation.ErrWrongRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.open(), tt.sentinel)
		})
	}
}

func TestLoadEndpointsUpdatesAvailableFlags(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, &toolsim.Model{
		Unit: "webapp/0",
		Hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:2", RemoteUnit: "lb/0"},
		Relations: map[string]toolsim.Relation{
			"website:1": {RemoteApp: "client", Units: map[string]map[string]string{"client/0": {"private-address": "10.0.0.5"}}},
			// The remote unit has joined but not published a port yet.
			"reverseproxy:2": {RemoteApp: "lb", Units: map[string]map[string]string{"lb/0": {"private-address": "10.0.0.6"}}},
		},
	})
	eps, err := httprelation.LoadEndpoints(webappCharm, m)
	require.NoError(t, err)
	require.Len(t, eps.Provides, 1)
	require.Len(t, eps.Requires, 1)
	assert.Equal(t, "website", eps.Provides[0].Endpoint())
	assert.Equal(t, "reverseproxy", eps.Requires[0].Endpoint())

	reg, err := httprelation.NewRegistry(ctx, m)
	require.NoError(t, err)
	require.NoError(t, eps.UpdateFlags(ctx, reg))
	assert.Equal(t, []string{"website.available"}, reg.List(), "a requirer is available only once a service has a port")

	require.NoError(t, m.SetUnitData("reverseproxy:2", "lb/0", map[string]string{"private-address": "10.0.0.6", "port": "80"}))
	require.NoError(t, eps.UpdateFlags(ctx, reg))
	assert.Equal(t, []string{"reverseproxy.available", "website.available"}, reg.List())

	require.NoError(t, m.SetHook(toolsim.Hook{Name: "website-relation-departed", RelationID: "website:1", RemoteUnit: "client/0", DepartingUnit: "client/0"}))
	require.NoError(t, eps.UpdateFlags(ctx, reg))
	assert.Equal(t, []string{"reverseproxy.available"}, reg.List(), "the provider flag drops with its last remote unit")

	require.NoError(t, reg.Save(ctx))
	assert.Equal(t, map[string]string{"flag.reverseproxy.available": "1"}, m.State())
}

func TestEndpointsUpdateFlagsNamesFailingEndpoint(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, &toolsim.Model{Unit: "webapp/0"})
	eps := httprelation.Endpoints{Requires: []*httprelation.Requires{httprelation.NewRequires(failingIDs{m}, "reverseproxy")}}
	reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
	require.NoError(t, err)
	err = eps.UpdateFlags(ctx, reg)
	require.ErrorIs(t, err, httprelation.ErrRelationNotFound)
	assert.Contains(t, err.Error(), `endpoint "reverseproxy"`)
}

// failingIDs is an accessor whose relation-ids fails.
type failingIDs struct{ *httprelationtest.Model }

func (failingIDs) RelationIDs(context.Context, string) ([]string, error) {
	return nil, httprelation.ErrRelationNotFound
}
