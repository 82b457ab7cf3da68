package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/toolsim"
)

// These run `http-relation services` under the simulator against inputs
// of a second, attacker's review of issue 9's classes, beyond those of
// hostile_tools_e2e_test.go and hostile_data_e2e_test.go.

// TestAttackJSONErrorsNameTheCharacter (class 10): JSON that does not
// parse, from a tool or in a remote unit's extended_data, is reported
// naming the offending character as the rune it is.
func TestAttackJSONErrorsNameTheCharacter(t *testing.T) {
	t.Parallel()
	t.Run("tool output", func(t *testing.T) {
		t.Parallel()
		faults := map[string]toolsim.Fault{"relation-get web/1": {Stdout: `{"port":"80",é}`}}
		sim := startHostile(t, hostileWorld(2, faults), true)
		res := runSim(t, sim, "services", "reverseproxy")
		assert.Equal(t, 1, res.ExitCode)
		assert.Empty(t, res.Stdout)
		assert.Contains(t, res.Stderr, `invalid character 'é' (U+00E9) looking for beginning of object key string`)
		assert.NotContains(t, res.Stderr, "Ã")
		assertOneLine(t, res.Stderr)
	})
	t.Run("extended_data", func(t *testing.T) {
		t.Parallel()
		m := hostileWorld(2, nil)
		m.Relations["reverseproxy:3"].Units["web/1"]["extended_data"] = "\ufeff[]"
		sim := startHostile(t, m, true)
		res := runSim(t, sim, "services", "reverseproxy")
		require.Equal(t, 0, res.ExitCode, res.Stderr)
		assert.Contains(t, res.Stdout, `"hostname":"10.0.0.2"`, "the unit's own host is kept")
		assert.Contains(t, res.Stderr, `invalid character '\\ufeff' (U+FEFF) looking for beginning of value`)
		assert.NotContains(t, res.Stderr, "ï")
		assertOneLine(t, res.Stderr)
	})
}

// TestAttackUnreadableAddress (class 6): a hostname or private-address
// that is not a JSON string drops the unit's top-level host with one
// warning naming unit and key; the unit is not served at the other
// address, and its extended_data and the other units are kept.
func TestAttackUnreadableAddress(t *testing.T) {
	t.Parallel()
	faults := map[string]toolsim.Fault{
		"relation-get web/1": {Stdout: `{"port":"8081","private-address":"10.0.0.2","hostname":{"name":"web.example"}}`},
		"relation-get web/2": {Stdout: `{"port":"8081","hostname":"web.example","private-address":["10.0.0.3"]}`},
		"relation-get web/3": {Stdout: `{"port":"8081","private-address":"10.0.0.4","hostname":null,` +
			`"extended_data":"[{\"hostname\":\"10.0.9.9\",\"port\":80}]"}`},
	}
	sim := startHostile(t, hostileWorld(4, faults), true)
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},`+
		`{"hostname":"10.0.9.9","private-address":"10.0.9.9","port":80}]}]`+"\n", res.Stdout)
	const prefix = `^level=WARN msg="httprelation: ignoring invalid remote data" endpoint=reverseproxy relation=reverseproxy:3 `
	matchLines(t, stderrLines(res.Stderr), []string{
		prefix + `unit=web/1 key=hostname .* error="value is not a string: JSON object"$`,
		prefix + `unit=web/2 key=private-address .* error="value is not a string: JSON array"$`,
		prefix + `unit=web/3 key=hostname value=null error="value is not a string: JSON null"$`,
	})
}

// TestAttackLoopbackNames (class 1): "localhost", the names under it and
// the other names every machine answers without DNS are refused as
// hostname, private-address and in extended_data, like numbers in
// disguise; configure refuses them as flags.
func TestAttackLoopbackNames(t *testing.T) {
	t.Parallel()
	stdout, warnings := servicesWithWarnings(t, map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": withKeys(backend("10.0.0.1", "8080"), "hostname", "localhost"),
			"web/1": withKeys(enteredScope("LOCALHOST.localdomain"), "port", "80"),
			"web/2": withKeys(backend("10.0.0.3", "8080"), "extended_data",
				`[{"hostname":"api.localhost","port":80},{"private-address":"ip6-loopback","port":81},{"hostname":"localhost.example","port":82}]`),
		}),
	})
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.3","private-address":"10.0.0.3","port":8080},`+
		`{"hostname":"localhost.example","private-address":"localhost.example","port":82}]}]`+"\n", stdout)
	matchLines(t, warnings, []string{
		`unit=web/0 key=hostname value=.*localhost.* error=.*without DNS`,
		`unit=web/1 key=private-address value=.*LOCALHOST\.localdomain.* error=.*without DNS`,
		`unit=web/2 key=extended_data .*without DNS.* index=0$`,
		`unit=web/2 key=extended_data .*without DNS.* index=1$`,
	})

	sim := startSim(t, providerModel(map[string]toolsim.Relation{"website:1": relation("haproxy", webAddr, nil)}), "web", hook{name: "config-changed"})
	res := runSim(t, sim, "configure", "website", "--port", "80", "--hostname", "localhost")
	assert.Equal(t, 2, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stderr, "without DNS")
	assert.Zero(t, countCalls(t, sim)["relation-set"])
}

