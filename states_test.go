package httprelation

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/statekey"
)

// The Registry: flags, change detection, what Save writes, the stores,
// and the handlers Dispatch runs (dispatch.go).

// recordingStore wraps a MemoryStore and keeps every Save's changes, to
// check what the registry writes.
type recordingStore struct {
	MemoryStore
	saves   []map[string]string
	failing error
}

func (s *recordingStore) Save(ctx context.Context, changes map[string]string) error {
	if s.failing != nil {
		return s.failing
	}
	s.saves = append(s.saves, changes)
	return s.MemoryStore.Save(ctx, changes)
}

func TestRegistrySetClearList(t *testing.T) {
	ctx := context.Background()
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	assert.Empty(t, r.List())

	require.NoError(t, r.Set("website.available"))
	require.NoError(t, r.Set("a.first"))
	require.NoError(t, r.Set("website.available"))
	assert.Equal(t, []string{"a.first", "website.available"}, r.List())
	assert.True(t, r.Has("website.available"))
	assert.False(t, r.Has("website.configured"))

	require.NoError(t, r.Clear("website.available"))
	require.NoError(t, r.Clear("never.set"))
	assert.False(t, r.Has("website.available"))
	assert.Equal(t, []string{"a.first"}, r.List())
}

func TestRegistryInvalidFlags(t *testing.T) {
	tests := []struct {
		name string
		flag string
	}{
		{"empty", ""},
		{"space", "website available"},
		{"tab", "website\tavailable"},
		{"newline", "website.available\n"},
		{"control", "a\x00b"},
		{"non-ASCII", "sité.available"},
		{"DEL", "a\x7f"},
		{"too long", strings.Repeat("x", 201)},
		{"equals", "a=b"},
		{"dots over Juju's escaped key limit", strings.Repeat("x.", 25) + strings.Repeat("x", 150)},
	}
	r, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, r.Set(tt.flag), ErrInvalidFlag)
			require.ErrorIs(t, r.Clear(tt.flag), ErrInvalidFlag)
			require.ErrorIs(t, r.When(tt.flag).Do("h", func(context.Context) error { return nil }), ErrInvalidFlag)
			require.ErrorIs(t, r.WhenNot(tt.flag).Do("h", func(context.Context) error { return nil }), ErrInvalidFlag)
			_, err := r.Changed(tt.flag, 1)
			require.ErrorIs(t, err, ErrInvalidFlag)
			assert.False(t, r.Has(tt.flag))
		})
	}
	assert.Empty(t, r.List())
	require.NoError(t, r.Set(strings.Repeat("x", 200)), "200 bytes is the limit, inclusive")
	// validateFlag checks the escaped size with flagPrefix only.
	assert.Equal(t, statekey.Size(flagPrefix), statekey.Size(hashPrefix))
	require.NoError(t, r.Set("all-printable-but-equals!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~"))
}

func TestRegistrySaveWritesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	store := &recordingStore{}
	require.NoError(t, store.MemoryStore.Save(ctx, map[string]string{
		"flag.old":    "1",
		"flag.kept":   "1",
		"other.state": "untouched",
	}))
	r, err := NewRegistry(ctx, store)
	require.NoError(t, err)

	require.NoError(t, r.Save(ctx))
	assert.Empty(t, store.saves, "nothing changed, nothing written")

	require.NoError(t, r.Set("new"))
	require.NoError(t, r.Set("kept"))
	require.NoError(t, r.Clear("old"))
	require.NoError(t, r.Save(ctx))
	require.Len(t, store.saves, 1)
	assert.Equal(t, map[string]string{"flag.new": "1", "flag.old": ""}, store.saves[0])

	require.NoError(t, r.Save(ctx))
	assert.Len(t, store.saves, 1, "a second Save has nothing left to write")

	data, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"flag.new": "1", "flag.kept": "1", "other.state": "untouched"}, data)
}

