package httprelationtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/internal/simtool"
	"github.com/charmkit/httprelation/toolsim"
)

// Harness is an in-memory Juju unit serving a [toolsim.Model]: the hook
// tools answer from it in-process, as the simulator's processes answer
// from a model file. It is safe for concurrent use.
type Harness struct {
	t     testing.TB // nil for NewHarness
	mu    sync.Mutex
	model *toolsim.Model
	calls []Call
	// eventLog is where the log stood when the last Run or Fire began.
	eventLog int
}

// New is NewHarness for tests: it fails t at once when m is not valid.
func New(t testing.TB, m *toolsim.Model) *Harness {
	t.Helper()
	h, err := NewHarness(m)
	if err != nil {
		t.Fatalf("httprelationtest: %v", err)
	}
	h.t = t
	return h
}

// NewHarness returns a Harness serving a copy of m, which must pass
// [toolsim.Model.Validate]: a hook that names a relation or unit the
// model lacks is an error here, not an empty answer later.
func NewHarness(m *toolsim.Model) (*Harness, error) {
	if m == nil {
		return nil, fmt.Errorf("new harness: %w: nil model", toolsim.ErrInvalidModel)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("new harness: %w", err)
	}
	c := m.Clone()
	if c.Relations == nil {
		c.Relations = map[string]toolsim.Relation{}
	}
	if c.State == nil {
		c.State = map[string]string{}
	}
	return &Harness{model: c}, nil
}

// HookFunc is a charm's hook code: the work of one hook, given the unit it
// runs on. main runs it with the Unit of hooktools.NewUnit; tests run it
// with [Harness.Run] and [Harness.Fire].
type HookFunc func(ctx context.Context, u httprelation.Unit) error

// Unit is the unit a charm's code runs on in the model's current hook,
// as hooktools.NewUnit wires it in a real hook: hooktools' accessor,
// state store and juju-log logger over [Harness.Tools], with the hook's
// environment and the model's charm directory. What its Accessor reads is
// kept for the hook, as in Juju: take a new Unit after changing the model.
func (h *Harness) Unit() httprelation.Unit {
	h.mu.Lock()
	env := h.model.HookEnv()
	h.mu.Unlock()
	// NewUnit fails only outside a hook, and a valid model names its unit.
	unit, _ := hooktools.NewUnit(hooktools.WithRunner(h.Tools()), hooktools.WithEnv(hooktools.EnvFrom(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})))
	return unit
}

// Run runs fn as the model's hook, with [Harness.Unit]. As Juju does,
// what the hook writes to relations and to the charm state is kept only
// when fn succeeds; otherwise Run restores them and returns a
// *toolsim.HookError whose Err is fn's error.
// Reads within the hook see its own writes. Run one hook at a time, as
// Juju does.
func (h *Harness) Run(ctx context.Context, fn HookFunc) error {
	h.markEvent()
	return h.run(ctx, fn)
}

// markEvent notes where the log stands as an event begins, for Warnings.
func (h *Harness) markEvent() {
	h.mu.Lock()
	h.eventLog = len(h.model.Log)
	h.mu.Unlock()
}

// run is Run without marking the log: one hook of an event.
func (h *Harness) run(ctx context.Context, fn HookFunc) error {
	h.mu.Lock()
	before := h.model.Clone()
	hook := h.model.Hook
	h.mu.Unlock()
	if err := fn(ctx, h.Unit()); err != nil {
		h.mu.Lock()
		h.model.RestoreWrites(before)
		h.mu.Unlock()
		return &toolsim.HookError{Hook: hook, Err: err}
	}
	return nil
}

// Fire makes ev happen as Juju would (see [toolsim.Event]) and runs fn,
// with [Harness.Run], for every hook Juju fires for it, in Juju's order.
// It returns the hooks run (their Names are what a test usually asserts);
// it stops at the first that fails, whose *toolsim.HookError it returns, leaving
// the model as that hook found it. An event that does not fit the model
// (a unit joining twice, a relation it lacks) is an error wrapping
// toolsim.ErrInvalidModel and runs nothing.
func (h *Harness) Fire(ctx context.Context, ev toolsim.Event, fn HookFunc) (toolsim.HookRuns, error) {
	h.mu.Lock()
	steps, err := ev.Steps(h.model)
	h.mu.Unlock()
	if err != nil {
		return nil, err
	}
	h.markEvent()
	var run toolsim.HookRuns
	for _, s := range steps {
		h.mu.Lock()
		s.Before(h.model)
		h.mu.Unlock()
		run = append(run, toolsim.HookRun{Hook: s.Hook})
		if err := h.run(ctx, fn); err != nil {
			return run, err
		}
		h.mu.Lock()
		s.After(h.model)
		h.mu.Unlock()
	}
	return run, nil
}

// Tools returns a hooktools.Runner that runs the hook tools in-process
// against the model, answering as the simulator does (relation-get,
// config-get, status-set, state-get, juju-log, ...) for the model's hook.
// A failing tool returns a *hooktools.ToolError. Every call is recorded
// (see [Harness.Calls]).
func (h *Harness) Tools() hooktools.Runner { return toolRunner{h} }

type toolRunner struct{ h *Harness }

// Run implements hooktools.Runner.
func (r toolRunner) Run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", tool, err)
	}
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	r.h.mu.Lock()
	code := r.h.model.Call(nil, in, &stdout, &stderr, tool, args...)
	r.h.calls = append(r.h.calls, Call{Tool: tool, Args: slices.Clone(args), Exit: code, Stderr: stderr.String()})
	r.h.mu.Unlock()
	if code != 0 {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex("\n"+msg, "\nERROR "); i >= 0 {
			msg = msg[i+len("ERROR "):]
		}
		return nil, &hooktools.ToolError{Tool: tool, Args: args, ExitCode: code, Message: msg}
	}
	return stdout.Bytes(), nil
}

// Call is one hook-tool call a Harness answered.
type Call struct {
	Tool string
	Args []string
	// Exit is the tool's exit status and Stderr what it printed there.
	Exit   int
	Stderr string
}

// Calls returns the tool calls made so far, in order.
func (h *Harness) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// CallCount counts the calls made to tool, such as "relation-get". A
// name that is no Juju hook tool (an Accessor method's name, a typo)
// fails the test of a Harness from New, rather than count nothing
// forever; a Harness from NewHarness counts 0 for it.
func (h *Harness) CallCount(tool string) int {
	if !slices.Contains(simtool.Names(), tool) {
		if h.t != nil {
			h.t.Helper()
			h.t.Errorf("httprelationtest: CallCount(%q): not a hook tool; calls are counted by the tools' own names, such as \"relation-get\"", tool)
		}
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.calls {
		if c.Tool == tool {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls recorded so far.
func (h *Harness) ResetCalls() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = nil
}
