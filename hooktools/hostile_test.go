package hooktools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tables hold hostile tool answers: failures, wrong shapes, quoting.
// Their end-to-end twins run the http-relation command:
// cmd/http-relation/hostile_tools_e2e_test.go.

// TestOnlySettingsNotFoundIsDeparture: of all the ways relation-get
// can fail, only Juju's "settings not found" means the unit left; every
// other message, even one that starts like it, is a failure.
func TestOnlySettingsNotFoundIsDeparture(t *testing.T) {
	for _, tc := range []struct {
		msg      string
		unitGone bool
	}{
		{`cannot read settings for unit "web/9" in relation "lb:backends web:website": unit "web/9": settings not found`, true},
		{`unit "web/9": settings not found`, true},
		{`unit "web/8": settings not found`, false},
		{`settings not found`, false},
		{`cannot read settings for unit "web/2" in relation "reverseproxy:3": connection is shut down`, false},
		{`cannot read settings for unit "web/2" in relation "reverseproxy:3": permission denied`, false},
		{`cannot read settings for unit "web/2": i/o timeout`, false},
		{`cannot read settings`, false},
		{`settings not found; retrying: connection is shut down`, false},
		{`settings not found.`, false},
		{`Settings Not Found`, false},
		{`permission denied`, false},
		{`relation not found`, false},
		{``, false},
	} {
		err := fmt.Errorf("read: %w", &ToolError{Tool: "relation-get", Args: []string{"--format=json", "-r=lb:3", "-", "web/9"}, ExitCode: 1, Message: tc.msg})
		assert.Equal(t, tc.unitGone, errors.Is(err, httprelation.ErrUnitNotFound), "%q", tc.msg)
	}
	for _, tc := range []struct {
		msg     string
		relGone bool
	}{
		{`invalid value "website:99" for option -r: relation not found`, true},
		{`invalid value "website:-1" for option -r: relation not found`, true},
		{`relation not found: agent restarting`, false},
		{`invalid value "bogus" for option -r: invalid relation id`, false},
		{`cannot read settings for unit "web/9": settings not found`, false},
	} {
		err := &ToolError{Tool: "relation-list", ExitCode: 2, Message: tc.msg}
		assert.Equal(t, tc.relGone, errors.Is(err, httprelation.ErrRelationNotFound), "%q", tc.msg)
	}
}

// TestToolErrorsQuoteWhatToolsSay: stderr and arguments (relation
// ids and unit names come from tools) never reach an error's text raw.
func TestToolErrorsQuoteWhatToolsSay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		message string
		want    string
	}{
		{"plain", []string{"--format=json", "-r=web:1", "-", "web/0"}, "permission denied",
			`relation-get --format=json -r=web:1 - web/0: exit status 1: permission denied`},
		{"juju quotes kept readable", []string{"-r=web:1"}, `unit "web/9": settings not found`,
			`relation-get -r=web:1: exit status 1: unit "web/9": settings not found`},
		{"newline in stderr", nil, "ok\nERROR forged line",
			`relation-get: exit status 1: "ok\nERROR forged line"`},
		{"escape codes in stderr", nil, "\x1b[2J\x1b[31mred",
			`relation-get: exit status 1: "\x1b[2J\x1b[31mred"`},
		{"carriage return", nil, "done\rERROR", `relation-get: exit status 1: "done\rERROR"`},
		{"invalid UTF-8", nil, "bad \xff byte", `relation-get: exit status 1: "bad \xff byte"`},
		{"line separator", nil, "a\u2028b", `relation-get: exit status 1: "a\u2028b"`},
		{"newline in a relation id", []string{"-r=web:1\nERROR x"}, "boom",
			`relation-get "-r=web:1\nERROR x": exit status 1: boom`},
		{"escape in a unit name", []string{"-", "web/0\x1b[0m"}, "boom",
			`relation-get - "web/0\x1b[0m": exit status 1: boom`},
		{"space in an argument", []string{"a b"}, "boom", `relation-get "a b": exit status 1: boom`},
		{"empty argument", []string{""}, "boom", `relation-get "": exit status 1: boom`},
		{"huge argument", []string{"k=" + strings.Repeat("v", 1000)}, "boom",
			`relation-get "k=` + strings.Repeat("v", 62) + `"...(1002 bytes): exit status 1: boom`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := &ToolError{Tool: "relation-get", Args: tc.args, ExitCode: 1, Message: tc.message}
			assert.Equal(t, tc.want, err.Error())
			assertPrintable(t, err.Error())
		})
	}
}

