package toolsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
)

var transcriptNames = []string{"changed", "departed", "broken", "options", "charm-tools"}

// freshEachCall names the transcripts whose every call was recorded from
// the recorded model, not after the calls before it (see
// ../shared/juju-transcripts/README.md): a replay starts each call anew.
var freshEachCall = map[string]bool{"charm-tools": true}

// transcript is one recorded hook (see ../testdata/transcripts/).
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

func loadTranscript(t testing.TB, name string) transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "transcripts", name+".json"))
	require.NoError(t, err)
	var tr transcript
	require.NoError(t, json.Unmarshal(data, &tr))
	require.NotEmpty(t, tr.Calls)
	return tr
}

func (tr transcript) model(t testing.TB) *Model {
	t.Helper()
	m, err := parseModel(tr.Model)
	require.NoError(t, err)
	return m
}

// inProc runs tools in-process through RunTool against a model file.
type inProc struct {
	env map[string]string
}

// newInProc writes m to a temporary model file and returns a runner whose
// environment is hookEnv plus TOOLSIM_MODEL and TOOLSIM_LOG.
func newInProc(t testing.TB, m *Model, hookEnv map[string]string) *inProc {
	t.Helper()
	dir := t.TempDir()
	env := maps.Clone(hookEnv)
	if env == nil {
		env = map[string]string{}
	}
	env["TOOLSIM_MODEL"] = filepath.Join(dir, "model.json")
	env["TOOLSIM_LOG"] = filepath.Join(dir, "calls.jsonl")
	require.NoError(t, m.WriteFile(env["TOOLSIM_MODEL"]))
	return &inProc{env: env}
}

type result struct {
	stdout, stderr string
	exit           int
}

func (p *inProc) run(stdin *string, argv ...string) result {
	var in *strings.Reader
	if stdin != nil {
		in = strings.NewReader(*stdin)
	} else {
		in = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code, ok := RunTool(argv[0], argv[1:], func(k string) string { return p.env[k] }, in, &out, &errOut)
	if !ok {
		panic(fmt.Sprintf("%q is not a tool", argv[0]))
	}
	return result{out.String(), errOut.String(), code}
}

func (p *inProc) model(t testing.TB) *Model {
	t.Helper()
	m, err := loadModel(p.env["TOOLSIM_MODEL"])
	require.NoError(t, err)
	return m
}

func (p *inProc) calls(t testing.TB) []calllog.Call {
	t.Helper()
	calls, err := calllog.Read(p.env["TOOLSIM_LOG"])
	require.NoError(t, err)
	return calls
}

// relationJSON reads a whole bag as JSON and decodes it.
func (p *inProc) bag(t testing.TB, rel, unit string) map[string]string {
	t.Helper()
	r := p.run(nil, "relation-get", "--format=json", "-r", rel, "-", unit)
	require.Equal(t, 0, r.exit, r.stderr)
	var bag map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &bag))
	return bag
}

func ptr(s string) *string { return &s }

// baseModel is the changed transcript's model, a realistic starting point.
func baseModel(t testing.TB) *Model {
	t.Helper()
	return loadTranscript(t, "changed").model(t)
}
