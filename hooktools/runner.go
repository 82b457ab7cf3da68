package hooktools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmkit/httprelation/internal/badchar"
)

// Runner executes one hook tool. It exists so that tests, simulators and
// other charm frameworks can stand in for the real tools.
type Runner interface {
	// Run runs tool with args, feeding stdin when it is not nil, and
	// returns what the tool printed on stdout. A tool that fails returns
	// a *ToolError; a tool that cannot be found returns an error wrapping
	// ErrNotInHook. A runner that cannot feed stdin returns
	// ErrStdinUnsupported without running anything, so that callers can
	// fall back to arguments.
	Run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error)
}

// ExecRunner runs hook tools as child processes, never through a shell.
// On Unix each tool leads a process group of its own, and a tool whose
// context ends (its deadline, a cancelled bulk read, a signal to the
// hook) is killed with its whole group, so nothing it started outlives
// it.
type ExecRunner struct {
	// Env, when not nil, is the whole environment of the tool, and the
	// tool is looked up in the PATH it holds rather than the process's
	// own PATH: a simulator's tool directory can then be used without
	// touching the test process.
	Env []string
}

// waitDelay bounds how long Run waits for a killed tool's output pipes:
// a grandchild that inherited them must not keep a hook hanging.
const waitDelay = time.Second

// maxStderr caps the stderr of a tool that is kept, from its start;
// Juju's messages are a line or two.
const maxStderr = 64 << 10

// Run implements Runner. It reads at most MaxOutput bytes of the tool's
// output: past that, the tool is killed and Run fails with
// ErrOutputTooLarge.
func (r ExecRunner) Run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	return r.runLimited(ctx, tool, args, stdin, MaxOutput)
}

// runLimited is Run with a cap of limit bytes of output.
func (r ExecRunner) runLimited(ctx context.Context, tool string, args []string, stdin []byte, limit int) ([]byte, error) {
	path, err := r.lookPath(tool)
	if err != nil {
		return nil, err
	}
	// toolCtx also ends when the output passes its cap.
	toolCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(toolCtx, path, args...)
	killGroupOnCancel(cmd)
	cmd.Env = r.Env
	cmd.WaitDelay = waitDelay
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	stdout := &limitedBuffer{limit: limit, stop: stop}
	stderr := &limitedBuffer{limit: maxStderr}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	err = cmd.Run()
	if stdout.over {
		return nil, errOutputTooLarge(tool, limit)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && err != nil {
		return nil, fmt.Errorf("%s: %w", tool, ctxErr)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		msg := toolMessage(string(stderr.buf))
		if msg == "" {
			// Killed by a signal, or died before saying why: "signal:
			// killed" beats an empty message.
			msg = exitErr.String()
		}
		return nil, &ToolError{Tool: tool, Args: args, ExitCode: exitErr.ExitCode(), Message: msg}
	}
	if err != nil {
		return nil, fmt.Errorf("running %s: %w", tool, err)
	}
	return stdout.buf, nil
}

// lookPath finds tool in the PATH of r.Env, or of the process when r.Env
// is nil (exec.Command would always use the process's). A tool that the
// PATH finds first through a relative entry is refused with
// ErrRelativePath, as exec.LookPath refuses it with exec.ErrDot: running
// whatever sits there, or skipping to a later entry, would both run
// something other than what a shell would.
func (r ExecRunner) lookPath(tool string) (string, error) {
	if strings.ContainsRune(tool, filepath.Separator) {
		return "", fmt.Errorf("%w: %s: tool names carry no directory", ErrNotInHook, badchar.Quote(tool))
	}
	if r.Env == nil {
		path, err := exec.LookPath(tool)
		switch {
		case errors.Is(err, exec.ErrDot) || (err == nil && !filepath.IsAbs(path)):
			// Without ErrDot when GODEBUG=execerrdot=0.
			return "", fmt.Errorf("%s: %w: %s", tool, ErrRelativePath, badchar.Quote(path))
		case err != nil:
			return "", fmt.Errorf("%w: %s: %w", ErrNotInHook, tool, err)
		}
		return path, nil
	}
	for _, dir := range filepath.SplitList(envValue(r.Env, "PATH")) {
		if dir == "" {
			dir = "." // POSIX: an empty entry is the working directory
		}
		path := filepath.Join(dir, tool)
		if !isExecutable(path) {
			continue
		}
		if !filepath.IsAbs(dir) {
			return "", fmt.Errorf("%s: %w: %s", tool, ErrRelativePath, badchar.Quote(path))
		}
		return path, nil
	}
	return "", fmt.Errorf("%w: %s: %w", ErrNotInHook, tool, exec.ErrNotFound)
}

// envValue returns the last value of key in env, as the C library and
// exec.Cmd do when a key repeats.
func envValue(env []string, key string) string {
	value := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			value = v
		}
	}
	return value
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	mode := info.Mode()
	return mode.IsRegular() && mode&fs.FileMode(0o111) != 0
}

// maxMessage caps the stderr kept in a ToolError; a tool printing
// megabytes must not produce megabyte error strings.
const maxMessage = 4096

// toolMessage extracts Juju's error message from a tool's stderr: from
// the first line that starts with "ERROR " (without that prefix) to the
// end, which keeps multi-line messages whole and drops no later error;
// or else all of stderr.
func toolMessage(stderr string) string {
	msg := strings.TrimSpace(stderr)
	if i := strings.Index("\n"+msg, "\nERROR "); i >= 0 {
		msg = msg[i+len("ERROR "):]
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return msg
}