func TestParseErrorsQuoteTheReason(t *testing.T) {
	for _, reason := range []string{"key \"a\nb\" is odd", "\x1b[31m", "\xfe", "fine reason"} {
		err := newParseError("relation-ids", []byte("out\nput"), errors.New(reason))
		assertPrintable(t, err.Error())
		assert.Contains(t, err.Error(), `"out\nput"`)
	}
}

// assertPrintable fails when s holds anything a terminal or a log would
// not show as one plain line.
func assertPrintable(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r == '\uFFFD' || (r != ' ' && !unicode.IsPrint(r)) {
			t.Fatalf("%q holds %U", s, r)
		}
	}
}

// TestRelativePathRefused: a tool that a relative PATH entry would
// supply is refused with ErrRelativePath, whether the PATH is the
// process's or ExecRunner.Env's, and however the entry is spelled; an
// absolute entry before it wins, as it does for a shell.
func TestRelativePathRefused(t *testing.T) {
	abs := toolDir(t, "relation-ids")
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, abs)
	require.NoError(t, err)
	require.False(t, filepath.IsAbs(rel))
	sep := string(os.PathListSeparator)
	ctx := context.Background()

	for _, tc := range []struct {
		name, path string
		refused    bool
	}{
		{"relative directory", rel, true},
		{"dot slash", "." + string(filepath.Separator) + rel, true},
		{"relative before absolute", rel + sep + abs, true},
		{"absolute before relative", abs + sep + rel, false},
		{"missing absolute, then relative", "/nonexistent" + sep + rel, true},
	} {
		t.Run("Env/"+tc.name, func(t *testing.T) {
			_, err := ExecRunner{Env: fakeEnv(tc.path, `FAKE_STDOUT=[]`)}.Run(ctx, "relation-ids", nil, nil)
			checkRelativeRefusal(t, err, tc.refused)
		})
		t.Run("process/"+tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			t.Setenv("HOOKTOOLS_FAKE_TOOL", "1")
			t.Setenv("FAKE_STDOUT", "[]")
			_, err := ExecRunner{}.Run(ctx, "relation-ids", nil, nil)
			checkRelativeRefusal(t, err, tc.refused)
		})
	}

	// The working directory itself: ".", and an empty entry, which POSIX
	// reads as "." (an empty PATH has no entry at all, as for
	// exec.LookPath). A child process runs the lookups in a directory
	// that holds the tool, so that this one's stays as it is.
	cwd := toolDir(t, "relation-list")
	for _, tc := range []struct {
		path string
		want lookupOutcome
	}{
		{".", lookupOutcome{Process: "relative", Env: "relative"}},
		{sep + abs, lookupOutcome{Process: "relative", Env: "relative"}},
		{abs + sep, lookupOutcome{Process: "relative", Env: "relative"}},
		{abs + sep + sep + abs, lookupOutcome{Process: "relative", Env: "relative"}},
		{"", lookupOutcome{Process: "missing", Env: "missing"}},
		{cwd, lookupOutcome{Process: "found", Env: "found"}},
	} {
		assert.Equal(t, tc.want, probeLookup(t, cwd, tc.path, "relation-list"), "PATH=%q", tc.path)
	}
}

// lookupOutcome is how ExecRunner looked a tool up, through the
// process's PATH and through Env's: "found", "relative" (refused with
// ErrRelativePath) or "missing" (ErrNotInHook).
type lookupOutcome struct{ Process, Env string }

// lookupProbe is the child side of probeLookup.
func lookupProbe(tool string) int {
	outcome := func(_ string, err error) string {
		switch {
		case err == nil:
			return "found"
		case errors.Is(err, ErrRelativePath) && !errors.Is(err, ErrNotInHook):
			return "relative"
		case errors.Is(err, ErrNotInHook):
			return "missing"
		}
		return err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(lookupOutcome{
		Process: outcome(ExecRunner{}.lookPath(tool)),
		Env:     outcome(ExecRunner{Env: os.Environ()}.lookPath(tool)),
	})
	return 0
}

// probeLookup runs this test binary in dir with PATH set to path and
// returns how it looked tool up.
func probeLookup(t *testing.T, dir, path, tool string) lookupOutcome {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + path, "HOOKTOOLS_LOOKUP_PROBE=" + tool}
	out, err := cmd.Output()
	require.NoError(t, err)
	var got lookupOutcome
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	return got
}

func checkRelativeRefusal(t *testing.T, err error, refused bool) {
	t.Helper()
	if !refused {
		require.NoError(t, err)
		return
	}
	require.ErrorIs(t, err, ErrRelativePath)
	assert.NotErrorIs(t, err, ErrNotInHook, "the reason is the PATH, not a missing hook")
	assert.Contains(t, err.Error(), "relative PATH entry")
}

