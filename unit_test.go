package httprelation_test

import (
	"context"
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

const webappCharm = "testdata/charms/webapp"

// TestUnitOpensEndpointsOfItsCharm: a Unit opens the http endpoints its
// charm's metadata declares in the role asked for, and refuses any other
// with ErrNoEndpoint, saying what the metadata declares instead; what it
// opens logs to the unit's logger.
func TestUnitOpensEndpointsOfItsCharm(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, &toolsim.Model{Unit: "webapp/0", CharmDir: webappCharm,
		Relations: map[string]toolsim.Relation{
			"website:1": {RemoteApp: "client", Units: map[string]map[string]string{"client/0": {"private-address": "10.0.0.5"}}},
			"reverseproxy:2": {RemoteApp: "lb", Units: map[string]map[string]string{
				"lb/0": {"private-address": "10.0.0.6", "port": "http"},
			}},
		}})
	u := m.Unit()
	p, err := u.OpenProvides("website")
	require.NoError(t, err)
	ok, err := p.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok, "the provider of website:1")

	r, err := u.OpenRequires("reverseproxy")
	require.NoError(t, err)
	services, err := r.Services(ctx)
	require.NoError(t, err)
	assert.Empty(t, services)
	require.Len(t, m.Warnings(), 1, "warnings go to the unit's logger")
	assert.Contains(t, m.Warnings()[0], "key=port")

	tests := []struct {
		name, says string
		open       func() error
	}{
		{"missing", "declared: ", func() error { _, err := u.OpenProvides("nosuch"); return err }},
		{"missing requirer", "declared: ", func() error { _, err := u.OpenRequires("nosuch"); return err }},
		{"not http", `interface "mysql"`, func() error { _, err := u.OpenRequires("db"); return err }},
		{"provides used as requires", "under provides, not requires", func() error { _, err := u.OpenRequires("website"); return err }},
		{"requires used as provides", "under requires, not provides", func() error { _, err := u.OpenProvides("reverseproxy"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.open()
			require.ErrorIs(t, err, httprelation.ErrNoEndpoint)
			assert.ErrorContains(t, err, tt.says)
		})
	}
}

func TestUnitDefaults(t *testing.T) {
	// No charm directory means the working directory, where Juju runs
	// hooks; no logger means slog's default.
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(webappCharm))
	t.Cleanup(func() { require.NoError(t, os.Chdir(wd)) })
	u := httprelation.Unit{Accessor: serveAccessor(t, &toolsim.Model{Unit: "webapp/0"})}
	_, err = u.OpenProvides("website")
	require.NoError(t, err)
	_, err = u.OpenRequires("website")
	require.ErrorIs(t, err, httprelation.ErrNoEndpoint)
	assert.ErrorContains(t, err, "under provides, not requires")
}

// TestUnitEndpointsUpdateAvailableFlags: a charm that opens each of its
// http endpoints in every hook and updates their flags keeps
// "<endpoint>.available" as the relations go: the provider's while a
// remote unit is joined, the requirer's while a service has a port.
func TestUnitEndpointsUpdateAvailableFlags(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{
		Unit:     "webapp/0",
		CharmDir: webappCharm,
		Hook:     toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:2", RemoteUnit: "lb/0"},
		Relations: map[string]toolsim.Relation{
			"website:1": {RemoteApp: "client", Units: map[string]map[string]string{"client/0": {"private-address": "10.0.0.5"}}},
			// The remote unit has joined but not published a port yet.
			"reverseproxy:2": {RemoteApp: "lb", Units: map[string]map[string]string{"lb/0": {"private-address": "10.0.0.6"}}},
		},
	})
	hook := func(ctx context.Context, u httprelation.Unit) error {
		reg, err := httprelation.NewRegistry(ctx, u.Store)
		if err != nil {
			return err
		}
		p, err := u.OpenProvides("website")
		if err != nil {
			return err
		}
		r, err := u.OpenRequires("reverseproxy")
		if err != nil {
			return err
		}
		if err := p.UpdateFlags(ctx, reg); err != nil {
			return err
		}
		if err := r.UpdateFlags(ctx, reg); err != nil {
			return err
		}
		return reg.Save(ctx)
	}
	ctx := context.Background()
	require.NoError(t, m.Run(ctx, hook))
	flags, err := m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{"website.available"}, flags, "a requirer is available only once a service has a port")

	require.NoError(t, m.SetUnitData("reverseproxy:2", "lb/0", map[string]string{"private-address": "10.0.0.6", "port": "80"}))
	require.NoError(t, m.Run(ctx, hook))
	flags, err = m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{"reverseproxy.available", "website.available"}, flags)

	require.NoError(t, m.SetHook(toolsim.Hook{Name: "website-relation-departed", RelationID: "website:1", RemoteUnit: "client/0", DepartingUnit: "client/0"}))
	require.NoError(t, m.Run(ctx, hook))
	flags, err = m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{"reverseproxy.available"}, flags, "the provider flag drops with its last remote unit")
	assert.Equal(t, map[string]string{"flag.reverseproxy.available": "1"}, m.State())
}

// TestEndpointNameRule: one rule for endpoint names. At its longest (190
// bytes) an endpoint is opened, its available flag is kept and its view
// is stored; one byte longer, or a name Juju's syntax refuses, is refused
// when the endpoint is opened, before any tool runs.
func TestEndpointNameRule(t *testing.T) {
	ctx := context.Background()
	longest := strings.Repeat("e", 190)
	dir := t.TempDir()
	meta := "name: lb\nsummary: s\ndescription: d\nrequires:\n  " + longest + ": {interface: http}\n  " + longest + "e: {interface: http}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metadata.yaml"), []byte(meta), 0o600))
	m := httprelationtest.New(t, &toolsim.Model{Unit: "lb/0", CharmDir: dir,
		Hook: toolsim.Hook{Name: longest + "-relation-changed", RelationID: longest + ":1", RemoteUnit: "web/0"},
		Relations: map[string]toolsim.Relation{longest + ":1": {RemoteApp: "web", Units: map[string]map[string]string{
			"web/0": {"private-address": "10.0.0.1", "port": "8080"},
		}}}})
	require.NoError(t, m.Run(ctx, func(ctx context.Context, u httprelation.Unit) error {
		flags, err := httprelation.NewRegistry(ctx, u.Store)
		if err != nil {
			return err
		}
		r, err := u.OpenRequires(longest, httprelation.WithIncrementalView(flags))
		if err != nil {
			return err
		}
		if err := r.UpdateFlags(ctx, flags); err != nil {
			return err
		}
		return flags.Save(ctx)
	}))
	flags, err := m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{longest + ".available"}, flags)
	assert.Contains(t, m.State(), "view."+longest+".0", "the view is kept")
	assert.Empty(t, m.Warnings())

	m.ResetCalls()
	u := m.Unit()
	for _, name := range []string{longest + "e", "Website", "web-", "1web", "a__b", ""} {
		_, err := u.OpenRequires(name)
		assert.ErrorIs(t, err, httprelation.ErrInvalidEndpoint, "%q", name)
		_, err = u.OpenProvides(name)
		assert.ErrorIs(t, err, httprelation.ErrInvalidEndpoint, "%q", name)
	}
	assert.Empty(t, m.Calls())
}
