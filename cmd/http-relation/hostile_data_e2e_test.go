package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

// Hostile remote data and configure's limits, through the command run as a process
// under the simulator: what a hostile or broken remote unit publishes
// costs only itself, with one warning line each, and what configure would
// publish is checked against the requirer's rules before anything is
// written.

// servicesWithWarnings runs services in a relation-changed hook over rels
// and returns stdout and the warning lines.
func servicesWithWarnings(t *testing.T, rels map[string]toolsim.Relation) (string, []string) {
	t.Helper()
	sim := startSim(t, requirerModel(rels), "haproxy",
		hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"})
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	lines := stderrLines(res.Stderr)
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "level=WARN "), "not a warning: %q", l)
	}
	return res.Stdout, lines
}

// matchLines checks that there is one line per pattern, each matching
// its own.
func matchLines(t *testing.T, lines, patterns []string) {
	t.Helper()
	require.Len(t, lines, len(patterns), "%q", lines)
	for i, l := range lines {
		assert.Regexp(t, patterns[i], l)
	}
}

func withKeys(bag map[string]string, kv ...string) map[string]string {
	bag = maps.Clone(bag)
	for i := 0; i+1 < len(kv); i += 2 {
		bag[kv[i]] = kv[i+1]
	}
	return bag
}

// TestServicesNumericNamesProcess: names the C resolver reads as
// numbers are refused wherever they appear; a name that only looks
// numeric is kept.
func TestServicesNumericNamesProcess(t *testing.T) {
	t.Parallel()
	stdout, warnings := servicesWithWarnings(t, map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": withKeys(backend("10.0.0.1", "8080"), "hostname", "0x7f000001"),
			"web/1": withKeys(enteredScope("127.1"), "port", "80"),
			"web/2": withKeys(backend("10.0.0.3", "8080"), "extended_data",
				`[{"hostname":"1.2.3.0x4","port":80},{"private-address":"017700000001","port":81},{"hostname":"0xdead.beef","port":82}]`),
			"web/3": withKeys(backend("10.0.0.4", "8080"), "hostname", "2130706433"),
		}),
	})
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"0xdead.beef","private-address":"0xdead.beef","port":82},`+
		`{"hostname":"10.0.0.3","private-address":"10.0.0.3","port":8080}]}]`+"\n", libraryJSON(t, stdout))
	want := []string{
		`unit=web/0 key=hostname value=.*0x7f000001.* error=.*starts with a digit`,
		`unit=web/1 key=private-address value=.*127\.1.* error=.*starts with a digit`,
		`unit=web/2 key=extended_data .*starts with a digit.* index=0$`,
		`unit=web/2 key=extended_data .*starts with a digit.* index=1$`,
		`unit=web/3 key=hostname value=.*2130706433.* error=.*starts with a digit`,
	}
	matchLines(t, warnings, want)
}

// TestServicesExactKeysProcess: only the exact wire keys of an
// extended_data entry count, and a duplicated one refuses its entry.
func TestServicesExactKeysProcess(t *testing.T) {
	t.Parallel()
	stdout, warnings := servicesWithWarnings(t, map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": withKeys(enteredScope("10.0.0.1"), "extended_data", `[`+
				`{"hostname":"10.0.0.12","port":8080,"PORT":6379},`+
				`{"private-addreſs":"10.0.0.13","port":80},`+
				`{"hostname":"10.0.0.14","port":80,"port":81},`+
				`{"Hostname":"10.0.0.15","private-address":"10.0.0.16","Port":1,"port":"82"}]`),
		}),
	})
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.12","private-address":"10.0.0.12","port":8080},`+
		`{"hostname":"10.0.0.16","private-address":"10.0.0.16","port":82}]}]`+"\n", libraryJSON(t, stdout))
	want := []string{
		`unit=web/0 key=extended_data .*private-addreſs.* error=.*neither hostname nor private-address" index=1$`,
		`unit=web/0 key=extended_data .* error=.*duplicate key .*port.*" index=2$`,
	}
	matchLines(t, warnings, want)
}

