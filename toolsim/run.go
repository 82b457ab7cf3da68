package toolsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// Result is how one run of a program ended. A failing exit status is a
// result to assert on, not an error: charms report bad input that way.
type Result struct {
	// ExitCode is the exit status, or -1 when a signal ended the process.
	ExitCode       int
	Stdout, Stderr string
}

// Run runs binary (a path, or the name of a hook tool, which runs from
// Dir) with args in the simulated hook, with Environ as its environment,
// and returns how it ended. As Juju does with a hook, it keeps what the program wrote to
// relations and to the charm state only when it exits 0 (status and log
// lines stay either way). The error is set only when the program could
// not be started, ctx ended before it did, something it started kept its
// output open after it exited, or the model could not be read or
// restored; the Result then holds what it printed.
func (s *Sim) Run(ctx context.Context, binary string, args ...string) (Result, error) {
	before, err := s.Model()
	if err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", binary, err)
	}
	res, err := run(ctx, s.command(ctx, binary, args...))
	if res.ExitCode != 0 || err != nil {
		err = errors.Join(err, s.restoreWrites(before))
	}
	return res, err
}

// restoreWrites discards what a failed hook wrote (see
// Model.RestoreWrites).
func (s *Sim) restoreWrites(before *Model) error {
	_, err := s.update(func(m *Model) { m.RestoreWrites(before) })
	return err
}

// update changes the model file under the tools' lock and returns the
// model as changed.
func (s *Sim) update(change func(*Model)) (*Model, error) {
	var m *Model
	err := withLock(s.ModelPath, syscall.LOCK_EX, func() error {
		var err error
		if m, err = readModelFile(s.ModelPath); err != nil {
			return err
		}
		change(m)
		return writeModelFile(s.ModelPath, m)
	})
	if err != nil {
		return nil, fmt.Errorf("update model: %w", err)
	}
	return m, nil
}

// RunEnv is Run outside any simulated hook, with env as the program's
// whole environment: for how a charm behaves when it is not in a hook, or
// when its tools are missing.
func RunEnv(ctx context.Context, env []string, binary string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	return run(ctx, cmd)
}

// pipeGrace is how long run waits, once the program has exited or been
// killed, for whatever it left running to close its output: a daemon
// started without redirecting its output would otherwise hold run forever.
const pipeGrace = 5 * time.Second

// run runs cmd, made with ctx, to its end and collects its output.
func run(ctx context.Context, cmd *exec.Cmd) (Result, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = pipeGrace
	err := cmd.Run()
	res := Result{ExitCode: -1, Stdout: stdout.String(), Stderr: stderr.String()}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	// A process killed because ctx ended looks like any killed process;
	// only ctx tells them apart.
	if ctxErr := ctx.Err(); ctxErr != nil && res.ExitCode < 0 {
		return res, fmt.Errorf("run %s: %w", cmd.Path, ctxErr)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return res, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	return res, nil
}
