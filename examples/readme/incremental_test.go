package readme

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// proxyLarge is a requirer's hook work when thousands of backends may
// join: the same in every hook (dispatch), reading only what can have
// changed since the last hook.
func proxyLarge(ctx context.Context, unit httprelation.Unit, render func([]httprelation.Service) error) error {
	flags, err := httprelation.NewRegistry(ctx, unit.Store)
	if err != nil {
		return err
	}
	backends, err := unit.OpenRequires("reverseproxy", httprelation.WithIncrementalView(flags))
	if err != nil {
		return err
	}
	services, err := backends.Services(ctx) // this hook's unit, and units not kept yet
	if err != nil {
		return err
	}
	if err := render(services); err != nil {
		return err // nothing saved: Juju's retry reads the unit again
	}
	if err := backends.UpdateFlags(ctx, flags); err != nil { // from the same read
		return err
	}
	return flags.Save(ctx) // the view and the flags, in one write
}

// TestProxyLarge runs the README's incremental requirer through Juju's
// hooks: each join or change reads one bag, other hooks none, and what it
// renders is every backend.
func TestProxyLarge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"metadata.yaml", "config.yaml"} {
		data, err := os.ReadFile(filepath.Join("requirer", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	m := httprelationtest.New(t, &toolsim.Model{
		Unit:      "proxy/0",
		CharmDir:  dir,
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", RemoteEndpoint: "website"}},
	})
	var rendered []httprelation.Service
	hook := func(ctx context.Context, unit httprelation.Unit) error {
		return proxyLarge(ctx, unit, func(s []httprelation.Service) error { rendered = s; return nil })
	}
	fire := func(ev toolsim.Event, reads int) {
		t.Helper()
		m.ResetCalls()
		_, err := m.Fire(ctx, ev, hook)
		require.NoError(t, err)
		assert.Equal(t, reads, m.CallCount("relation-get"))
	}
	bag := func(i, port int) map[string]string {
		return map[string]string{"private-address": fmt.Sprintf("10.0.0.%d", i), "port": fmt.Sprint(port)}
	}
	for i := range 20 {
		fire(toolsim.Join("reverseproxy:1", fmt.Sprintf("web/%d", i), bag(i, 8080)), 1+1) // joined, changed
	}
	require.Len(t, rendered, 1)
	assert.Len(t, rendered[0].Hosts, 20)

	fire(toolsim.Change("reverseproxy:1", "web/7", bag(7, 9090)), 1)
	assert.Contains(t, rendered[0].Hosts, httprelation.Host{Hostname: "10.0.0.7", PrivateAddress: "10.0.0.7", Port: 9090})
	fire(toolsim.ChangeConfig(map[string]any{"log-level": "debug"}), 0)
	fire(toolsim.Depart("reverseproxy:1", "web/3"), 0)
	assert.Len(t, rendered[0].Hosts, 19)
	flags, err := m.Flags()
	require.NoError(t, err)
	assert.Equal(t, []string{"reverseproxy.available"}, flags)
}
