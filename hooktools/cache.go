package hooktools

import (
	"context"
	"sync"
)

// memo remembers the successful result of one load per key for the life
// of an accessor (one hook). Concurrent callers of the same key share one
// load; a failed load is forgotten so that a later call tries again, and
// so is a result that retain, when set, declines to keep.
type memo[V any] struct {
	mu      sync.Mutex
	entries map[string]*memoEntry[V]
	retain  func(V) bool
}

type memoEntry[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func (m *memo[V]) get(ctx context.Context, key string, load func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.entries == nil {
		m.entries = make(map[string]*memoEntry[V])
	}
	if e, ok := m.entries[key]; ok {
		m.mu.Unlock()
		select {
		case <-e.done:
			return e.val, e.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	e := &memoEntry[V]{done: make(chan struct{})}
	m.entries[key] = e
	m.mu.Unlock()

	e.val, e.err = load()
	if e.err != nil || (m.retain != nil && !m.retain(e.val)) {
		m.mu.Lock()
		if m.entries[key] == e {
			delete(m.entries, key)
		}
		m.mu.Unlock()
	}
	close(e.done)
	return e.val, e.err
}

// update replaces a loaded value by change(old). A key not loaded, or
// still loading, is forgotten instead, so the next get reads it afresh.
func (m *memo[V]) update(key string, change func(V) V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return
	}
	select {
	case <-e.done:
		if e.err == nil {
			done := make(chan struct{})
			close(done)
			m.entries[key] = &memoEntry[V]{done: done, val: change(e.val)}
			return
		}
	default:
	}
	delete(m.entries, key)
}

// forgetIf drops every key for which match is true.
func (m *memo[V]) forgetIf(match func(key string) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.entries {
		if match(key) {
			delete(m.entries, key)
		}
	}
}
