package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/procrun"
	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/charmkit/httprelation/toolsim"
)

// envMap is a lookupEnv over a fixed map.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func runInProcess(t *testing.T, env map[string]string, args ...string) toolsim.Result {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(testcompat.Context(t), args, &stdout, &stderr, envMap(env))
	return toolsim.Result{ExitCode: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // prefix of stdout; "" means empty
		stderr string // prefix of stderr; "" means empty
	}{
		{"no command", nil, 2, "", "http-relation: missing command\nRun 'http-relation -h' for usage.\n"},
		{"-h", []string{"-h"}, 0, "Usage: http-relation <command>", ""},
		{"--help", []string{"--help"}, 0, "Usage: http-relation <command>", ""},
		{"help", []string{"help"}, 0, "Usage: http-relation <command>", ""},
		{"help command", []string{"help", "configure"}, 0, "Usage: http-relation configure <endpoint> --port port", ""},
		{"help unknown", []string{"help", "nope"}, 2, "", "http-relation: unknown command \"nope\"\n"},
		{"help two", []string{"help", "flags", "services"}, 2, "", "http-relation: help takes at most one command\n"},
		{"unknown command", []string{"bogus"}, 2, "", "http-relation: unknown command \"bogus\"\nRun 'http-relation -h' for usage.\n"},
		{"unknown top flag", []string{"-x", "services"}, 2, "", "http-relation: flag provided but not defined: -x\n"},
		{"services -h", []string{"services", "-h"}, 0, "Usage: http-relation services <endpoint> [--format json] [--incremental] [--store state|file] [--timeout duration]\n", ""},
		{"services --help after endpoint", []string{"services", "reverseproxy", "--help"}, 0, "Usage: http-relation services <endpoint> [--format json] [--incremental] [--store state|file] [--timeout duration]\n", ""},
		{"services missing endpoint", []string{"services"}, 2, "", "http-relation services: missing argument: want <endpoint> [--format json] [--incremental] [--store state|file] [--timeout duration]\nRun 'http-relation services -h' for usage.\n"},
		{"services store without incremental", []string{"services", "reverseproxy", "--store", "file"}, 2, "", "http-relation services: --store needs --incremental: nothing is kept without it\nRun 'http-relation services -h' for usage.\n"},
		{"services store=state without incremental", []string{"services", "--store=state", "reverseproxy"}, 2, "", "http-relation services: --store needs --incremental"},
		{"services format yaml", []string{"services", "reverseproxy", "--format", "yaml"}, 2, "", "http-relation services: invalid value \"yaml\" for flag -format: want \"json\", the only format\n"},
		{"services format=smart", []string{"services", "--format=smart", "reverseproxy"}, 2, "", "http-relation services: invalid value \"smart\" for flag -format: want \"json\", the only format\n"},
		{"services format JSON", []string{"services", "reverseproxy", "--format", "JSON"}, 2, "", "http-relation services: invalid value \"JSON\" for flag -format: want \"json\""},
		{"services format without value", []string{"services", "reverseproxy", "--format"}, 2, "", "http-relation services: flag needs an argument: -format\n"},
		{"flags format yaml", []string{"flags", "--format=yaml"}, 2, "", "http-relation flags: invalid value \"yaml\" for flag -format: want \"json\", the only format\n"},
		{"configure takes no format", []string{"configure", "website", "--port", "80", "--format", "json"}, 2, "", "http-relation configure: flag provided but not defined: -format\n"},
		{"services zero timeout", []string{"services", "reverseproxy", "--timeout", "0"}, 2, "", "http-relation services: invalid value \"0\" for flag -timeout: want a positive duration such as 10s\n"},
		{"services negative timeout", []string{"services", "--timeout=-1s", "reverseproxy"}, 2, "", "http-relation services: invalid value \"-1s\" for flag -timeout: want a positive duration"},
		{"services timeout without unit", []string{"services", "reverseproxy", "--timeout", "30"}, 2, "", "http-relation services: invalid value \"30\" for flag -timeout"},
		{"services timeout without value", []string{"services", "reverseproxy", "--timeout"}, 2, "", "http-relation services: flag needs an argument: -timeout\n"},
		{"services extra argument", []string{"services", "a", "b"}, 2, "", "http-relation services: unexpected argument \"b\"\n"},
		{"services unknown flag", []string{"services", "reverseproxy", "-r", "3"}, 2, "", "http-relation services: flag provided but not defined: -r\n"},
		{"services bad endpoint", []string{"services", "Reverse Proxy"}, 2, "", "http-relation services: invalid endpoint name \"Reverse Proxy\": want Juju's syntax for relation names, at most 190 bytes\n"},
		{"services dash endpoint after --", []string{"services", "--", "-r"}, 2, "", "http-relation services: invalid endpoint name \"-r\""},
		{"services endpoint one byte too long", []string{"services", strings.Repeat("e", 191)}, 2, "", "http-relation services: invalid endpoint name \"eee"},
		{"configure endpoint one byte too long", []string{"configure", strings.Repeat("e", 191), "--port", "80"}, 2, "", "http-relation configure: invalid endpoint name \"eee"},
		{"configure endpoint of another syntax", []string{"configure", "web_-site", "--port", "80"}, 2, "", "http-relation configure: invalid endpoint name \"web_-site\""},
		{"configure -h", []string{"configure", "-h"}, 0, "Usage: http-relation configure <endpoint> --port port [--address address]... [--hostname hostname]... [--timeout duration]\n", ""},
		{"configure zero timeout", []string{"configure", "website", "--port", "80", "--timeout", "0"}, 2, "", "http-relation configure: invalid value \"0\" for flag -timeout: want a positive duration such as 10s\n"},
		{"configure missing port", []string{"configure", "website"}, 2, "", "http-relation configure: --port is required\n"},
		{"configure port out of range", []string{"configure", "website", "--port", "65536"}, 2, "", "http-relation configure: invalid value \"65536\" for flag -port: invalid port: 65536 is outside 1..65535\n"},
		{"configure hex port", []string{"configure", "website", "--port", "0x50"}, 2, "", "http-relation configure: invalid value \"0x50\" for flag -port: invalid port"},
		{"configure flag without value", []string{"configure", "website", "--port", "80", "--hostname"}, 2, "", "http-relation configure: flag needs an argument: -hostname\n"},
		{"configure bad address", []string{"configure", "website", "--port", "80", "--address", "10.0.0.1\nx"}, 2, "", "http-relation configure: invalid value \"10.0.0.1\\nx\" for flag -address: invalid address"},
		{"configure missing endpoint", []string{"configure", "--port", "80"}, 2, "", "http-relation configure: missing argument: want <endpoint>"},
		{"flags --help", []string{"flags", "--help"}, 0, "Usage: http-relation flags [--format json] [--incremental] [--store state|file] [--timeout duration]\n", ""},
		{"flags timeout without unit", []string{"flags", "--timeout", "30"}, 2, "", "http-relation flags: invalid value \"30\" for flag -timeout"},
		{"flags bad store", []string{"flags", "--store", "etcd"}, 2, "", "http-relation flags: invalid value \"etcd\" for flag -store: want \"state\" or \"file\"\n"},
		{"flags store without value", []string{"flags", "--store"}, 2, "", "http-relation flags: flag needs an argument: -store\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A unit is set so that only the command line can fail.
			res := runInProcess(t, map[string]string{"JUJU_UNIT_NAME": "haproxy/0"}, tt.args...)
			assert.Equal(t, tt.code, res.ExitCode, "stderr: %s", res.Stderr)
			assertPrefix(t, tt.stdout, res.Stdout, "stdout")
			assertPrefix(t, tt.stderr, res.Stderr, "stderr")
		})
	}
}