// TestNonStringValues: a relation-get answer whose value is not a
// string loses that value alone; the PartialBagError names the key, the
// JSON kind and the value as written, quoted when printed.
func TestNonStringValues(t *testing.T) {
	for _, tc := range []struct {
		out  string
		bag  map[string]string
		bad  map[string]string // key → JSON text
		kind string
	}{
		{`{"port":8080,"private-address":"10.0.0.1"}`, map[string]string{"private-address": "10.0.0.1"}, map[string]string{"port": "8080"}, "number"},
		{`{"port":"80","hostname":true}`, map[string]string{"port": "80"}, map[string]string{"hostname": "true"}, "boolean"},
		{`{"port":null,"hostname":"a"}`, map[string]string{"hostname": "a"}, map[string]string{"port": "null"}, "null"},
		{`{"extended_data":[{"hostname":"a","port":1}]}`, map[string]string{}, map[string]string{"extended_data": `[{"hostname":"a","port":1}]`}, "array"},
		{`{"x":{"nested":{"deep":[1,2]}},"y":"ok"}`, map[string]string{"y": "ok"}, map[string]string{"x": `{"nested":{"deep":[1,2]}}`}, "object"},
		{`{"port": -1.5e3 }`, map[string]string{}, map[string]string{"port": "-1.5e3"}, "number"},
		{`{"k\nERROR forged":1,"\u001b[31m":"red"}`, map[string]string{"\x1b[31m": "red"}, map[string]string{"k\nERROR forged": "1"}, "number"},
		{`{"port":false,"hostname":0}`, map[string]string{}, map[string]string{"port": "false", "hostname": "0"}, ""},
	} {
		t.Run(tc.out, func(t *testing.T) {
			r := answer(map[string]string{"relation-get --format=json -r=web:1 - web/0": tc.out})
			bag, err := newAccessor(r).UnitData(context.Background(), "web:1", "web/0")
			assert.Equal(t, tc.bag, bag)
			var partial *httprelation.PartialBagError
			require.ErrorAs(t, err, &partial)
			assert.ErrorIs(t, err, httprelation.ErrNotString)
			assert.NotErrorIs(t, err, ErrBadOutput, "the rest of the bag is fine")
			got := map[string]string{}
			for _, p := range partial.Problems {
				got[p.Key] = p.Value
				assert.Equal(t, -1, p.Index)
				if tc.kind != "" {
					assert.ErrorContains(t, p, "JSON "+tc.kind)
				}
			}
			assert.Equal(t, tc.bad, got)
			assertPrintable(t, err.Error())
		})
	}
	// Strings only: no error at all.
	r := answer(map[string]string{"relation-get --format=json -r=web:1 - web/0": `{"port":"8080","a":"","b":"null"}`})
	bag, err := newAccessor(r).UnitData(context.Background(), "web:1", "web/0")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"port": "8080", "a": "", "b": "null"}, bag)
}

