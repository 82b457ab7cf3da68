package httprelation_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// How a charm may call the view: twice in a hook, from goroutines, on the
// wrong side.

// TestViewOpenedTwiceInOneHook: a charm that opens the endpoint twice in
// a hook, with one Registry, gets the same answer from both; the second
// reads at most the hook's unit again, and one Save keeps a view the
// next hook uses.
func TestViewOpenedTwiceInOneHook(t *testing.T) {
	for _, h := range []toolsim.Hook{changed("reverseproxy:1", "web/1"), plainHook("upgrade-charm"), plainHook("config-changed")} {
		w, state := warmWorld(t)
		if h.RemoteUnit != "" {
			w.setUnit("reverseproxy:1", "web/1", backendBag("10.0.0.21", "81"))
		}
		m := w.model(t, h)
		store := &httprelation.MemoryStore{}
		require.NoError(t, store.Save(context.Background(), state))
		reg, err := httprelation.NewRegistry(context.Background(), store)
		require.NoError(t, err)
		var answers [2][]httprelation.Service
		var reads [2]int
		for i := range answers {
			m.ResetCalls()
			req := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(silent),
				httprelation.WithIncrementalView(reg, httprelation.WithClock(func() time.Time { return t0 })))
			answers[i], err = req.Services(context.Background())
			require.NoError(t, err)
			reads[i] = m.CallCount(httprelationtest.CallUnitData)
		}
		assert.Equal(t, answers[0], answers[1], h.Name)
		assert.Equal(t, w.fullRead(t, h), answers[1], h.Name)
		if h.RemoteUnit != "" {
			assert.Equal(t, 1, reads[1], "%s: the hook's unit again", h.Name)
		}
		require.NoError(t, reg.Save(context.Background()))
		saved, err := store.Load(context.Background())
		require.NoError(t, err)
		next := w.run(t, saved, viewHook{hook: plainHook("config-changed"), now: t0})
		assert.Empty(t, next.reads, h.Name)
		assert.Equal(t, w.fullRead(t, plainHook("config-changed")), next.services, h.Name)
	}
}

// TestViewConcurrentCalls: Services, Available and UpdateFlags of two
// endpoints' Requires, and a second Requires of one of them, called from
// goroutines over one Registry, agree with a full read and leave a view
// the next hook uses (run with -race).
func TestViewConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	m := scenarioModel(t)
	c := newViewCharm(t, "reverseproxy", "reverseproxy-admin")
	c.fire(m, toolsim.AddRelation("reverseproxy:4", "web", "website"))
	c.fire(m, toolsim.AddRelation("reverseproxy-admin:5", "api", "admin"))
	for _, u := range []string{"web/0", "web/1", "web/2"} {
		require.NoError(t, m.SetHook(plainHook("")))
		require.NoError(t, m.SetUnitData("reverseproxy:4", u, backendBag("10.0.4."+u[4:], "80")))
	}
	require.NoError(t, m.SetUnitData("reverseproxy-admin:5", "api/0", backendBag("10.0.5.1", "9000")))
	require.NoError(t, m.SetHook(changed("reverseproxy:4", "web/1")))

	reg, err := httprelation.NewRegistry(ctx, m)
	require.NoError(t, err)
	open := func(ep string) *httprelation.Requires {
		return httprelation.NewRequires(m, ep, httprelation.WithLogger(silent), httprelation.WithIncrementalView(reg))
	}
	reqs := []*httprelation.Requires{open("reverseproxy"), open("reverseproxy"), open("reverseproxy-admin")}
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(reqs)*4)
	answers := make([][]httprelation.Service, len(reqs)*4)
	for i, req := range reqs {
		for k := range 4 {
			wg.Add(3)
			go func() {
				defer wg.Done()
				var err error
				answers[i*4+k], err = req.Services(ctx)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := req.Available(ctx)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				errs <- req.UpdateFlags(ctx, reg)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i, req := range reqs {
		full, err := httprelation.NewRequires(m, req.Endpoint(), httprelation.WithLogger(silent)).Services(ctx)
		require.NoError(t, err)
		for k := range 4 {
			assert.Equal(t, full, answers[i*4+k], req.Endpoint())
		}
	}
	require.NoError(t, reg.Save(ctx))
	c.run(m, plainHook("config-changed"))
	assert.Empty(t, c.reads, "the view saved by the concurrent hook is whole")
}

// TestViewHasNoEffectOnProvides: the option given to a Provides changes
// neither its calls nor its answers, and keeps nothing in the Registry.
func TestViewHasNoEffectOnProvides(t *testing.T) {
	ctx := context.Background()
	world := &toolsim.Model{Unit: "web/0", PrivateAddress: "10.0.0.9", Relations: map[string]toolsim.Relation{
		"website:3": {RemoteApp: "haproxy", Units: map[string]map[string]string{"haproxy/0": {"private-address": "10.0.1.1"}}},
	}}
	run := func(opts ...httprelation.Option) (bool, []httprelationtest.Call, map[string]string) {
		m := httprelationtest.New(t, world)
		reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
		require.NoError(t, err)
		p := httprelation.NewProvides(m, "website", append(opts, httprelation.WithLogger(silent))...)
		require.NoError(t, p.Configure(ctx, 8080))
		ok, err := p.Available(ctx)
		require.NoError(t, err)
		require.NoError(t, p.UpdateFlags(ctx, reg))
		require.NoError(t, reg.Save(ctx))
		return ok, m.Calls(), m.Local("website:3")
	}
	store := &httprelation.MemoryStore{}
	reg, err := httprelation.NewRegistry(ctx, store)
	require.NoError(t, err)
	plainOK, plainCalls, plainBag := run()
	viewOK, viewCalls, viewBag := run(httprelation.WithIncrementalView(reg))
	assert.True(t, plainOK)
	assert.Equal(t, plainOK, viewOK)
	assert.Equal(t, plainCalls, viewCalls)
	assert.Equal(t, plainBag, viewBag)
	require.NoError(t, reg.Save(ctx))
	kept, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Empty(t, kept)
}
