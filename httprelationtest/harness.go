package httprelationtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/toolsim"
)

// HookFunc is a charm's hook code: the work of one hook, given the unit it
// runs on. main runs it with a Unit of real hook tools; tests run it with
// [Model.Run] and [Model.Fire].
type HookFunc func(ctx context.Context, u httprelation.Unit) error

// HookError is a hook whose code failed. As in Juju, what it wrote to
// relations and to the charm state was discarded; its status and log
// lines stay.
type HookError struct {
	// Hook is the hook that failed.
	Hook toolsim.Hook
	// Err is what the hook's code returned.
	Err error
}

// Error implements error.
func (e *HookError) Error() string { return fmt.Sprintf("hook %s: %v", e.Hook.Name, e.Err) }

// Unwrap returns the hook code's error.
func (e *HookError) Unwrap() error { return e.Err }

// Unit is the unit a charm's code runs on, over m: m as its Accessor and
// Store, the model's charm directory, and a Logger whose records become
// juju-log lines of the model ([Model.Warnings]).
func (m *Model) Unit() httprelation.Unit {
	m.mu.Lock()
	dir := m.model.CharmDir
	m.mu.Unlock()
	return httprelation.Unit{Accessor: m, Store: m, CharmDir: dir, Logger: m.Logger()}
}

// Run runs fn as the model's hook, with [Model.Unit]. As Juju does, what
// the hook writes to relations and to the charm state is kept only when fn
// succeeds; otherwise Run restores them and returns a *HookError. Reads
// within the hook see its own writes. Run one hook at a time, as Juju
// does.
func (m *Model) Run(ctx context.Context, fn HookFunc) error {
	m.mu.Lock()
	before := m.model.Clone()
	hook := m.model.Hook
	m.mu.Unlock()
	if err := fn(ctx, m.Unit()); err != nil {
		m.mu.Lock()
		m.model.RestoreWrites(before)
		m.mu.Unlock()
		return &HookError{Hook: hook, Err: err}
	}
	return nil
}

// Fire makes ev happen as Juju would (see [toolsim.Event]) and runs fn,
// with [Model.Run], for every hook Juju fires for it, in Juju's order. It
// returns the hooks run (their Names are what a test usually asserts); it stops at the first that fails, whose
// *HookError it returns, leaving the model as that hook found it. An
// event that does not fit the model (a unit joining twice, a relation it
// lacks) is an error wrapping toolsim.ErrInvalidModel and runs nothing.
func (m *Model) Fire(ctx context.Context, ev toolsim.Event, fn HookFunc) (toolsim.HookRuns, error) {
	m.mu.Lock()
	steps, err := ev.Steps(m.model)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var run toolsim.HookRuns
	for _, s := range steps {
		m.mu.Lock()
		s.Before(m.model)
		m.changes++
		m.mu.Unlock()
		run = append(run, toolsim.HookRun{Hook: s.Hook})
		if err := m.Run(ctx, fn); err != nil {
			return run, err
		}
		m.mu.Lock()
		s.After(m.model)
		m.changes++
		m.mu.Unlock()
	}
	return run, nil
}

// Tools returns a hooktools.Runner that runs the hook tools in-process
// against m, answering as the simulator does (config-get, status-set,
// state-get, juju-log, relation-get, ...). Charms that call tools the
// Accessor does not cover get them in tests through it. A failing tool
// returns a *hooktools.ToolError. Calls are recorded under the tool's
// name.
func (m *Model) Tools() hooktools.Runner { return toolRunner{m} }

// Logger returns a logger whose records become juju-log lines of the
// model, formatted as hooktools.LogHandler formats them in a real hook,
// from slog.LevelInfo up.
func (m *Model) Logger() *slog.Logger {
	return slog.New(hooktools.NewLogHandler(m.Tools()))
}

type toolRunner struct{ m *Model }

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
	r.m.mu.Lock()
	r.m.record(tool, strings.Join(args, " "))
	code := r.m.model.Call(nil, in, &stdout, &stderr, tool, args...)
	r.m.mu.Unlock()
	if code != 0 {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex("\n"+msg, "\nERROR "); i >= 0 {
			msg = msg[i+len("ERROR "):]
		}
		return nil, &hooktools.ToolError{Tool: tool, Args: args, ExitCode: code, Message: msg}
	}
	return stdout.Bytes(), nil
}

// Log returns the juju-log lines, "LEVEL message", as the simulator
// records them: in a relation hook Juju prefixes the message with the
// relation id ("WARNING backends:1: ...").
func (m *Model) Log() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.model.Log...)
}

// Warnings returns the messages of the WARNING lines of [Model.Log]: the
// library's notes about remote data it skipped, among others.
func (m *Model) Warnings() []string {
	return Warnings(&toolsim.Model{Log: m.Log()})
}

// Status returns the workload status the charm set with status-set, or
// nil.
func (m *Model) Status() *toolsim.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.model.Status == nil {
		return nil
	}
	st := *m.model.Status
	return &st
}

// Flags returns the flags the charm state holds, as a Registry loaded
// from it lists them.
func (m *Model) Flags() ([]string, error) {
	return Flags(&toolsim.Model{State: m.State()})
}

// Flags returns the flags that the charm state of model holds, sorted, as
// a Registry loaded from it lists them: for a toolsim.Sim's model after a
// charm ran, or a Model's.
func Flags(model *toolsim.Model) ([]string, error) {
	ctx := context.Background()
	var store httprelation.MemoryStore
	if err := store.Save(ctx, model.State); err != nil {
		return nil, err
	}
	reg, err := httprelation.NewRegistry(ctx, &store)
	if err != nil {
		return nil, err
	}
	return reg.List(), nil
}

// Warnings returns the messages of model's WARNING juju-log lines.
func Warnings(model *toolsim.Model) []string {
	var out []string
	for _, line := range model.Log {
		if msg, ok := strings.CutPrefix(line, "WARNING "); ok {
			out = append(out, msg)
		}
	}
	return out
}
