package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/toolsim"
)

// These run `http-relation services` as a process under the simulator
// against hostile tool answers: huge bags, non-string values, wrong
// shapes, read failures, hanging tools, quoting. Peak
// memory under huge bags is measured by bench.BenchmarkHookBigBags.

// hostileWorld is reverseproxy:3 with units web/0..web/(n-1), each a
// backend on 10.0.0.(i+1):8080, and the given faults.
func hostileWorld(n int, faults map[string]toolsim.Fault) *toolsim.Model {
	units := map[string]map[string]string{}
	for i := range n {
		units[fmt.Sprintf("web/%d", i)] = backend(fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), "8080")
	}
	m := requirerModel(map[string]toolsim.Relation{"reverseproxy:3": relation("web", proxyAddr, units)})
	m.Faults = faults
	return m
}

// startHostile starts the simulator on m in an update-status hook of the
// haproxy charm; the call log is off when the answers are huge.
func startHostile(t *testing.T, m *toolsim.Model, logCalls bool) *toolsim.Sim {
	t.Helper()
	env := hook{name: "update-status"}.env(m.Unit, charmDir(t, "haproxy"))
	if !logCalls {
		env["TOOLSIM_LOG"] = ""
	}
	return toolsim.Start(t, m, env)
}

// stderrLines splits stderr into lines, none of them empty.
func stderrLines(stderr string) []string {
	if s := strings.TrimSuffix(stderr, "\n"); s != "" {
		return strings.Split(s, "\n")
	}
	return nil
}

// TestHostileToolsBigBags: a unit whose bag is over
// httprelation.MaxBagBytes or httprelation.MaxBagKeys is skipped with one
// warning naming relation and unit; the others are served.
func TestHostileToolsBigBags(t *testing.T) {
	t.Parallel()
	head := `{"port":"8080","private-address":"10.9.9.9","big":"`
	padded := func(size int) toolsim.Fault {
		return toolsim.Fault{Stdout: head, Fill: size - len(head) - len(`"}`), StdoutEnd: `"}`}
	}
	var keys strings.Builder
	keys.WriteString(`{"port":"8080","private-address":"10.9.9.8"`)
	for i := range httprelation.MaxBagKeys {
		fmt.Fprintf(&keys, `,"k%d":"v"`, i)
	}
	keys.WriteString("}")

	faults := map[string]toolsim.Fault{
		"relation-get web/2": padded(httprelation.MaxBagBytes),     // at the cap: read
		"relation-get web/3": padded(httprelation.MaxBagBytes + 1), // one byte over
		"relation-get web/4": {Stdout: keys.String()},              // one key too many
	}
	tooLarge := []string{"web/3", "web/4"}
	for i := 5; i < 55; i++ { // 50 units of 10 MiB
		unit := fmt.Sprintf("web/%d", i)
		faults["relation-get "+unit] = padded(10 << 20)
		tooLarge = append(tooLarge, unit)
	}
	sim := startHostile(t, hostileWorld(55, faults), false)
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},`+
		`{"hostname":"10.0.0.2","private-address":"10.0.0.2","port":8080},`+
		`{"hostname":"10.9.9.9","private-address":"10.9.9.9","port":8080}]}]`+"\n", libraryJSON(t, res.Stdout))

	lines := stderrLines(res.Stderr)
	require.Len(t, lines, len(tooLarge), "one warning per unit: %s", res.Stderr)
	var warned []string
	re := regexp.MustCompile(`^level=WARN msg="httprelation: skipping remote unit whose data is too large" ` +
		`endpoint=reverseproxy relation=reverseproxy:3 unit=(web/\d+) error="unit data too large: relation-get`)
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m, l)
		warned = append(warned, m[1])
	}
	assert.ElementsMatch(t, tooLarge, warned)
	assert.Contains(t, res.Stderr, "unit=web/4 error=\"unit data too large: relation-get: 4098 keys, more than 4096\"")
}

