package httprelation

import (
	"context"
	"slices"
	"sync"
)

// ChangeCounter is implemented by an [Accessor] whose answers can change
// while one [Requires] or [Provides] is in use, as an in-memory model that
// a test edits between two calls does (httprelationtest.Model implements
// it). ChangeCount must return a different number after every change to
// the relations, their data or the hook.
//
// Requires and Provides read once and answer later calls from that read,
// because they live for one hook and within a hook Juju serves one view of
// the relations (hooktools.Accessor caches it for the hook anyway). For a
// ChangeCounter they read again whenever ChangeCount differs from the
// read's.
type ChangeCounter interface {
	ChangeCount() uint64
}

// hookMemo keeps one successful answer, so that Services, Available and
// UpdateFlags, in any order and number, read and log bad remote entries
// once per hook.
type hookMemo[T any] struct {
	once sync.Once
	// turn holds a token while a caller checks the answer or loads it,
	// so that concurrent first calls share one read; unlike a mutex, it
	// can be waited for until the caller's context ends.
	turn  chan struct{}
	ok    bool
	count uint64
	val   T
}

// get returns the kept answer unless there is none or the accessor is a
// ChangeCounter whose count moved since; then it calls load and keeps a
// successful answer. A caller that finds another one loading waits for
// it, or for the end of its own context, whichever comes first.
func (m *hookMemo[T]) get(ctx context.Context, acc Accessor, load func(context.Context) (T, error)) (T, error) {
	m.once.Do(func() { m.turn = make(chan struct{}, 1) })
	select {
	case m.turn <- struct{}{}:
	default:
		select {
		case m.turn <- struct{}{}:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	defer func() { <-m.turn }()
	var count uint64
	if cc, ok := acc.(ChangeCounter); ok {
		count = cc.ChangeCount()
	}
	if m.ok && m.count == count {
		return m.val, nil
	}
	val, err := load(ctx)
	if err != nil {
		m.ok = false
		var zero T
		return zero, err
	}
	m.ok, m.count, m.val = true, count, val
	return val, nil
}

// cloneServices copies services deeply, so that a caller editing its
// answer cannot change what later calls in the hook return.
func cloneServices(services []Service) []Service {
	if services == nil {
		return nil
	}
	out := make([]Service, len(services))
	for i, s := range services {
		out[i] = Service{Name: s.Name, Hosts: slices.Clone(s.Hosts)}
	}
	return out
}
