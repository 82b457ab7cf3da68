package httprelation_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

// A Requires or Provides lives for one hook: it reads (or lists) once,
// answers every later call of the hook from that read, shares it between
// concurrent callers, keeps no failure, and never outlives its caller's
// context. The next hook opens a new unit, which reads again.

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
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			m, acc := serve(t, twoBadKeys())
			asked := &asking{Accessor: acc}
			logger, records := captureLog(t)
			r := httprelation.NewRequires(asked, endpoint, httprelation.WithLogger(logger))
			reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
			require.NoError(t, err)
			for _, name := range order {
				calls[name](t, r, reg)
			}
			assert.Len(t, asked.bags(), 3, "one read of each unit")
			assert.Equal(t, 1, asked.count("RelationIDs"))
			assert.Equal(t, 3, m.CallCount("relation-get"))
			assert.Equal(t, 1, m.CallCount("relation-ids"))
			assert.Len(t, records(), 2, "one warning per bad entry")
		})
	}
}

// TestNewRequiresSeesModelEdits: a Requires reads once per hook and never
// again, so a test that edits the model between two reads opens a new
// unit, and its Requires, after the edit; the first keeps its answer.
func TestNewRequiresSeesModelEdits(t *testing.T) {
	ctx := context.Background()
	m, acc := serve(t, twoBadKeys())
	logger, records := captureLog(t)
	open := func() *httprelation.Requires {
		return httprelation.NewRequires(m.Unit().Accessor, endpoint, httprelation.WithLogger(logger))
	}
	r := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(logger))
	first, err := r.Services(ctx)
	require.NoError(t, err)
	require.Len(t, first[0].Hosts, 1)

	require.NoError(t, m.SetUnitData("reverseproxy:1", "web/1", map[string]string{"private-address": "10.0.0.2", "port": "8080"}))
	second, err := open().Services(ctx)
	require.NoError(t, err)
	assert.Len(t, second[0].Hosts, 2, "the fixed port shows")
	again, err := r.Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, first, again, "the first Requires answers from its read")

	require.NoError(t, m.SetHook(toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:1", RemoteUnit: "web/0", DepartingUnit: "web/0"}))
	third, err := open().Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Host{{Hostname: "10.0.0.2", PrivateAddress: "10.0.0.2", Port: 8080}}, third[0].Hosts, "the new hook shows")

	require.NoError(t, m.RemoveUnit("reverseproxy:1", "web/1"))
	ok, err := open().Available(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Len(t, records(), 2+1+1+1, "each of the four reads logs what it reads")
}

func TestRequiresAnswersAreCopies(t *testing.T) {
	ctx := context.Background()
	r := httprelation.NewRequires(serveAccessor(t, twoBadKeys()), endpoint, httprelation.WithLogger(quiet))
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
	httprelation.Accessor
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
	return f.Accessor.RelationIDs(ctx, endpoint)
}

func TestRequiresFailedReadIsNotKept(t *testing.T) {
	ctx := context.Background()
	acc := &flakyIDs{Accessor: serveAccessor(t, twoBadKeys()), broken: true}
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
	m, acc := serve(t, twoBadKeys())
	asked := &asking{Accessor: acc}
	r := httprelation.NewRequires(asked, endpoint, httprelation.WithLogger(quiet))
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
	assert.Len(t, asked.bags(), 3, "one read of each unit")
	assert.Equal(t, 3, m.CallCount("relation-get"))
}

// blockedIDs is an accessor whose RelationIDs waits until released or
// until its caller's context ends: an agent that hangs.
type blockedIDs struct {
	httprelation.Accessor
	release chan struct{}
}

func (b blockedIDs) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	select {
	case <-b.release:
		return b.Accessor.RelationIDs(ctx, endpoint)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestCallerContextBoundsEveryCall: a call to Requires or
// Provides ends when its own context does, also while another call of
// the same hook is reading: it used to wait for that read, whatever its
// own deadline, up to that read's deadline.
func TestCallerContextBoundsEveryCall(t *testing.T) {
	world := &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{
		"reverseproxy:1": {RemoteApp: "web", Units: map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}}},
		"website:2":      {RemoteApp: "lb", Units: map[string]map[string]string{"lb/1": {}}},
	}}
	for _, side := range []string{"requires", "provides"} {
		t.Run(side, func(t *testing.T) {
			acc := blockedIDs{Accessor: serveAccessor(t, world), release: make(chan struct{})}
			available := httprelation.NewRequires(acc, "reverseproxy", httprelation.WithLogger(quiet)).Available
			if side == "provides" {
				available = httprelation.NewProvides(acc, "website", httprelation.WithLogger(quiet)).Available
			}
			first := make(chan error, 1)
			go func() {
				_, err := available(context.Background())
				first <- err
			}()
			time.Sleep(20 * time.Millisecond) // the first call is reading

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := available(ctx)
				done <- err
			}()
			select {
			case err := <-done:
				require.ErrorIs(t, err, context.DeadlineExceeded)
			case <-time.After(5 * time.Second):
				t.Fatal("a call outlived its context while another call read")
			}

			close(acc.release)
			require.NoError(t, <-first)
			ok, err := available(ctx) // answered from the first read, ended context or not
			require.NoError(t, err)
			assert.True(t, ok)
		})
	}
}

// TestProvidesListsOncePerHook: Available and UpdateFlags share one
// listing, and the Provides of the next hook lists the edited model again.
func TestProvidesListsOncePerHook(t *testing.T) {
	ctx := context.Background()
	m, acc := serve(t, website(toolsim.Hook{Name: "website-relation-joined", RelationID: "website:3", RemoteUnit: "lb/0"}))
	asked := &asking{Accessor: acc}
	p := httprelation.NewProvides(asked, "website")
	reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
	require.NoError(t, err)
	ok, err := p.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, p.UpdateFlags(ctx, reg))
	ok, err = p.Available(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 1, asked.count("RelationIDs"))
	assert.Equal(t, 1, m.CallCount("relation-ids"))
	assert.True(t, reg.Has("website.available"))

	require.NoError(t, m.SetHook(toolsim.Hook{Name: "website-relation-departed", RelationID: "website:12", RemoteUnit: "cdn/0", DepartingUnit: "cdn/0"}))
	require.NoError(t, m.RemoveUnit("website:3", "lb/0"))
	require.NoError(t, p.UpdateFlags(ctx, reg))
	assert.Equal(t, 1, asked.count("RelationIDs"), "a Provides never lists again")
	assert.True(t, reg.Has("website.available"), "it answers from its hook's listing")
	// The next hook opens a new unit, whose Provides lists again.
	require.NoError(t, httprelation.NewProvides(m.Unit().Accessor, "website").UpdateFlags(ctx, reg))
	assert.Equal(t, 2, m.CallCount("relation-ids"), "listed again after the edits")
	assert.False(t, reg.Has("website.available"), "lb/0 gone, cdn/0 departing")
}