// TestHostileToolsNonStringValues: a relation-get value that
// is not a string is one warning naming relation, unit and key, with the
// value quoted; the rest of that bag is still used, but not to guess an
// address in place of one that could not be read (web/2).
func TestHostileToolsNonStringValues(t *testing.T) {
	t.Parallel()
	faults := map[string]toolsim.Fault{
		"relation-get web/1": {Stdout: `{"port":8080,"private-address":"10.0.0.2"}` + "\n"},
		"relation-get web/2": {Stdout: `{"port":"8081","private-address":"10.0.0.3","hostname":true}` + "\n"},
		"relation-get web/3": {Stdout: `{"port":"80","private-address":"10.0.0.4","extended_data":[{"hostname":"10.0.0.99","port":80}],"x":null}` + "\n"},
		"relation-get web/4": {Stdout: `{"port":"80","private-address":"10.0.0.5","k\nlevel=ERROR forged":{"a":"\u001b[2J"}}` + "\n"},
	}
	sim := startHostile(t, hostileWorld(5, faults), true)
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},`+
		`{"hostname":"10.0.0.4","private-address":"10.0.0.4","port":80},`+
		`{"hostname":"10.0.0.5","private-address":"10.0.0.5","port":80}]}]`+"\n", libraryJSON(t, res.Stdout))

	prefix := `^level=WARN msg="httprelation: ignoring invalid remote data" endpoint=reverseproxy relation=reverseproxy:3 `
	want := []string{
		`unit=web/1 key=port value=8080 error="value is not a string: JSON number"$`,
		`unit=web/2 key=hostname value=true error="value is not a string: JSON boolean"$`,
		`unit=web/3 key=extended_data value="\[\{\\"hostname\\":\\"10\.0\.0\.99\\",\\"port\\":80\}\]" error="value is not a string: JSON array"$`,
		`unit=web/3 key=x value=null error="value is not a string: JSON null"$`,
		`unit=web/4 key="k\\\\nlevel=ERROR forged" value="\{\\"a\\":\\"\\\\\\\\u001b\[2J\\"\}" error="value is not a string: JSON object"$`,
	}
	for i := range want {
		want[i] = prefix + want[i]
	}
	matchLines(t, stderrLines(res.Stderr), want)
	assert.NotContains(t, res.Stderr, "\x1b", "no raw escape code")
}

// TestHostileToolsNothingGuessed: null or a wrong element
// where Juju prints a list or a bag fails the command: no service list
// is printed from a guess.
func TestHostileToolsNothingGuessed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, out, tool string
	}{
		{"relation-ids", "null\n", "relation-ids"},
		{"relation-ids", `["reverseproxy:3",null]`, "relation-ids"},
		{"relation-ids", `["website:3"]`, "relation-ids"},
		{"relation-ids", `["reverseproxy:3\nERROR forged"]`, "relation-ids"},
		{"relation-list", "null\n", "relation-list"},
		{"relation-list", `["web/0",null]`, "relation-list"},
		{"relation-list", `{"web/0":"x"}`, "relation-list"},
		{"relation-get web/1", "null\n", "relation-get"},
		{"relation-get web/1", "[]\n", "relation-get"},
	} {
		t.Run(tc.key+" "+tc.out, func(t *testing.T) {
			t.Parallel()
			sim := startHostile(t, hostileWorld(3, map[string]toolsim.Fault{tc.key: {Stdout: tc.out}}), true)
			res := runSim(t, sim, "services", "reverseproxy")
			assert.Equal(t, 1, res.ExitCode, "stderr: %s", res.Stderr)
			assert.Empty(t, res.Stdout)
			assert.Regexp(t, `^http-relation: services reverseproxy: .*`+tc.tool+`: cannot parse output `, res.Stderr)
			assertOneLine(t, res.Stderr)
		})
	}
}

// TestHostileToolsReadFailures: a relation-get failure other
// than Juju's "settings not found" fails the command with status 1 and
// no partial list, whatever its wording.
func TestHostileToolsReadFailures(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		`cannot read settings for unit "web/1" in relation "reverseproxy:3": connection is shut down`,
		`cannot read settings for unit "web/1" in relation "reverseproxy:3": permission denied`,
		`cannot read settings for unit "web/1": i/o timeout`,
		`cannot read settings`,
		`settings not found; retrying: connection is shut down`,
		`connection is shut down`,
	} {
		t.Run(msg, func(t *testing.T) {
			t.Parallel()
			faults := map[string]toolsim.Fault{"relation-get web/1": {Exit: 1, Stderr: "ERROR " + msg + "\n"}}
			sim := startHostile(t, hostileWorld(3, faults), true)
			res := runSim(t, sim, "services", "reverseproxy")
			assert.Equal(t, 1, res.ExitCode, "stderr: %s", res.Stderr)
			assert.Empty(t, res.Stdout, "no partial list")
			assert.Equal(t, `http-relation: services reverseproxy: httprelation: endpoint reverseproxy: `+
				`relation "reverseproxy:3": unit "web/1": relation-get --format=json -r=reverseproxy:3 - web/1: exit status 1: `+msg+"\n", res.Stderr)
		})
	}
}

// TestHostileToolsHangingReads: with every relation-get
// hanging, the command fails with status 1 within the per-call deadline
// (--timeout) plus 5 s, for 1 unit as for 1000, and the hung tools die
// with what they started.
func TestHostileToolsHangingReads(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	for _, tc := range []struct {
		units int
		key   string
		tool  string
	}{
		{1, "relation-get", "relation-get"},
		{1000, "relation-get", "relation-get"},
		{24, "relation-get web/7", "relation-get"},
		{1000, "relation-list", "relation-list"},
	} {
		t.Run(fmt.Sprintf("%d units, %s hangs", tc.units, tc.key), func(t *testing.T) {
			t.Parallel()
			pidFile := filepath.Join(t.TempDir(), "child.pid")
			faults := map[string]toolsim.Fault{tc.key: {Hang: true, Spawn: pidFile}}
			sim := startHostile(t, hostileWorld(tc.units, faults), true)
			start := time.Now()
			res := runSim(t, sim, "services", "reverseproxy", "--timeout", timeout.String())
			elapsed := time.Since(start)
			assert.Equal(t, 1, res.ExitCode, "stderr: %s", res.Stderr)
			assert.Empty(t, res.Stdout)
			assert.Less(t, elapsed, timeout+5*time.Second)
			assert.GreaterOrEqual(t, elapsed, timeout)
			assert.Regexp(t, `^http-relation: services reverseproxy: .*`+tc.tool+`: context deadline exceeded\n$`, res.Stderr)

			data, err := os.ReadFile(pidFile)
			require.NoError(t, err, "the hung tool started its child")
			pid, err := strconv.Atoi(string(data))
			require.NoError(t, err)
			assert.Eventually(t, func() bool { return processGone(pid) }, 5*time.Second, 20*time.Millisecond,
				"the hung tool's child %d outlived the command", pid)
		})
	}
}

// TestHostileToolsErrorsQuoted: what a tool says reaches the
// command's error quoted, never raw; a tool on a relative PATH entry is
// refused for that reason, not for a missing hook.
func TestHostileToolsErrorsQuoted(t *testing.T) {
	t.Parallel()
	t.Run("stderr with escape codes and newlines", func(t *testing.T) {
		t.Parallel()
		faults := map[string]toolsim.Fault{"relation-list": {Exit: 1, Stderr: "ERROR \x1b[2Jwiped\nERROR forged\rline\n"}}
		sim := startHostile(t, hostileWorld(1, faults), true)
		res := runSim(t, sim, "services", "reverseproxy")
		assert.Equal(t, 1, res.ExitCode)
		assert.Contains(t, res.Stderr, `exit status 1: "\x1b[2Jwiped\nERROR forged\rline"`)
		assertOneLine(t, res.Stderr)
	})
	t.Run("relative PATH entry", func(t *testing.T) {
		t.Parallel()
		sim := startHostile(t, hostileWorld(1, nil), true)
		rel, err := filepath.Rel(mustGetwd(t), sim.Dir)
		require.NoError(t, err)
		env := append(sim.Environ(), "PATH="+rel)
		res := runProcess(t, env, "services", "reverseproxy")
		assert.Equal(t, 1, res.ExitCode)
		assert.Regexp(t, `^http-relation: services reverseproxy: .*relation-ids: hook tool found through a relative PATH entry: `, res.Stderr)
		assert.NotContains(t, res.Stderr, "needs Juju's hook tools")
	})
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return wd
}

// assertOneLine checks that stderr is one line of printable text.
func assertOneLine(t *testing.T, stderr string) {
	t.Helper()
	line, ok := strings.CutSuffix(stderr, "\n")
	require.True(t, ok, "%q", stderr)
	for _, r := range line {
		require.True(t, r == ' ' || unicode.IsPrint(r), "%q holds %U", stderr, r)
	}
}

// processGone reports whether pid no longer runs: absent, or a zombie
// waiting to be reaped.
func processGone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	fields := strings.Fields(rest)
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// TestServicesDepartureWording: a relation-get failure counts as
// a unit that left only when it is Juju's own answer for the unit asked
// for; near misses fail the command with status 1 and print nothing.
func TestServicesDepartureWording(t *testing.T) {
	t.Parallel()
	juju := `ERROR cannot read settings for unit "web/1" in relation "haproxy:reverseproxy web:website": unit "web/1": settings not found` + "\n"
	for _, tc := range []struct {
		name string
		f    toolsim.Fault
		left bool
	}{
		{"juju's answer", toolsim.Fault{Exit: 1, Stderr: juju}, true},
		{"exit status 2", toolsim.Fault{Exit: 2, Stderr: juju}, false},
		{"another unit", toolsim.Fault{Exit: 1, Stderr: strings.ReplaceAll(juju, "web/1", "web/0")}, false},
		{"no unit", toolsim.Fault{Exit: 1, Stderr: "ERROR connection is shut down: settings not found\n"}, false},
		{"a second error", toolsim.Fault{Exit: 1, Stderr: "ERROR connection is shut down\n" + juju}, false},
		{"a second line", toolsim.Fault{Exit: 1, Stderr: juju + "while reconnecting\n"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startHostile(t, hostileWorld(3, map[string]toolsim.Fault{"relation-get web/1": tc.f}), true)
			res := runSim(t, sim, "services", "reverseproxy")
			if tc.left {
				require.Equal(t, 0, res.ExitCode, res.Stderr)
				assert.NotContains(t, res.Stdout, "10.0.0.2")
				assert.Contains(t, res.Stderr, `msg="httprelation: skipping remote unit that left the relation"`)
				return
			}
			assert.Equal(t, 1, res.ExitCode, res.Stderr)
			assert.Empty(t, res.Stdout, "no partial list")
			assert.Contains(t, res.Stderr, `unit "web/1": relation-get --format=json -r=reverseproxy:3 - web/1: exit status `)
			assertOneLine(t, res.Stderr)
		})
	}
}

// TestServicesRepeatsAndSpellings: a repeated relation id, unit
// or key, or a relation number Juju would not write, fails the command:
// no service list is printed from a guess.
func TestServicesRepeatsAndSpellings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, out, tool, why string
	}{
		{"relation-ids", `["reverseproxy:3","reverseproxy:3"]`, "relation-ids", `"reverseproxy:3" is listed twice`},
		{"relation-ids", `["reverseproxy:03"]`, "relation-ids", `"reverseproxy:03" is not a relation id of reverseproxy`},
		{"relation-list", `["web/0","web/1","web/0"]`, "relation-list", `"web/0" is listed twice`},
		{"relation-get web/1", `{"port":"8080","private-address":"10.0.0.2","port":"6379"}`, "relation-get", `key "port" appears twice`},
		{"relation-get web/1", `{"port":"8080","private-address":"10.0.0.2","p\u006frt":"6379"}`, "relation-get", `key "port" appears twice`},
	} {
		t.Run(tc.key+" "+tc.out, func(t *testing.T) {
			t.Parallel()
			sim := startHostile(t, hostileWorld(2, map[string]toolsim.Fault{tc.key: {Stdout: tc.out}}), true)
			res := runSim(t, sim, "services", "reverseproxy")
			assert.Equal(t, 1, res.ExitCode, res.Stderr)
			assert.Empty(t, res.Stdout)
			assert.Regexp(t, `^http-relation: services reverseproxy: .*`+tc.tool+`: cannot parse output `, res.Stderr)
			assert.Contains(t, res.Stderr, tc.why)
			assertOneLine(t, res.Stderr)
		})
	}
}

// TestServicesHugeLists: a relation-list or relation-ids answer
// over hooktools.MaxListOutput fails the command at once with status 1,
// before a unit is read; one at the cap is read.
func TestServicesHugeLists(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key  string
		size int
		ok   bool
	}{
		{"relation-list", hooktools.MaxListOutput + 1, false},
		{"relation-list", 16 << 20, false},
		{"relation-ids", hooktools.MaxListOutput + 1, false},
		{"relation-list", hooktools.MaxListOutput, true},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.key, tc.size), func(t *testing.T) {
			t.Parallel()
			item := "web/0"
			if tc.key == "relation-ids" {
				item = "reverseproxy:3"
			}
			// Spaces pad the list to its size: JSON allows them between
			// elements, and the answer stays Juju's list of one.
			head := `["` + item + `"`
			f := toolsim.Fault{Stdout: head + strings.Repeat(" ", tc.size-len(head)-1) + "]"}
			sim := startHostile(t, hostileWorld(2, map[string]toolsim.Fault{tc.key: f}), false)
			res := runSim(t, sim, "services", "reverseproxy")
			if tc.ok {
				require.Equal(t, 0, res.ExitCode, res.Stderr)
				assert.Equal(t, `[{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]`+"\n", libraryJSON(t, res.Stdout))
				return
			}
			assert.Equal(t, 1, res.ExitCode, res.Stderr)
			assert.Empty(t, res.Stdout)
			assert.Contains(t, res.Stderr, fmt.Sprintf("%s: hook tool output too large: more than %d bytes", tc.key, hooktools.MaxListOutput))
			assertOneLine(t, res.Stderr)
		})
	}
}
