package toolsim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// HookRun is one hook an event fired, and how the charm ended.
type HookRun struct {
	Hook Hook
	// Result is how the charm's process ended; zero for a hook run
	// in-process (package httprelationtest).
	Result Result
}

// HookRuns are the hooks an event fired, in order, as [Sim.Fire] and
// httprelationtest's Harness.Fire return them.
type HookRuns []HookRun

// Names returns the names of the hooks run, in order: what a test
// compares with the hooks it expects Juju to fire.
func (rs HookRuns) Names() []string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Hook.Name)
	}
	return names
}

// HookError reports a hook that failed: a charm process that exited with
// a status other than 0, or, for a hook run in-process (package
// httprelationtest), Go code that returned an error. As in Juju, what the
// hook wrote to relations and to the charm state was discarded, and the
// event went no further.
type HookError struct {
	Hook Hook
	// Result is how the charm's process ended; zero for a hook run
	// in-process.
	Result Result
	// Err is what the code of a hook run in-process returned; nil for a
	// process, whose Result says how it ended.
	Err error
}

// maxErrorOutput caps how much of a failed hook's stderr an error quotes.
const maxErrorOutput = 1024

// Error implements error: "hook NAME: ERR" for a hook run in-process,
// else the exit status and the end of the charm's stderr, where the
// reason usually is.
func (e *HookError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("hook %s: %v", e.Hook.Name, e.Err)
	}
	out := strings.TrimSpace(e.Result.Stderr)
	if len(out) > maxErrorOutput {
		out = "..." + out[len(out)-maxErrorOutput:]
	}
	return fmt.Sprintf("hook %s: exit status %d: %s", e.Hook.Name, e.Result.ExitCode, out)
}

// Unwrap returns Err, the error of a hook run in-process.
func (e *HookError) Unwrap() error { return e.Err }

// Fire makes ev happen as Juju would and runs charm (a hook binary, or a
// dispatch script) for every hook Juju fires for it, in Juju's order (see
// [Event]): the model file changes before each hook as the controller's
// would, the charm runs as a process with the hook's environment, and
// what it wrote is kept only when it exits 0. The environment is the
// Sim's hook variables with those of the hook laid over them (see
// [Model.HookEnv]); the Sim then stays in the last hook, for Run and
// Environ, unless that hook named a unit or relation the event took away
// (depart, remove-relation): then it is in no hook.
//
// Fire returns the hooks run (their Names are what a test usually
// asserts). The first that fails stops the event and is returned again
// as a *HookError, the model left as that hook found it (a departing unit
// stays until its relation-departed succeeds). An event that does not fit
// the model is an error wrapping ErrInvalidModel, and runs nothing.
func (s *Sim) Fire(ctx context.Context, charm string, ev Event) (HookRuns, error) {
	m, err := s.Model()
	if err != nil {
		return nil, fmt.Errorf("fire %s: %w", ev, err)
	}
	steps, err := ev.Steps(m)
	if err != nil {
		return nil, err
	}
	// The hook runs from the charm directory, so a relative path would
	// name another file.
	if charm, err = filepath.Abs(charm); err != nil {
		return nil, fmt.Errorf("fire %s: %w", ev, err)
	}
	var runs HookRuns
	for _, step := range steps {
		before, err := s.update(step.Before)
		if err != nil {
			return runs, fmt.Errorf("fire %s: %w", ev, err)
		}
		res, err := s.runHook(ctx, before, charm)
		runs = append(runs, HookRun{Hook: step.Hook, Result: res})
		if err != nil || res.ExitCode != 0 {
			if rerr := s.restoreWrites(before); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if err != nil {
				return runs, fmt.Errorf("fire %s: hook %s: %w", ev, step.Hook.Name, err)
			}
			return runs, &HookError{Hook: step.Hook, Result: res}
		}
		if step.after == nil {
			continue // nothing changes once this hook succeeded
		}
		after, err := s.update(step.After)
		if err != nil {
			return runs, fmt.Errorf("fire %s: %w", ev, err)
		}
		if after.Hook == (Hook{}) {
			s.leaveHook()
		}
	}
	return runs, nil
}

// leaveHook drops the hook variables once the model is in no hook (the
// unit or relation a hook named is gone), so that Run and Environ do not
// name what is no longer there.
func (s *Sim) leaveHook() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range hookVars {
		delete(s.hookEnv, k)
	}
}

// runHook runs charm in the hook of m and makes that hook the Sim's.
func (s *Sim) runHook(ctx context.Context, m *Model, charm string) (Result, error) {
	s.mu.Lock()
	env := maps.Clone(s.hookEnv)
	if env == nil {
		env = map[string]string{}
	}
	for _, k := range append(slices.Clone(hookVars), "JUJU_UNIT_NAME") {
		delete(env, k)
	}
	for k, v := range m.HookEnv() {
		if _, set := env[k]; set && modelVars[k] != "" {
			continue // the test chose its own model or Juju version
		}
		env[k] = v
	}
	s.hookEnv = env
	path := s.pathLocked()
	s.mu.Unlock()
	cmd := exec.CommandContext(ctx, charm)
	cmd.Env = s.environ(env, path)
	if dir := env["JUJU_CHARM_DIR"]; dir != "" {
		cmd.Dir = dir // Juju runs hooks from the charm directory
	}
	return run(ctx, cmd)
}