func assertPrefix(t *testing.T, want, got, what string) {
	t.Helper()
	if want == "" {
		assert.Empty(t, got, what)
		return
	}
	assert.True(t, strings.HasPrefix(got, want), "%s: want prefix %q, got %q", what, want, got)
}

func TestRunHelpMentionsEveryCommand(t *testing.T) {
	t.Parallel()
	res := runInProcess(t, nil, "-h")
	require.Equal(t, 0, res.ExitCode)
	for _, cmd := range commands() {
		assert.Contains(t, res.Stdout, "\n  "+cmd.name+" ")
		sub := runInProcess(t, nil, cmd.name, "-h")
		assert.Equal(t, 0, sub.ExitCode, cmd.name)
		assert.Contains(t, sub.Stdout, cmd.help, cmd.name)
	}
	for _, cmd := range commands() {
		help := runInProcess(t, nil, cmd.name, "--help")
		assert.Contains(t, help.Stdout, "-timeout duration", cmd.name)
		assert.Contains(t, help.Stdout, "(default 30s)", cmd.name)
		assert.Contains(t, help.Stdout, "one hung tool\ncosts the command one --timeout", cmd.name)
	}
	configure := runInProcess(t, nil, "configure", "--help")
	for _, f := range []string{"-port port", "-hostname hostname", "-address address"} {
		assert.Contains(t, configure.Stdout, f)
	}
}

