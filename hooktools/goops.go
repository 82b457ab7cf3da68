package hooktools

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// GoopsRunner is the runner of the goops charm framework
// (github.com/gruyaume/goops, commands.CommandRunner): no context, no
// stdin. Its HookCommand fails with
// fmt.Errorf("command %s failed: %s: %w", name, stderr, *exec.ExitError).
type GoopsRunner interface {
	Run(name string, args ...string) ([]byte, error)
}

// FromGoops adapts a goops runner, so that a goops charm and this package
// share one way of running tools (and goops's test doubles):
//
//	unit, err := hooktools.NewUnit(hooktools.WithRunner(hooktools.FromGoops(runner)))
//
// Such a runner cannot feed stdin: Run returns ErrStdinUnsupported, and
// relation-set and state-set then get key=value arguments, which carry
// newlines and '=' fine (no shell is involved) but are limited by Linux to
// 128 KiB each; a longer value fails with ErrArgTooLong.
//
// The relation goes to every tool as one argument, -r=endpoint:N, and
// relation-ids gets the endpoint first, which is how goops' test doubles
// (goopstest) parse them; Juju accepts both spellings. goopstest does not
// fit the unit's Store (its state-get wants a key) or its Logger (its
// juju-log wants --log-level=): replace them with an
// httprelation.MemoryStore and a logger of your own.
//
// Nor can it be cancelled: when ctx ends first, Run returns ctx's error
// at once and the tool's goroutine finishes in the background. And it
// reads a tool's output whole: the caps on output (httprelation.MaxBagBytes,
// MaxOutput) are applied once it returns, so they bound what the
// accessor keeps but not what goops reads.
func FromGoops(r GoopsRunner) Runner {
	return goopsRunner{r: r}
}

type goopsRunner struct {
	r GoopsRunner
}

func (g goopsRunner) Run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	if stdin != nil {
		return nil, ErrStdinUnsupported
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := g.r.Run(tool, args...)
		done <- result{out, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, goopsError(tool, args, res.err)
		}
		return res.out, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", tool, ctx.Err())
	}
}

// goopsError turns a goops runner's error into this package's: the exit
// code from a wrapped *exec.ExitError, else from a trailing "exit status
// N", else 1 (goops's test doubles carry none); the message from the text
// between goops's "command X failed: " prefix and the exit status.
func goopsError(tool string, args []string, err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("%w: %s: %w", ErrNotInHook, tool, err)
	}
	msg := strings.TrimPrefix(err.Error(), "command "+tool+" failed: ")
	code := 1
	if i := strings.LastIndex(msg, ": exit status "); i >= 0 {
		if n, convErr := strconv.Atoi(msg[i+len(": exit status "):]); convErr == nil {
			code, msg = n, msg[:i]
		}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	}
	return &ToolError{Tool: tool, Args: args, ExitCode: code, Message: toolMessage(msg)}
}