// TestNothingGuessed: where Juju prints [] or {} for none, null or
// an element of the wrong type is a ParseError, never read as none; where
// Juju itself prints null (state-get with nothing stored), it is none.
func TestNothingGuessed(t *testing.T) {
	ctx := context.Background()
	reads := map[string]func(acc *accessor) (any, error){
		"relation-ids": func(acc *accessor) (any, error) { return acc.RelationIDs(ctx, "backends") },
		"relation-list": func(acc *accessor) (any, error) {
			return acc.RelationUnits(ctx, "backends:3")
		},
		"relation-list --app": func(acc *accessor) (any, error) { return acc.RemoteApp(ctx, "backends:3") },
		"relation-get":        func(acc *accessor) (any, error) { return acc.UnitData(ctx, "backends:3", "web/0") },
		"unit-get":            func(acc *accessor) (any, error) { return acc.IngressAddress(ctx, "3") },
		"state-get":           func(acc *accessor) (any, error) { return newStateStore(acc.call.runner).Load(ctx) },
	}
	for _, tc := range []struct {
		read, out string
		want      any // nil: a ParseError of the read's tool
	}{
		{"relation-ids", "null\n", nil},
		{"relation-ids", "  null  ", nil},
		{"relation-ids", `[null]`, nil},
		{"relation-ids", `["backends:1",null]`, nil},
		{"relation-ids", `[1]`, nil},
		{"relation-ids", `"backends:1"`, nil},
		{"relation-ids", `{}`, nil},
		{"relation-ids", `["backends:x"]`, nil},
		{"relation-ids", `["other:1"]`, nil},
		{"relation-ids", `["backends:1\nERROR x"]`, nil},
		{"relation-ids", `["backends:"]`, nil},
		{"relation-ids", `["1"]`, nil},
		{"relation-ids", "[]\n", []string{}},
		{"relation-ids", `["backends:12","backends:3"]`, []string{"backends:12", "backends:3"}},
		{"relation-list", "null\n", nil},
		{"relation-list", `[null]`, nil},
		{"relation-list", `["web/0",false]`, nil},
		{"relation-list", `{"web/0":"x"}`, nil},
		{"relation-list", "[]\n", []string{}},
		{"relation-list", `["web/0"]`, []string{"web/0"}},
		{"relation-list --app", "null\n", nil},
		{"relation-list --app", "5\n", nil},
		{"relation-list --app", `"web"`, "web"},
		{"relation-get", "null\n", nil},
		{"relation-get", "[]\n", nil},
		{"relation-get", `"x"`, nil},
		{"relation-get", "{}\n", map[string]string{}},
		{"unit-get", "null\n", nil},
		{"unit-get", `["10.0.0.1"]`, nil},
		{"unit-get", `"10.0.0.1"`, "10.0.0.1"},
		{"state-get", "null\n", map[string]string{}},
		{"state-get", `{"a":1}`, nil},
		{"state-get", `{"a":null}`, nil},
		{"state-get", `{"a":"x","b":{}}`, nil},
		{"state-get", "[]\n", nil},
		{"state-get", `{"a":"x"}`, map[string]string{"a": "x"}},
	} {
		t.Run(tc.read+" "+tc.out, func(t *testing.T) {
			tool, _, _ := strings.Cut(tc.read, " ")
			r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
				if tc.read == "relation-list --app" && !slices.Contains(c.Args, "--app") {
					return []byte("[]\n"), nil // no units: RemoteApp asks --app
				}
				if c.Tool == tool {
					return []byte(tc.out), nil
				}
				return nil, &ToolError{Tool: c.Tool, Args: c.Args, ExitCode: 1, Message: "not answered"}
			}}
			got, err := reads[tc.read](newAccessor(r, WithEnv(Env{Unit: "lb/0"})))
			if tc.want == nil {
				assertPrintable(t, requireParseError(t, err, tool).Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestDepartureIsJujusOwnAnswer: only relation-get's answer for a
// unit whose settings are gone, as Juju gives it (exit status 1, one
// error line ending `unit "U": settings not found`, U the unit asked
// for), counts as a unit that left. Any other wording, another unit,
// another exit status or a second error fails the read.
func TestDepartureIsJujusOwnAnswer(t *testing.T) {
	const juju = `ERROR cannot read settings for unit "web/2" in relation "lb:backends web:website": unit "web/2": settings not found`
	args := []string{"--format=json", "-r=backends:3", "-", "web/2"}
	for _, tc := range []struct {
		name   string
		exit   int
		stderr string
		args   []string
		left   bool
	}{
		{"juju's answer", 1, juju + "\n", args, true},
		{"without a trailing newline", 1, juju, args, true},
		{"with CRLF", 1, juju + "\r\n", args, true},
		{"after a warning line", 1, "WARNING agent slow\n" + juju + "\n", args, true},
		{"exit status 2", 2, juju + "\n", args, false},
		{"exit status 127", 127, juju + "\n", args, false},
		{"another unit named", 1, strings.ReplaceAll(juju, "web/2", "web/3") + "\n", args, false},
		{"the unit as a prefix of another", 1, strings.ReplaceAll(juju, `"web/2"`, `"web/22"`) + "\n", args, false},
		{"no unit named", 1, "ERROR connection is shut down: settings not found\n", args, false},
		{"bare", 1, "ERROR settings not found\n", args, false},
		{"upper case", 1, strings.ToUpper(juju) + "\n", args, false},
		{"more after it", 1, juju + " (retrying)\n", args, false},
		{"a second line after it", 1, juju + "\nconnection is shut down\n", args, false},
		{"a second error after it", 1, juju + "\nERROR connection is shut down\n", args, false},
		{"a second error before it", 1, "ERROR connection is shut down\n" + juju + "\n", args, false},
		{"permission denied", 1, "ERROR permission denied\n", args, false},
		{"no arguments known", 1, juju + "\n", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := &ToolError{Tool: "relation-get", Args: tc.args, ExitCode: tc.exit, Message: toolMessage(tc.stderr)}
			assert.Equal(t, tc.left, errors.Is(fmt.Errorf("read: %w", err), httprelation.ErrUnitNotFound))
		})
	}
}
