package httprelation_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// twoBadKeys is a relation whose units hold two bad entries among good
// ones.
func twoBadKeys() *toolsim.Model {
	m := proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2", "port": "http"},
		"web/2": {"private-address": "10.0.0.3", "port": "80", "hostname": "bad host"},
	}))
	m.Hook = toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "web/1"}
	return m
}

// TestRequiresReadsOncePerHook: whichever of Services, Available and
// UpdateFlags a charm calls, in whatever order and however often, the
// relations are read, and each bad entry logged, once.
func TestRequiresReadsOncePerHook(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(t *testing.T, r *httprelation.Requires, reg *httprelation.Registry){
		"Services": func(t *testing.T, r *httprelation.Requires, _ *httprelation.Registry) {
			got, err := r.Services(ctx)
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Len(t, got[0].Hosts, 1)
		},
		"Available": func(t *testing.T, r *httprelation.Requires, _ *httprelation.Registry) {
			ok, err := r.Available(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
		},
		"UpdateFlags": func(t *testing.T, r *httprelation.Requires, reg *httprelation.Registry) {
			require.NoError(t, r.UpdateFlags(ctx, reg))
			assert.True(t, reg.Has("reverseproxy.available"))
		},
	}
	orders := [][]string{
		{"Services", "Available", "UpdateFlags"},
		{"Services", "UpdateFlags", "Available"},
		{"Available", "Services", "UpdateFlags"},
		{"Available", "UpdateFlags", "Services"},
		{"UpdateFlags", "Services", "Available"},
		{"UpdateFlags", "Available", "Services"},
		{"UpdateFlags", "UpdateFlags", "Services", "Services", "Available"},
		{"Available"},
	}
	for _, order := range orders {
		t.Run(joinNames(order), func(t *testing.T) {
			m := httprelationtest.New(t, twoBadKeys())
			logger, records := captureLog(t)
			r := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(logger))
			reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
			require.NoError(t, err)
			for _, name := range order {
				calls[name](t, r, reg)
			}
			assert.Equal(t, 3, m.CallCount("UnitData"), "one read of each unit")
			assert.Equal(t, 1, m.CallCount("RelationIDs"))
			assert.Len(t, records(), 2, "one warning per bad entry")
		})
	}
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ","
		}
		s += n
	}
	return s
}

// TestRequiresSeesModelEdits: a test that edits the in-memory model
// between two calls on one Requires expects the edit to show, so the
// Model's ChangeCount ends the hook's read.
func TestRequiresSeesModelEdits(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, twoBadKeys())
	logger, records := captureLog(t)
	r := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(logger))
	first, err := r.Services(ctx)
	require.NoError(t, err)
	require.Len(t, first[0].Hosts, 1)

	require.NoError(t, m.SetUnitData("reverseproxy:1", "web/1", map[string]string{"private-address": "10.0.0.2", "port": "8080"}))
	second, err := r.Services(ctx)
	require.NoError(t, err)
	assert.Len(t, second[0].Hosts, 2, "the fixed port shows")

	require.NoError(t, m.SetHook(toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:1", RemoteUnit: "web/0", DepartingUnit: "web/0"}))
	third, err := r.Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Host{{Hostname: "10.0.0.2", PrivateAddress: "10.0.0.2", Port: 8080}}, third[0].Hosts, "the new hook shows")

	require.NoError(t, m.RemoveUnit("reverseproxy:1", "web/1"))
	ok, err := r.Available(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Len(t, records(), 2+1+1+1, "each of the four reads logs what it reads")
}

func TestRequiresAnswersAreCopies(t *testing.T) {
	ctx := context.Background()
	r := httprelation.NewRequires(httprelationtest.New(t, twoBadKeys()), endpoint, httprelation.WithLogger(quiet))
	first, err := r.Services(ctx)
	require.NoError(t, err)
	first[0].Name = "changed"
	first[0].Hosts[0].Port = 1
	second, err := r.Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{{Hostname: "10.0.0.1", PrivateAddress: "10.0.0.1", Port: 80}}}}, second)
}

// flakyIDs fails RelationIDs until healed.
type flakyIDs struct {
	*httprelationtest.Model
	mu     sync.Mutex
	broken bool
}

func (f *flakyIDs) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	f.mu.Lock()
	broken := f.broken
	f.mu.Unlock()
	if broken {
		return nil, errors.New("agent unreachable")
	}
	return f.Model.RelationIDs(ctx, endpoint)
}

func TestRequiresFailedReadIsNotKept(t *testing.T) {
	ctx := context.Background()
	acc := &flakyIDs{Model: httprelationtest.New(t, twoBadKeys()), broken: true}
	r := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(quiet))
	_, err := r.Services(ctx)
	require.Error(t, err)
	ok, err := r.Available(ctx)
	require.Error(t, err, "the failure is not an empty answer")
	assert.False(t, ok)
	acc.mu.Lock()
	acc.broken = false
	acc.mu.Unlock()
	ok, err = r.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestRequiresConcurrentCallsShareOneRead(t *testing.T) {
	m := httprelationtest.New(t, twoBadKeys())
	r := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(quiet))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Services(context.Background())
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 3, m.CallCount("UnitData"))
}

// TestProvidesListsOncePerHook: Available and UpdateFlags share one
// listing, and an edited model is listed again.
func TestProvidesListsOncePerHook(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, website(toolsim.Hook{Name: "website-relation-joined", RelationID: "website:3", RemoteUnit: "lb/0"}))
	p := httprelation.NewProvides(m, "website")
	reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
	require.NoError(t, err)
	ok, err := p.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, p.UpdateFlags(ctx, reg))
	ok, err = p.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1, m.CallCount("RelationIDs"))
	assert.True(t, reg.Has("website.available"))

	require.NoError(t, m.SetHook(toolsim.Hook{Name: "website-relation-departed", RelationID: "website:12", RemoteUnit: "cdn/0", DepartingUnit: "cdn/0"}))
	require.NoError(t, m.RemoveUnit("website:3", "lb/0"))
	require.NoError(t, p.UpdateFlags(ctx, reg))
	assert.Equal(t, 2, m.CallCount("RelationIDs"), "listed again after the edits")
	assert.False(t, reg.Has("website.available"), "lb/0 gone, cdn/0 departing")
}