func TestRegistrySaveFailureKeepsChanges(t *testing.T) {
	ctx := context.Background()
	store := &recordingStore{failing: errors.New("state-set exploded")}
	r, err := NewRegistry(ctx, store)
	require.NoError(t, err)
	require.NoError(t, r.Set("pending"))
	require.ErrorContains(t, r.Save(ctx), "state-set exploded")

	store.failing = nil
	require.NoError(t, r.Save(ctx))
	require.Len(t, store.saves, 1)
	assert.Equal(t, map[string]string{"flag.pending": "1"}, store.saves[0])
}

func TestNewRegistryErrors(t *testing.T) {
	_, err := NewRegistry(context.Background(), nil)
	require.Error(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = NewRegistry(ctx, &MemoryStore{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestRegistryIgnoresForeignKeys(t *testing.T) {
	ctx := context.Background()
	store := &MemoryStore{}
	require.NoError(t, store.Save(ctx, map[string]string{
		"flag.ok":         "1",
		"flag.bad name":   "1",
		"hash.something":  "abc",
		"unrelated.thing": "x",
	}))
	r, err := NewRegistry(ctx, store)
	require.NoError(t, err)
	assert.Equal(t, []string{"ok"}, r.List())
	assert.False(t, r.Has("bad name"))
}

func TestRegistryConcurrentUse(t *testing.T) {
	ctx := context.Background()
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flag := fmt.Sprintf("worker.%d", i)
			assert.NoError(t, r.Set(flag))
			assert.True(t, r.Has(flag))
			_, err := r.Changed(flag, i)
			assert.NoError(t, err)
			_ = r.List()
			assert.NoError(t, r.Save(ctx))
		}()
	}
	wg.Wait()
	assert.Len(t, r.List(), 16)
	r2, err := NewRegistry(ctx, r.store)
	require.NoError(t, err)
	assert.Len(t, r2.List(), 16, "every Set reached the store")
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	var s MemoryStore
	data, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Empty(t, data)

	require.NoError(t, s.Save(ctx, map[string]string{"a": "1", "b": "2"}))
	require.NoError(t, s.Save(ctx, map[string]string{"a": "", "c": "3"}))
	data, err = s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"b": "2", "c": "3"}, data)

	data["b"] = "mutated"
	again, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "2", again["b"], "Load returns a copy")
}

func TestChanged(t *testing.T) {
	services := func() []Service {
		return []Service{{Name: "web", Hosts: []Host{{Hostname: "10.0.0.1", PrivateAddress: "10.0.0.1", Port: 8080}}}}
	}
	other := []Service{{Name: "web", Hosts: []Host{{Hostname: "10.0.0.2", PrivateAddress: "10.0.0.2", Port: 8080}}}}

	steps := []struct {
		name  string
		key   string
		value any
		want  bool
	}{
		{"first call", "services", services(), true},
		{"equal value, new slice", "services", services(), false},
		{"different value", "services", other, true},
		{"same again", "services", other, false},
		{"back to the first", "services", services(), true},
		{"other key is independent", "config", services(), true},
		{"maps compare by content", "map", map[string]int{"a": 1, "b": 2}, true},
		{"map in another order", "map", map[string]int{"b": 2, "a": 1}, false},
		{"nil", "nil", nil, true},
		{"nil again", "nil", nil, false},
	}
	r, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	for _, s := range steps {
		got, err := r.Changed(s.key, s.value)
		require.NoError(t, err, s.name)
		assert.Equal(t, s.want, got, s.name)
	}
}