// TestServicesOneTargetOneHostProcess: spellings of one target
// are one host, printed canonically; no warning, since none is wrong.
func TestServicesOneTargetOneHostProcess(t *testing.T) {
	t.Parallel()
	stdout, warnings := servicesWithWarnings(t, map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": withKeys(backend("10.0.0.5", "80"), "hostname", "WEB.EXAMPLE.COM"),
			"web/1": withKeys(backend("::ffff:10.0.0.5", "80"), "hostname", "web.example.com"),
			"web/2": withKeys(backend("2001:DB8:0::1", "8080"), "extended_data", `[{"hostname":"2001:0db8::0001","port":8080}]`),
		}),
		"reverseproxy:4": relation("web", proxyAddr, map[string]map[string]string{
			"web/3": withKeys(backend("10.0.0.6", "80"), "hostname", "::FFFF:a00:6",
				"extended_data", `[{"hostname":"Web.Example.Com","private-address":"10.0.0.5","port":"80"}]`),
		}),
	})
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.6","private-address":"10.0.0.6","port":80},`+
		`{"hostname":"2001:db8::1","private-address":"2001:db8::1","port":8080},`+
		`{"hostname":"web.example.com","private-address":"10.0.0.5","port":80}]}]`+"\n", libraryJSON(t, stdout))
	assert.Empty(t, warnings)
}

// TestServicesUnitNamesProcess: units of applications Juju
// cannot create are skipped with one warning each; the good application
// next to them is kept.
func TestServicesUnitNamesProcess(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 255)
	rels := map[string]toolsim.Relation{
		"reverseproxy:3": relation("website", proxyAddr, map[string]map[string]string{"website/0": backend("10.0.0.1", "8080")}),
	}
	bad := []string{"web-1", "a-", "a--b", long, strings.Repeat("b", 64)}
	for i, app := range bad {
		rels[fmt.Sprintf("reverseproxy:%d", 4+i)] = relation(app, proxyAddr, map[string]map[string]string{app + "/0": backend("10.0.9.9", "80")})
	}
	stdout, warnings := servicesWithWarnings(t, rels)
	assert.Equal(t, `[{"service_name":"website","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]`+"\n", libraryJSON(t, stdout))
	require.Len(t, warnings, len(bad), "%q", warnings)
	for i, app := range bad {
		// Quote cuts the name to 64 bytes in the log.
		want := fmt.Sprintf(`msg="httprelation: skipping remote unit with a malformed name" endpoint=reverseproxy relation=reverseproxy:%d unit=`, 4+i)
		found := false
		for _, l := range warnings {
			found = found || strings.Contains(l, want) && strings.Contains(l, app[:min(len(app), 64)])
		}
		assert.True(t, found, "no warning for %.70s/0 in %q", app, warnings)
	}
}