func TestRunNotInHook(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"services", "reverseproxy"},
		{"configure", "website", "--port", "8080"},
		{"flags"},
		{"flags", "--store", "file"},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			res := runInProcess(t, map[string]string{"JUJU_CHARM_DIR": t.TempDir()}, args...)
			assert.Equal(t, 1, res.ExitCode)
			assert.Empty(t, res.Stdout)
			assert.Contains(t, res.Stderr, "http-relation: "+args[0])
			assert.Contains(t, res.Stderr, "not running in a Juju hook: JUJU_UNIT_NAME is unset\n")
			assert.Contains(t, res.Stderr, "run it inside a hook, or with\n  juju exec --unit <app>/<n> -- http-relation ...\n")
			assert.Contains(t, res.Stderr, "under the hook-tool simulator (see its docs/simulator.md):\n"+
				"  hook-tool-sim install ./bin\n"+
				"  PATH=\"$PWD/bin:$PATH\" TOOLSIM_MODEL=model.json JUJU_UNIT_NAME=<app>/<n> JUJU_CHARM_DIR=<charm dir> http-relation ...\n")
		})
	}
}

// TestProcessNoHookTools runs the binary in a unit's environment whose
// PATH has no hook tools: the same clear failure, not a crash.
func TestProcessNoHookTools(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=" + t.TempDir(), "JUJU_UNIT_NAME=haproxy/0", "JUJU_CHARM_DIR=" + charmDir(t, "haproxy")}
	res := runProcess(t, env, "services", "reverseproxy")
	assert.Equal(t, 1, res.ExitCode)
	assert.Empty(t, res.Stdout)
	assert.Contains(t, res.Stderr, "http-relation: services reverseproxy: ")
	assert.Contains(t, res.Stderr, "relation-ids")
	assert.Contains(t, res.Stderr, "juju exec --unit")
}

// TestNotInHookHintRuns follows the simulator's lines of the hint the
// command prints outside a hook, word for word, from a directory holding
// model.json: hook-tool-sim install ./bin, then services and flags with
// the environment the second line sets. Both answer from the model; and
// docs/simulator.md gives the same two lines.
func TestNotInHookHintRuns(t *testing.T) {
	t.Parallel()
	sim := startSim(t, requirerModel(nil), "", hook{})
	simBinary, err := os.Readlink(filepath.Join(sim.Dir, "relation-ids"))
	require.NoError(t, err)
	work, charm := t.TempDir(), charmDir(t, "haproxy")
	m := oneReadWorld()
	require.NoError(t, m.WriteFile(filepath.Join(work, "model.json")))

	install := strings.Fields(simInstallLine)
	require.Equal(t, "hook-tool-sim", install[0])
	res := runIn(t, work, os.Environ(), simBinary, install[1:]...)
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	// The line's words: assignments, then the command. $PWD and $PATH
	// are expanded as the shell would, the PATH after the tools' holding
	// no relative entry.
	words := strings.Fields(strings.NewReplacer("<app>/<n>", "haproxy/0", "<charm dir>", charm,
		"$PWD", work, "$PATH", "/usr/bin:/bin", `"`, "").Replace(simRunLine))
	env, prog := words[:len(words)-1], words[len(words)-1]
	require.Equal(t, progName, prog)
	for _, args := range [][]string{{"services", "reverseproxy"}, {"flags"}} {
		res := runIn(t, work, env, binary(t), args...)
		require.Equal(t, 0, res.ExitCode, "%q: %s", args, res.Stderr)
		assert.NotEqual(t, "[]\n", res.Stdout, "%q", args)
	}

	docs, err := os.ReadFile(filepath.Join("..", "..", "docs", "simulator.md"))
	require.NoError(t, err)
	for _, line := range []string{"\n" + simInstallLine + "\n", "\n" + simRunLine + " "} {
		assert.True(t, strings.Contains(string(docs), line), "docs/simulator.md lacks %q", line)
	}
}

// runIn runs binary with args from dir, with env as its whole
// environment.
func runIn(t *testing.T, dir string, env []string, binary string, args ...string) toolsim.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(testcompat.Context(t), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env = dir, env
	res, err := procrun.Run(ctx, cmd)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	return toolsim.Result(res)
}

