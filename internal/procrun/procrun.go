// Package procrun runs a program to its end and collects what it printed,
// as the hook-tool simulator runs a charm's hooks and this module's tests
// run a charm outside any hook.
package procrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// Result is how one run of a program ended.
type Result struct {
	// ExitCode is the exit status, or -1 when a signal ended the process.
	ExitCode       int
	Stdout, Stderr string
}

// pipeGrace is how long Run waits, once the program has exited or been
// killed, for whatever it left running to close its output: a daemon
// started without redirecting its output would otherwise hold Run forever.
const pipeGrace = 5 * time.Second

// Run runs cmd, made with ctx (exec.CommandContext), to its end and
// collects its output. A failing exit status, or death by a signal, is a
// Result, not an error. The error is set only when the program could not
// be started, ctx ended before it did, or something it started kept its
// output open after it exited; the Result then holds what it printed.
func Run(ctx context.Context, cmd *exec.Cmd) (Result, error) {
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
