package toolsim

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"

	"github.com/charmkit/httprelation/internal/procrun"
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
// and returns how it ended. As Juju does with a hook, it keeps what the
// program wrote to relations and to the charm state only when it exits 0
// (status and log lines stay either way). The error is set only when the program could
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

// run runs cmd, made with ctx, to its end and collects its output (see
// procrun.Run).
func run(ctx context.Context, cmd *exec.Cmd) (Result, error) {
	res, err := procrun.Run(ctx, cmd)
	return Result(res), err
}
