package httprelation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrDispatchLoop reports handlers that kept changing flags for more
// passes than Dispatch allows.
var ErrDispatchLoop = errors.New("handlers did not settle")

// maxPasses bounds Dispatch: handlers that keep inventing new flag states
// would otherwise never settle.
const maxPasses = 100

// HandlerFunc is the body of a handler registered with [Registry.When] or
// [Registry.WhenNot].
type HandlerFunc func(ctx context.Context) error

// handler is one registered handler and its condition.
type handler struct {
	name    string
	when    []string
	whenNot []string
	fn      HandlerFunc
}

// Condition collects the flags a handler waits for, like a stack of
// charms.reactive decorators. Build one with [Registry.When] or
// [Registry.WhenNot] and finish it with [Condition.Do].
type Condition struct {
	r       *Registry
	when    []string
	whenNot []string
}

// When starts a condition that holds while all of flags are set:
// r.When("website.available").Do("configure", fn) is the Go form of
// @when('website.available').
func (r *Registry) When(flags ...string) Condition {
	return Condition{r: r}.When(flags...)
}

// WhenNot starts a condition that holds while none of flags are set.
func (r *Registry) WhenNot(flags ...string) Condition {
	return Condition{r: r}.WhenNot(flags...)
}

// When adds flags that must all be set.
func (c Condition) When(flags ...string) Condition {
	// Concat copies, so conditions derived from a shared prefix never
	// write into each other's slices.
	c.when = slices.Concat(c.when, flags)
	return c
}

// WhenNot adds flags that must all be clear.
func (c Condition) WhenNot(flags ...string) Condition {
	c.whenNot = slices.Concat(c.whenNot, flags)
	return c
}

// Do registers fn under name to run from [Registry.Dispatch] while the
// condition holds. Handlers run in registration order; name labels the
// handler's errors.
func (c Condition) Do(name string, fn HandlerFunc) error {
	if c.r == nil {
		return fmt.Errorf("handler %q: condition not made by a Registry", name)
	}
	if fn == nil {
		return fmt.Errorf("handler %q: nil function", name)
	}
	for _, flag := range slices.Concat(c.when, c.whenNot) {
		if err := validateFlag(flag); err != nil {
			return fmt.Errorf("handler %q: %w", name, err)
		}
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.handlers = append(c.r.handlers, handler{name: name, when: c.when, whenNot: c.whenNot, fn: fn})
	return nil
}

// ready reports whether h's condition holds for the flags in set.
func (h handler) ready(set map[string]bool) bool {
	for _, f := range h.when {
		if !set[f] {
			return false
		}
	}
	for _, f := range h.whenNot {
		if set[f] {
			return false
		}
	}
	return true
}

// Dispatch runs the handlers whose conditions hold, in registration order,
// and repeats the round while a round changed any flag, so handlers react
// to the flags earlier ones set. A handler runs at most once for each
// distinct set of flags, so flags that return to an earlier state do not
// re-trigger it. The first handler error stops Dispatch; a round limit of
// 100 turns runaway handlers into ErrDispatchLoop.
//
// Dispatch does not save: call [Registry.Save] once the hook succeeded.
func (r *Registry) Dispatch(ctx context.Context) error {
	r.mu.Lock()
	handlers := slices.Clone(r.handlers)
	r.mu.Unlock()

	ran := make([]map[string]bool, len(handlers))
	for range maxPasses {
		changed := false
		for i, h := range handlers {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("dispatch: %w", err)
			}
			before, set := r.flagState()
			if !h.ready(set) || ran[i][before] {
				continue
			}
			if ran[i] == nil {
				ran[i] = map[string]bool{}
			}
			ran[i][before] = true
			if err := h.fn(ctx); err != nil {
				return fmt.Errorf("handler %d %q: %w", i, h.name, err)
			}
			if after, _ := r.flagState(); after != before {
				changed = true
			}
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("%w: flags still changing after %d rounds", ErrDispatchLoop, maxPasses)
}

// flagState returns the set flags as one comparable string (flag names
// hold no whitespace, so a newline separates them unambiguously) and as a
// set.
func (r *Registry) flagState() (string, map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	flags := r.listLocked()
	set := make(map[string]bool, len(flags))
	for _, f := range flags {
		set[f] = true
	}
	return strings.Join(flags, "\n"), set
}