func TestChangedUnencodable(t *testing.T) {
	r, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	for _, v := range []any{make(chan int), math.NaN(), func() {}} {
		_, err := r.Changed("bad", v)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"bad"`)
	}
	// A failed encoding records nothing.
	changed, err := r.Changed("bad", 1)
	require.NoError(t, err)
	assert.True(t, changed)
}

// TestValidateFlagErrorsAreShort: a huge or hostile name is quoted and
// cut in the error, never copied whole.
func TestValidateFlagErrorsAreShort(t *testing.T) {
	for _, name := range []string{strings.Repeat("x", 1<<20), "a\nFAKE LOG LINE", strings.Repeat(".", 150)} {
		err := validateFlag(name)
		require.ErrorIs(t, err, ErrInvalidFlag)
		assert.Less(t, len(err.Error()), 300, "%.40q", name)
		assert.NotContains(t, err.Error(), "\n")
	}
}

func TestDispatchOrderAndChaining(t *testing.T) {
	ctx := context.Background()
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	var calls []string
	handle := func(name string, then func() error) HandlerFunc {
		return func(context.Context) error {
			calls = append(calls, name)
			if then != nil {
				return then()
			}
			return nil
		}
	}
	// "configure" is registered first but waits for a flag that "install"
	// sets later in the same pass, so it runs in the second pass.
	require.NoError(t, r.When("installed").WhenNot("configured").Do("configure",
		handle("configure", func() error { return r.Set("configured") })))
	require.NoError(t, r.WhenNot("installed").Do("install",
		handle("install", func() error { return r.Set("installed") })))
	require.NoError(t, r.When("installed", "configured").Do("ready", handle("ready", nil)))
	require.NoError(t, r.When("never").Do("never", handle("never", nil)))

	require.NoError(t, r.Dispatch(ctx))
	assert.Equal(t, []string{"install", "configure", "ready"}, calls)
	assert.Equal(t, []string{"configured", "installed"}, r.List())

	// A second Dispatch starts afresh: handlers whose conditions hold run
	// again once.
	calls = nil
	require.NoError(t, r.Dispatch(ctx))
	assert.Equal(t, []string{"ready"}, calls)
}

func TestDispatchOncePerFlagState(t *testing.T) {
	ctx := context.Background()
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	runs := map[string]int{}
	// "toggle" flips a flag on every run and "watch" runs under any
	// state. The flags oscillate, but once each handler has run under both
	// states nothing is left to run, so Dispatch settles.
	require.NoError(t, r.When().Do("toggle", func(context.Context) error {
		runs["toggle"]++
		if r.Has("x") {
			return r.Clear("x")
		}
		return r.Set("x")
	}))
	require.NoError(t, r.When().Do("watch", func(context.Context) error {
		runs["watch"]++
		return nil
	}))
	require.NoError(t, r.Dispatch(ctx))
	assert.Equal(t, map[string]int{"toggle": 2, "watch": 2}, runs)
}

func TestDispatchLoopBound(t *testing.T) {
	ctx := context.Background()
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	n := 0
	require.NoError(t, r.When().Do("counter", func(context.Context) error {
		n++
		return r.Set(fmt.Sprintf("count.%d", n))
	}))
	err = r.Dispatch(ctx)
	require.ErrorIs(t, err, ErrDispatchLoop)
	assert.Equal(t, 100, n)
}

func TestDispatchHandlerError(t *testing.T) {
	ctx := context.Background()
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	boom := errors.New("boom")
	var calls []string
	require.NoError(t, r.When().Do("first", func(context.Context) error {
		calls = append(calls, "first")
		return nil
	}))
	require.NoError(t, r.When().Do("broken", func(context.Context) error {
		calls = append(calls, "broken")
		return boom
	}))
	require.NoError(t, r.When().Do("after", func(context.Context) error {
		calls = append(calls, "after")
		return nil
	}))
	err = r.Dispatch(ctx)
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), `handler 1 "broken"`)
	assert.Equal(t, []string{"first", "broken"}, calls)
}

func TestDispatchCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := NewRegistry(ctx, &MemoryStore{})
	require.NoError(t, err)
	ran := false
	require.NoError(t, r.When().Do("h", func(context.Context) error { ran = true; return nil }))
	cancel()
	require.ErrorIs(t, r.Dispatch(ctx), context.Canceled)
	assert.False(t, ran)
}

func TestConditionDo(t *testing.T) {
	r, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	require.Error(t, r.When("a").Do("nil", nil))
	require.Error(t, Condition{}.Do("orphan", func(context.Context) error { return nil }))

	// Conditions built from one base must not share their flag slices.
	base := r.When("a", "b")
	c1 := base.When("c1")
	c2 := base.When("c2")
	assert.Equal(t, []string{"a", "b", "c1"}, c1.when)
	assert.Equal(t, []string{"a", "b", "c2"}, c2.when)
}
