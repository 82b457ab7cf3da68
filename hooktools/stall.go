package hooktools

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// stallSet remembers the tools whose call ran into the per-call deadline
// (WithTimeout) in one Unit, so that a tool that hung costs the hook one
// deadline however often the library asks for it: a later call of that
// tool fails at once (errStalled) instead of waiting out a deadline of
// its own. The library's loops carry on past a failed relation (the
// writes of Configure and Publish, Available's listings, Configure's
// ingress addresses), a read that failed is not kept and may be asked
// for again (the incremental view's prefetch, then Services), and a
// charm may call Services after UpdateFlags failed: without the set each
// of those would wait again.
//
// The tools of one Unit (its Accessor, Store and Logger) share one set,
// which NewUnit makes. A call that its caller's context ended, cancelled
// or past the caller's own deadline, is not a stall: the hook is ending,
// and the tool is not to blame.
type stallSet struct {
	mu    sync.Mutex
	tools map[string]bool
}

// errStalled is wrapped, with context.DeadlineExceeded, by the error of
// a call not run because an earlier call of the same tool in the Unit
// ran into the per-call deadline.
var errStalled = errors.New("not run: an earlier call of this tool in the hook ran past the per-call deadline")

// check fails, without running anything, when tool stalled earlier.
func (s *stallSet) check(tool string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tools[tool] {
		return fmt.Errorf("%s: %w: %w", tool, errStalled, context.DeadlineExceeded)
	}
	return nil
}

// note records that a call of tool ran into the per-call deadline.
func (s *stallSet) note(tool string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tools == nil {
		s.tools = make(map[string]bool)
	}
	s.tools[tool] = true
}
