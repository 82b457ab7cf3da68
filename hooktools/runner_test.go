package hooktools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary stand in for a hook tool: linked under a
// tool's name and run with HOOKTOOLS_FAKE_TOOL=1, it acts as the FAKE_*
// variables say instead of running tests. No shell script is needed.
//
// Run with HOOKTOOLS_LOOKUP_PROBE=TOOL, it prints how ExecRunner looks
// TOOL up instead (see lookupProbe).
func TestMain(m *testing.M) {
	if tool := os.Getenv("HOOKTOOLS_LOOKUP_PROBE"); tool != "" {
		os.Exit(lookupProbe(tool))
	}
	if os.Getenv("HOOKTOOLS_FAKE_TOOL") == "1" {
		os.Exit(fakeTool())
	}
	os.Exit(m.Run())
}

func fakeTool() int {
	stdin, _ := io.ReadAll(os.Stdin)
	switch os.Getenv("FAKE_MODE") {
	case "hang":
		time.Sleep(time.Hour)
	case "spawn":
		// Start a child that hangs too, holding this tool's output
		// open, and say where it is; then hang. With FAKE_SPAWN_ONLY,
		// only a call whose last argument it names does so.
		if only := os.Getenv("FAKE_SPAWN_ONLY"); only != "" && os.Args[len(os.Args)-1] != only {
			break
		}
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), "FAKE_MODE=hang")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(os.Getenv("FAKE_PIDFILE"), []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		time.Sleep(time.Hour)
	case "big":
		size, _ := strconv.Atoi(os.Getenv("FAKE_SIZE"))
		return writeBag(os.Stdout, size)
	case "echo":
		_ = json.NewEncoder(os.Stdout).Encode(echoed{
			Tool: filepath.Base(os.Args[0]), Args: os.Args[1:], Stdin: string(stdin),
		})
		return 0
	}
	fmt.Print(os.Getenv("FAKE_STDOUT"))
	fmt.Fprint(os.Stderr, os.Getenv("FAKE_STDERR"))
	code, _ := strconv.Atoi(os.Getenv("FAKE_EXIT"))
	return code
}

// writeBag prints a bag {"k":"xxx..."} of size bytes in all, or one that
// never ends for a negative size.
func writeBag(w io.Writer, size int) int {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	_, _ = io.WriteString(w, `{"k":"`)
	for left := size - len(`{"k":""}`); size < 0 || left > 0; {
		n := len(chunk)
		if size >= 0 {
			n = min(n, left)
			left -= n
		}
		if _, err := w.Write(chunk[:n]); err != nil {
			return 1
		}
	}
	_, _ = io.WriteString(w, `"}`)
	return 0
}

type echoed struct {
	Tool  string
	Args  []string
	Stdin string
}

// toolDir links the test binary into a new directory under each name.
func toolDir(t *testing.T, names ...string) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	for _, name := range names {
		require.NoError(t, os.Symlink(exe, filepath.Join(dir, name)))
	}
	return dir
}

func fakeEnv(dir string, vars ...string) []string {
	return append([]string{"PATH=" + dir, "HOOKTOOLS_FAKE_TOOL=1"}, vars...)
}

func TestExecRunnerPassesArgsAndStdin(t *testing.T) {
	dir := toolDir(t, "relation-set")
	r := ExecRunner{Env: fakeEnv(dir, "FAKE_MODE=echo")}
	args := []string{"-r", "site:2", "note=line one\nline two", "eq=a=b", "sp=a b", `q="x"`}
	out, err := r.Run(context.Background(), "relation-set", args, []byte("a: b\n"))
	require.NoError(t, err)
	var got echoed
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, echoed{Tool: "relation-set", Args: args, Stdin: "a: b\n"}, got)
}

func TestExecRunnerToolError(t *testing.T) {
	dir := toolDir(t, "relation-list")
	r := ExecRunner{Env: fakeEnv(dir,
		"FAKE_STDERR=ERROR invalid value \"backends:99\" for option -r: relation not found\n",
		"FAKE_EXIT=2")}
	_, err := r.Run(context.Background(), "relation-list", []string{"--format=json", "-r", "backends:99"}, nil)
	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, &ToolError{
		Tool:     "relation-list",
		Args:     []string{"--format=json", "-r", "backends:99"},
		ExitCode: 2,
		Message:  `invalid value "backends:99" for option -r: relation not found`,
	}, te)
	assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
}

