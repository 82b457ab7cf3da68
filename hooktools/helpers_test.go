package hooktools

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v2"
)

// newAccessor, newStateStore and newLogHandler build one tool of a Unit
// over r, as NewUnit does from its options.
func newAccessor(r Runner, opts ...UnitOption) *accessor { return unitConfig(r, opts).accessor() }

func newStateStore(r Runner, opts ...UnitOption) *stateStore {
	return unitConfig(r, opts).stateStore()
}

func newLogHandler(r Runner, opts ...UnitOption) *logHandler {
	return unitConfig(r, opts).logHandler()
}

func unitConfig(r Runner, opts []UnitOption) config {
	c := newConfig(opts)
	c.runner = r
	return c
}

// transcript is one of the module's recorded Juju 3.5 hooks, in
// ../testdata/transcripts/.
type transcript struct {
	HookEnv map[string]string `json:"hook_env"`
	Model   json.RawMessage   `json:"model"`
	Calls   []recordedCall    `json:"calls"`
}

type recordedCall struct {
	Args   []string `json:"args"`
	Stdin  *string  `json:"stdin"`
	Stdout string   `json:"stdout"`
	Stderr string   `json:"stderr"`
	Exit   int      `json:"exit"`
}

var transcriptNames = []string{"changed", "departed", "broken"}

func loadTranscript(t *testing.T, name string) transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "transcripts", name+".json"))
	require.NoError(t, err)
	var tr transcript
	require.NoError(t, json.Unmarshal(data, &tr))
	require.NotEmpty(t, tr.Calls)
	return tr
}

// env returns the transcript's hook environment as Juju gives it.
func (tr transcript) env() Env {
	vars := map[string]string{"JUJU_UNIT_NAME": "lb/0"}
	for k, v := range tr.HookEnv {
		vars[k] = v
	}
	return EnvFrom(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
}

// replayRunner answers calls from a transcript. A call matches a
// recording with the same arguments, up to the spelling of options that
// Juju's parser takes either way ("-r ID" or "-r=ID", options before or
// after the positional arguments), and, for --file -, stdin that YAML
// decodes to the same map (Juju reads it with yaml.v2); recordings are
// used in order, the last one repeating, so that writes recorded between
// two reads show.
type replayRunner struct {
	mu    sync.Mutex
	calls []recordedCall
	used  []bool
	log   [][]string
}

func newReplay(tr transcript) *replayRunner {
	return &replayRunner{calls: tr.Calls, used: make([]bool, len(tr.Calls))}
}

func (r *replayRunner) Run(_ context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	full := append([]string{tool}, args...)
	r.log = append(r.log, full)
	want := canonicalArgs(full)
	last := -1
	for i, c := range r.calls {
		if !slices.Equal(canonicalArgs(c.Args), want) || !sameStdin(c.Stdin, stdin) {
			continue
		}
		last = i
		if !r.used[i] {
			break
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("replay: no recording of %q with stdin %q", full, stdin)
	}
	r.used[last] = true
	c := r.calls[last]
	if c.Exit != 0 {
		return nil, &ToolError{Tool: tool, Args: args, ExitCode: c.Exit, Message: toolMessage(c.Stderr)}
	}
	return []byte(c.Stdout), nil
}

// canonicalArgs spells a recorded or made call one way: "-r ID" and
// "--relation=ID" as "-r=ID", and the options, in their order, before the positional
// arguments, in theirs, as Juju's gnuflag parser (interspersed) reads
// them. "-" alone is positional; the value of --file stays with it.
func canonicalArgs(call []string) []string {
	opts := []string{call[0]}
	var pos []string
	for i := 1; i < len(call); i++ {
		a := call[i]
		switch {
		case (a == "-r" || a == "--file") && i+1 < len(call):
			opts = append(opts, a+"="+call[i+1])
			i++
		case strings.HasPrefix(a, "--relation="):
			opts = append(opts, "-r="+strings.TrimPrefix(a, "--relation="))
		case a != "-" && strings.HasPrefix(a, "-"):
			opts = append(opts, a)
		default:
			pos = append(pos, a)
		}
	}
	return append(opts, pos...)
}

func sameStdin(recorded *string, got []byte) bool {
	if recorded == nil || got == nil {
		return recorded == nil && got == nil
	}
	var want, have map[string]string
	if yaml.Unmarshal([]byte(*recorded), &want) != nil || yaml.Unmarshal(got, &have) != nil {
		return false
	}
	return reflect.DeepEqual(want, have)
}

// count returns how many calls of tool were made.
func (r *replayRunner) count(tool string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.log {
		if c[0] == tool {
			n++
		}
	}
	return n
}

func (r *replayRunner) made() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// goopsReplay presents a replayRunner the way goops's test doubles
// (goopstest) do: no stdin, failures as "command X failed: ERROR <msg>"
// without an exit code.
type goopsReplay struct {
	r *replayRunner
}

func (g goopsReplay) Run(name string, args ...string) ([]byte, error) {
	out, err := g.r.Run(context.Background(), name, args, nil)
	if te, ok := err.(*ToolError); ok {
		return nil, fmt.Errorf("command %s failed: ERROR %s", name, te.Message)
	}
	return out, err
}

// call is one invocation seen by a funcRunner.
type call struct {
	Tool  string
	Args  []string
	Stdin []byte
}

// funcRunner answers with a function and records every call.
type funcRunner struct {
	mu    sync.Mutex
	calls []call
	fn    func(ctx context.Context, c call) ([]byte, error)
}

func (f *funcRunner) Run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	c := call{Tool: tool, Args: slices.Clone(args), Stdin: slices.Clone(stdin)}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	return f.fn(ctx, c)
}

func (f *funcRunner) seen() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// answer returns a funcRunner that maps "tool arg arg" to stdout.
func answer(outputs map[string]string) *funcRunner {
	return &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
		key := strings.Join(append([]string{c.Tool}, c.Args...), " ")
		out, ok := outputs[key]
		if !ok {
			return nil, &ToolError{Tool: c.Tool, Args: c.Args, ExitCode: 1, Message: "no answer for " + key}
		}
		return []byte(out), nil
	}}
}

// unitRef names one unit's bag in one relation.
type unitRef struct{ RelationID, Unit string }

// readAll reads every ref's bag at once, as a requirer does, and returns
// the bags and errors in the order of refs.
func readAll(ctx context.Context, acc *accessor, refs []unitRef) ([]map[string]string, []error) {
	bags := make([]map[string]string, len(refs))
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bags[i], errs[i] = acc.UnitData(ctx, ref.RelationID, ref.Unit)
		}()
	}
	wg.Wait()
	return bags, errs
}
