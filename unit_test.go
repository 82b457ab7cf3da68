package httprelation_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

func TestUnitOpensEndpointsOfItsCharm(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{Unit: "webapp/0", CharmDir: webappCharm,
		Relations: map[string]toolsim.Relation{"reverseproxy:2": {RemoteApp: "lb", Units: map[string]map[string]string{
			"lb/0": {"private-address": "10.0.0.6", "port": "http"},
		}}}})
	u := m.Unit()
	p, err := u.OpenProvides("website")
	require.NoError(t, err)
	assert.Equal(t, "website", p.Endpoint())
	_, err = u.OpenProvides("reverseproxy")
	assert.ErrorIs(t, err, httprelation.ErrWrongRole)

	r, err := u.OpenRequires("reverseproxy")
	require.NoError(t, err)
	services, err := r.Services(context.Background())
	require.NoError(t, err)
	assert.Empty(t, services)
	require.Len(t, m.Warnings(), 1, "warnings go to the unit's logger")
	assert.Contains(t, m.Warnings()[0], "key=port")
	_, err = u.OpenRequires("nosuch")
	assert.ErrorIs(t, err, httprelation.ErrNoEndpoint)
}

func TestUnitDefaults(t *testing.T) {
	// No charm directory means the working directory, where Juju runs
	// hooks; no logger means slog's default.
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(webappCharm))
	t.Cleanup(func() { require.NoError(t, os.Chdir(wd)) })
	u := httprelation.Unit{Accessor: httprelationtest.New(t, &toolsim.Model{Unit: "webapp/0"})}
	p, err := u.OpenProvides("website")
	require.NoError(t, err)
	assert.Equal(t, "website", p.Endpoint())
	_, err = u.OpenRequires("website")
	assert.ErrorIs(t, err, httprelation.ErrWrongRole)
}