// TestConfigureRequirerLimitsProcess: configure refuses what a
// requirer would refuse, exits 1 naming the limit, and leaves every bag
// as it was.
func TestConfigureRequirerLimitsProcess(t *testing.T) {
	t.Parallel()
	many := []string{"configure", "website", "--port", "8080"}
	for i := range 258 {
		many = append(many, "--hostname", "vip"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+".example")
	}
	big := []string{"configure", "website", "--port", "8080"}
	for i := range 240 {
		name := string(rune('a'+i%26)) + string(rune('a'+i/26)) + strings.Repeat("."+strings.Repeat("n", 63), 3)
		big = append(big, "--hostname", name+"."+strings.Repeat("z", 253-len(name)-2)+"x")
	}
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"258 hosts", many, "configure website: 258 hosts, the first at the top level and the rest in extended_data: invalid extended_data: 257 entries, more than 256"},
		{"extended_data over 64 KiB", big, `configure website: nothing written: relation "website:3": 240 hosts: invalid extended_data: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, providerModel(twoProxies()), "web", hook{name: "website-relation-joined", relation: "website:3", remoteUnit: "haproxy/0"})
			before, err := sim.Model()
			require.NoError(t, err)
			res := runSim(t, sim, tt.args...)
			assert.Equal(t, 1, res.ExitCode)
			assert.Empty(t, res.Stdout)
			assert.Contains(t, res.Stderr, tt.stderr)
			assert.Contains(t, res.Stderr, "more than")
			after, err := sim.Model()
			require.NoError(t, err)
			for id := range before.Relations {
				assert.Equal(t, before.Relations[id].Local, after.Relations[id].Local, "%s: nothing written", id)
			}
			assert.Zero(t, countCalls(t, sim)["relation-set"])
		})
	}
}

// TestConfigureCanonicalProcess: configure publishes canonical addresses,
// so a requirer of any implementation sees one spelling per target.
func TestConfigureCanonicalProcess(t *testing.T) {
	t.Parallel()
	sim := startSim(t, providerModel(twoProxies()), "web", hook{name: "website-relation-joined", relation: "website:3", remoteUnit: "haproxy/0"})
	res := runSim(t, sim, "configure", "website", "--port", "8080",
		"--hostname", "WEB.Example.COM", "--hostname", "2001:DB8:0::9", "--address", "::ffff:10.0.1.9")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	m, err := sim.Model()
	require.NoError(t, err)
	local := m.Relations["website:3"].Local
	assert.Equal(t, "web.example.com", local["hostname"])
	assert.Equal(t, "10.0.1.9", local["private-address"])
	assert.JSONEq(t, `[{"hostname":"2001:db8::9","private-address":"10.0.1.9","port":8080}]`, local["extended_data"])
}

// TestServicesNamesTheCharacterProcess: errors name the offending character.
// The warning names a multi-byte character as the rune it is and a byte
// that is not UTF-8 in hex, never as the Latin-1 reading of one byte.
func TestServicesNamesTheCharacterProcess(t *testing.T) {
	t.Parallel()
	stdout, warnings := servicesWithWarnings(t, map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": withKeys(backend("10.0.0.1", "8080"), "hostname", "wéb.example"),
			"web/1": withKeys(backend("10.0.0.2", "8080"), "hostname", "日本.example"),
			"web/2": withKeys(backend("10.0.0.3", "8080"), "extended_data", `[{"hostname":"api\u00e9.example","port":80}]`),
		}),
	})
	assert.Equal(t, `[{"service_name":"web","hosts":[{"hostname":"10.0.0.3","private-address":"10.0.0.3","port":8080}]}]`+"\n", libraryJSON(t, stdout))
	want := []string{
		`unit=web/0 key=hostname .* contains 'é' \(U\+00E9\)"$`,
		`unit=web/1 key=hostname .* contains '日' \(U\+65E5\)"$`,
		`unit=web/2 key=extended_data .* contains 'é' \(U\+00E9\)" index=0$`,
	}
	matchLines(t, warnings, want)
	assert.NotContains(t, strings.Join(warnings, "\n"), "Ã")
}

// TestServicesJSONErrorsNameTheCharacter: JSON that does not
// parse, from a tool or in a remote unit's extended_data, is reported
// naming the offending character as the rune it is.
func TestServicesJSONErrorsNameTheCharacter(t *testing.T) {
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

// TestServicesUnreadableAddressProcess: a hostname or private-address
// that is not a JSON string drops the unit's top-level host with one
// warning naming unit and key; the unit is not served at the other
// address, and its extended_data and the other units are kept.
func TestServicesUnreadableAddressProcess(t *testing.T) {
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
		`{"hostname":"10.0.9.9","private-address":"10.0.9.9","port":80}]}]`+"\n", libraryJSON(t, res.Stdout))
	const prefix = `^level=WARN msg="httprelation: ignoring invalid remote data" endpoint=reverseproxy relation=reverseproxy:3 `
	matchLines(t, stderrLines(res.Stderr), []string{
		prefix + `unit=web/1 key=hostname .* error="value is not a string: JSON object"$`,
		prefix + `unit=web/2 key=private-address .* error="value is not a string: JSON array"$`,
		prefix + `unit=web/3 key=hostname value=null error="value is not a string: JSON null"$`,
	})
}

// TestServicesLoopbackNamesProcess: "localhost", the names under it and
// the other names every machine answers without DNS are refused as
// hostname, private-address and in extended_data, like numbers in
// disguise; configure refuses them as flags.
func TestServicesLoopbackNamesProcess(t *testing.T) {
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
		`{"hostname":"localhost.example","private-address":"localhost.example","port":82}]}]`+"\n", libraryJSON(t, stdout))
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

// TestServicesWarningFlood: the warnings of one read are
// capped, 8 per unit and 64 in all, and a key is cut in them, so what
// the remote side publishes cannot make the command write megabytes or
// thousands of lines (200 units of a 1 MiB key holding a number wrote
// 210 MB to stderr, at a peak RSS of 447 MB).
func TestServicesWarningFlood(t *testing.T) {
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