// TestAttackDepartureWording (class 8): a relation-get failure counts as
// a unit that left only when it is Juju's own answer for the unit asked
// for; near misses fail the command with status 1 and print nothing.
func TestAttackDepartureWording(t *testing.T) {
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

// TestAttackRepeatsAndSpellings (class 7): a repeated relation id, unit
// or key, or a relation number Juju would not write, fails the command:
// no service list is printed from a guess.
func TestAttackRepeatsAndSpellings(t *testing.T) {
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

// TestAttackStoredViewSpelling (class 3): a stored view holding an
// address this library would not write (upper case) is not used: every
// unit is read again, and the target comes out once, canonical.
func TestAttackStoredViewSpelling(t *testing.T) {
	t.Parallel()
	web0 := withKeys(backend("10.0.0.1", "80"), "hostname", "web.example")
	m := requirerModel(map[string]toolsim.Relation{"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
		"web/0": web0, "web/1": backend("10.0.0.2", "80"),
	})})
	m.State["view.reverseproxy.0"] = fmt.Sprintf("httprelation-view 1 %d kept\n3 web/0 WEB.EXAMPLE,10.0.0.1,80\n3 web/1 10.0.0.2,80\n", time.Now().Unix())
	sim := startSim(t, m, "haproxy", hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/1", remoteApp: "web"})
	res := runSim(t, sim, "services", "--incremental", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.2","private-address":"10.0.0.2","port":80},`+
		`{"hostname":"web.example","private-address":"10.0.0.1","port":80}]}]`+"\n", res.Stdout)
	assert.Equal(t, 2, countCalls(t, sim)["relation-get"], "every unit read again")
}

// TestAttackHugeLists (class 5): a relation-list or relation-ids answer
// over hooktools.MaxListOutput fails the command at once with status 1,
// before a unit is read; one at the cap is read.
func TestAttackHugeLists(t *testing.T) {
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
				assert.Equal(t, `[{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]`+"\n", res.Stdout)
				return
			}
			assert.Equal(t, 1, res.ExitCode, res.Stderr)
			assert.Empty(t, res.Stdout)
			assert.Contains(t, res.Stderr, fmt.Sprintf("%s: hook tool output too large: more than %d bytes", tc.key, hooktools.MaxListOutput))
			assertOneLine(t, res.Stderr)
		})
	}
}

// TestAttackWarningFlood (classes 5 and 9): the warnings of one read are
// capped, 8 per unit and 64 in all, and a key is cut in them, so what
// the remote side publishes cannot make the command write megabytes or
// thousands of lines (200 units of a 1 MiB key holding a number wrote
// 210 MB to stderr, at a peak RSS of 447 MB).
func TestAttackWarningFlood(t *testing.T) {
	t.Parallel()
	head := `{"port":"8080","private-address":"10.9.0.1","`
	bigKey := toolsim.Fault{Stdout: head, Fill: httprelation.MaxBagBytes - len(head) - 10, StdoutEnd: `":1}`}
	m := hostileWorld(30, map[string]toolsim.Fault{"relation-get web/1": bigKey})
	var entries []string
	for i := range 256 {
		entries = append(entries, fmt.Sprintf(`{"hostname":"bad host %d","port":80}`, i))
	}
	rel := m.Relations["reverseproxy:3"]
	rel.Units["web/0"]["extended_data"] = "[" + strings.Join(entries, ",") + "]"
	for i := 2; i < 30; i++ {
		rel.Units[fmt.Sprintf("web/%d", i)] = map[string]string{"private-address": "10.0.0.1", "hostname": "a b", "port": "http"}
	}
	sim := startHostile(t, m, false)
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	assert.Contains(t, res.Stdout, `"hostname":"10.9.0.1"`, "web/1's host is served")
	lines := stderrLines(res.Stderr)
	require.Len(t, lines, 65)
	assert.Less(t, len(res.Stderr), 64<<10)
	assert.Equal(t, 8, strings.Count(res.Stderr, "unit=web/0 "), "8 of web/0's 256")
	assert.Contains(t, res.Stderr, `unit=web/1 key="xxxxxxxx`)
	assert.Regexp(t, `^level=WARN msg="httprelation: more warnings about remote data, not logged one by one" endpoint=reverseproxy not_logged=249$`, lines[64]) // 248 of web/0, 1 past 64
}