// TestExecRunnerLooksUpInEnvPath checks that the tool is found in the
// PATH of Env, which the test process's own PATH does not hold.
func TestExecRunnerLooksUpInEnvPath(t *testing.T) {
	dir := toolDir(t, "unit-get")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "not-exec"), []byte("x"), 0o644))
	ctx := context.Background()

	r := ExecRunner{Env: fakeEnv("/nonexistent:"+dir, `FAKE_STDOUT="10.0.0.9"`)}
	out, err := r.Run(ctx, "unit-get", []string{"--format=json", "private-address"}, nil)
	require.NoError(t, err)
	assert.Equal(t, `"10.0.0.9"`, string(out))

	for name, tc := range map[string]struct {
		runner ExecRunner
		tool   string
	}{
		"missing tool":        {ExecRunner{Env: fakeEnv(dir)}, "relation-get"},
		"not executable":      {ExecRunner{Env: fakeEnv(dir)}, "not-exec"},
		"no PATH in Env":      {ExecRunner{Env: []string{"HOME=/"}}, "unit-get"},
		"relative PATH entry": {ExecRunner{Env: []string{"PATH=."}}, "unit-get"},
		"path as tool name":   {ExecRunner{Env: fakeEnv(dir)}, "../unit-get"},
		"process PATH":        {ExecRunner{}, "hooktools-no-such-tool"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.runner.Run(ctx, tc.tool, nil, nil)
			assert.ErrorIs(t, err, ErrNotInHook)
		})
	}
}

func TestExecRunnerKillsHungToolAtDeadline(t *testing.T) {
	dir := toolDir(t, "network-get")
	r := ExecRunner{Env: fakeEnv(dir, "FAKE_MODE=hang")}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Run(ctx, "network-get", []string{"--format=json", "site"}, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestDefaultTimeout checks that every call gets the per-call timeout,
// and that a context's own earlier deadline is kept.
func TestDefaultTimeout(t *testing.T) {
	deadlines := make(chan time.Time, 3)
	blocking := &funcRunner{fn: func(ctx context.Context, _ call) ([]byte, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return nil, fmt.Errorf("no deadline")
		}
		deadlines <- d
		<-ctx.Done()
		return nil, ctx.Err()
	}}

	start := time.Now()
	acc := newAccessor(blocking, WithTimeout(100*time.Millisecond))
	_, err := acc.RelationIDs(context.Background(), "website")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, 100*time.Millisecond)
	assert.Less(t, elapsed, 5*time.Second)
	assert.WithinDuration(t, start.Add(100*time.Millisecond), <-deadlines, 50*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	_, err = newAccessor(blocking).UnitData(ctx, "website:1", "web/0")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, want, <-deadlines)

	// A longer deadline of the context does not lift the per-call one.
	long, cancelLong := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLong()
	start = time.Now()
	_, err = newAccessor(blocking, WithTimeout(100*time.Millisecond)).UnitData(long, "website:1", "web/0")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.WithinDuration(t, start.Add(100*time.Millisecond), <-deadlines, 50*time.Millisecond)

	// The default applies without options too.
	assert.Equal(t, DefaultTimeout, newAccessor(blocking).call.timeout)
}

func TestCancelledContextRunsNothing(t *testing.T) {
	r := answer(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newAccessor(r).RelationIDs(ctx, "website")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, r.seen())
}

func TestToolMessage(t *testing.T) {
	for stderr, want := range map[string]string{
		"ERROR permission denied\n": "permission denied",
		"":                          "",
		"something odd\n":           "something odd",
		"WARNING x\nERROR yaml: unmarshal errors:\n  line 1": "yaml: unmarshal errors:\n  line 1",
		"ERROR first\nERROR second\n":                        "first\nERROR second",
	} {
		assert.Equal(t, want, toolMessage(stderr), "%q", stderr)
	}
	long := toolMessage(string(make([]byte, 10*maxMessage)))
	assert.Len(t, long, maxMessage+len("..."))
}