func TestProcessExitCodes(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, tt := range []struct {
		args []string
		code int
	}{{[]string{"-h"}, 0}, {[]string{"services", "x"}, 1}, {[]string{"nope"}, 2}} {
		res := runProcess(t, env, tt.args...)
		assert.Equal(t, tt.code, res.ExitCode, "%v: %s", tt.args, res.Stderr)
	}
}

func TestParseInterspersed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args       []string
		positional []string
		port       string
	}{
		{[]string{"website", "--port", "80"}, []string{"website"}, "80"},
		{[]string{"--port", "80", "website"}, []string{"website"}, "80"},
		{[]string{"a", "-port=80", "b"}, []string{"a", "b"}, "80"},
		{[]string{"--", "-port", "80"}, []string{"-port", "80"}, ""},
		{[]string{"a", "--", "--port=80"}, []string{"a", "--port=80"}, ""},
		{nil, nil, ""},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		port := fs.String("port", "", "")
		got, err := parseInterspersed(fs, tt.args)
		require.NoError(t, err, "%q", tt.args)
		assert.Equal(t, tt.positional, got, "%q", tt.args)
		assert.Equal(t, tt.port, *port, "%q", tt.args)
	}
}

// TestUsageErrorsEscapeTheCommandLine: what the command
// line holds reaches a usage message escaped, never raw: the flag package
// prints an unknown flag's name as given, so an escape code, a bidi
// override, an invalid byte or a newline forging a second line went to
// stderr as it was.
func TestUsageErrorsEscapeTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"services", "--\x1b[2J"}, `http-relation services: flag provided but not defined: -\x1b[2J` + "\n"},
		{[]string{"services", "reverseproxy", "--x\u202ey"}, `http-relation services: flag provided but not defined: -x\u202ey` + "\n"},
		{[]string{"--\xff"}, `http-relation: flag provided but not defined: -\xff` + "\n"},
		{[]string{"services", "-\nERROR forged"}, `http-relation services: flag provided but not defined: -\nERROR forged` + "\n"},
		{[]string{"configure", "website", "--port", "80", "---\r"}, `http-relation configure: bad flag syntax: ---\r` + "\n"},
		{[]string{"flags", "--é\u0301"}, "http-relation flags: flag provided but not defined: -é\u0301\n"}, // printable text stays as it is
	} {
		t.Run(strings.ToValidUTF8(tc.args[len(tc.args)-1], "?"), func(t *testing.T) {
			t.Parallel()
			res := runInProcess(t, map[string]string{"JUJU_UNIT_NAME": "haproxy/0"}, tc.args...)
			assert.Equal(t, 2, res.ExitCode)
			line, _, _ := strings.Cut(res.Stderr, "\n")
			assert.Equal(t, tc.want, line+"\n")
			assert.Equal(t, 2, strings.Count(res.Stderr, "\n"), "the message and the hint, nothing forged: %q", res.Stderr)
		})
	}
}

// TestUsageLineListsEveryFlag: the usage line of every command names
// every flag the command declares, required ones bare, the others in
// brackets, repeatable ones followed by "...", each with the name of
// its value; and the command's lists of required and repeatable flags
// name flags it has.
func TestUsageLineListsEveryFlag(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands() {
		t.Run(cmd.name, func(t *testing.T) {
			t.Parallel()
			fs := newFlagSet(cmd.name)
			cmd.setup(fs)
			res := runInProcess(t, nil, cmd.name, "-h")
			require.Equal(t, 0, res.ExitCode)
			line, _, _ := strings.Cut(res.Stdout, "\n")
			words := strings.TrimPrefix(line, "Usage: http-relation "+cmd.name) + " "
			n := 0
			fs.VisitAll(func(f *flag.Flag) {
				n++
				word := "--" + f.Name
				if value, _ := flag.UnquoteUsage(f); value != "" {
					word += " " + value
				}
				switch {
				case slices.Contains(cmd.required, f.Name):
					assert.Contains(t, words, " "+word+" ", "required: bare")
				case slices.Contains(cmd.repeatable, f.Name):
					assert.Contains(t, words, " ["+word+"]... ", "optional and repeatable")
				default:
					assert.Contains(t, words, " ["+word+"] ", "optional")
				}
			})
			assert.Equal(t, n, strings.Count(words, "--"), "no flag the command does not take: %s", line)
			assert.Positive(t, n)
			for _, name := range slices.Concat(cmd.required, cmd.repeatable) {
				assert.NotNil(t, fs.Lookup(name), "%s names a flag the command does not declare", name)
			}
			if cmd.positional != "" {
				assert.True(t, strings.HasPrefix(words, " "+cmd.positional+" "), line)
			}
		})
	}
}
