package main

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/charmkit/httprelation/toolsim"
)

func TestServicesProcess(t *testing.T) {
	t.Parallel()
	units := func(kv ...any) map[string]map[string]string {
		m := map[string]map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(map[string]string)
		}
		return m
	}
	vip := backend("172.20.2.11", "80")
	vip["hostname"] = "blog.internal"
	vip["extended_data"] = `[{"hostname": "172.20.2.200", "private-address": "172.20.2.200", "port": 80},` +
		` {"hostname": "172.20.2.201", "private-address": "172.20.2.201", "port": "8080"}]`
	v6 := backend("2001:db8::1", "8080")
	named := backend("10.0.0.2", "8443")
	named["hostname"] = "web1.internal"

	tests := []struct {
		name  string
		rels  map[string]toolsim.Relation
		hook  hook
		want  string
		charm string
	}{{
		name: "joined without port yet",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, units("web/0", enteredScope("10.0.0.1"))),
		},
		hook: hook{name: "reverseproxy-relation-joined", relation: "reverseproxy:3", remoteUnit: "web/0"},
		want: "[]\n",
	}, {
		name: "changed",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, units(
				"web/0", backend("10.0.0.1", "8080"),
				"web/1", enteredScope("10.0.0.2"))),
		},
		hook: hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"},
		want: `[{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]` + "\n",
	}, {
		name: "departed unit excluded",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, units(
				"web/0", backend("10.0.0.1", "8080"),
				"web/1", backend("10.0.0.2", "8080"))),
		},
		hook: hook{name: "reverseproxy-relation-departed", relation: "reverseproxy:3", remoteUnit: "web/1", departing: "web/1"},
		want: `[{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]` + "\n",
	}, {
		name: "broken relation gone, other kept",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, units("web/0", backend("10.0.0.1", "8080"))),
			"reverseproxy:5": relation("blog", proxyAddr, units("blog/0", backend("10.0.2.1", "80"))),
		},
		hook: hook{name: "reverseproxy-relation-broken", relation: "reverseproxy:3", remoteApp: "web"},
		want: `[{"service_name":"blog","hosts":[{"hostname":"10.0.2.1","private-address":"10.0.2.1","port":80}]}]` + "\n",
	}, {
		name: "broken last relation",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, units("web/0", backend("10.0.0.1", "8080"))),
		},
		hook: hook{name: "reverseproxy-relation-broken", relation: "reverseproxy:3", remoteApp: "web"},
		want: "[]\n",
	}, {
		name: "two applications, two relations to one of them",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3":  relation("web", proxyAddr, units("web/0", backend("10.0.0.1", "8080"))),
			"reverseproxy:12": relation("web", proxyAddr, units("web/1", backend("10.0.0.2", "8080"))),
			"reverseproxy:5":  relation("blog", proxyAddr, units("blog/0", backend("10.0.2.1", "80"))),
		},
		hook: hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:5", remoteUnit: "blog/0"},
		want: `[{"service_name":"blog","hosts":[{"hostname":"10.0.2.1","private-address":"10.0.2.1","port":80}]},` +
			`{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},` +
			`{"hostname":"10.0.0.2","private-address":"10.0.0.2","port":8080}]}]` + "\n",
	}, {
		name: "IPv6 and a DNS name as written",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, units("web/0", v6, "web/1", named)),
		},
		hook: hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/0"},
		want: `[{"service_name":"web","hosts":[{"hostname":"2001:db8::1","private-address":"2001:db8::1","port":8080},` +
			`{"hostname":"web1.internal","private-address":"10.0.0.2","port":8443}]}]` + "\n",
	}, {
		name: "VIPs in extended_data, no metadata to check against",
		rels: map[string]toolsim.Relation{
			"reverseproxy:3": relation("blog", proxyAddr, units("blog/1", vip)),
		},
		hook:  hook{}, // juju exec
		charm: "-",
		want: `[{"service_name":"blog","hosts":[{"hostname":"172.20.2.200","private-address":"172.20.2.200","port":80},` +
			`{"hostname":"172.20.2.201","private-address":"172.20.2.201","port":8080},` +
			`{"hostname":"blog.internal","private-address":"172.20.2.11","port":80}]}]` + "\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			charm := "haproxy"
			if tt.charm == "-" {
				charm = ""
			}
			sim := startSim(t, requirerModel(tt.rels), charm, tt.hook)
			res := runSim(t, sim, "services", "reverseproxy")
			require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
			assert.Equal(t, tt.want, libraryJSON(t, res.Stdout))
			assert.Empty(t, res.Stderr)
		})
	}
}

// TestServicesAddrFields pins the output byte for byte: each host has,
// after the library's hostname, private-address and port, "addr" as
// Host.Addr writes it (hostname:port) and "private-addr" as
// Host.PrivateAddr does (private-address:port), an IPv6 address in
// brackets. --format json, however Juju's tools take it, changes
// nothing.
func TestServicesAddrFields(t *testing.T) {
	t.Parallel()
	rels := map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
			"web/0": withKeys(backend("10.0.0.1", "8080"), "hostname", "web.example"),
			"web/1": backend("2001:db8::1", "8443"),
			"web/2": withKeys(backend("10.0.0.3", "80"), "hostname", "2001:db8::2"),
		}),
	}
	want := `[{"service_name":"web","hosts":[` +
		`{"hostname":"2001:db8::1","private-address":"2001:db8::1","port":8443,"addr":"[2001:db8::1]:8443","private-addr":"[2001:db8::1]:8443"},` +
		`{"hostname":"2001:db8::2","private-address":"10.0.0.3","port":80,"addr":"[2001:db8::2]:80","private-addr":"10.0.0.3:80"},` +
		`{"hostname":"web.example","private-address":"10.0.0.1","port":8080,"addr":"web.example:8080","private-addr":"10.0.0.1:8080"}]}]` + "\n"
	sim := startSim(t, requirerModel(rels), "haproxy", hook{})
	for _, args := range [][]string{
		{"services", "reverseproxy"},
		{"services", "reverseproxy", "--format", "json"},
		{"services", "--format=json", "reverseproxy"},
		{"services", "-format", "json", "reverseproxy"},
	} {
		res := runSim(t, sim, args...)
		require.Equal(t, 0, res.ExitCode, "%q: %s", args, res.Stderr)
		assert.Equal(t, want, res.Stdout, "%q", args)
		assert.Empty(t, res.Stderr)
	}
}

func TestServicesHostileData(t *testing.T) {
	t.Parallel()
	sim := startSim(t, loadFixture(t, "hostile.json"), "haproxy",
		hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/1"})
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},`+
		`{"hostname":"10.0.0.20","private-address":"10.0.0.20","port":8081},`+
		`{"hostname":"10.0.0.3","private-address":"10.0.0.3","port":8080},`+
		`{"hostname":"10.0.0.5","private-address":"10.0.0.5","port":8080}]}]`+"\n", libraryJSON(t, res.Stdout))

	// One warning line per rejected value, the good values kept; a
	// newline inside a value cannot forge a line.
	want := []string{
		"unit=web/1 key=port ",
		"unit=web/1 key=extended_data .* index=1$",
		"unit=web/1 key=extended_data .* index=2$",
		"unit=web/2 key=extended_data .*not a JSON array",
		"unit=web/3 key=port ",
		"unit=web/3 key=hostname ",
	}
	lines := strings.Split(strings.TrimSuffix(res.Stderr, "\n"), "\n")
	require.Len(t, lines, len(want), "stderr: %s", res.Stderr)
	for i, l := range lines {
		assert.Regexp(t, `^level=WARN msg="httprelation: ignoring invalid remote data" endpoint=reverseproxy relation=reverseproxy:3 `, l)
		assert.Regexp(t, want[i], l)
	}
	assert.NotContains(t, res.Stderr, "evil\n")
}

// TestServicesToolCalls pins the cost of services: one relation-ids, one
// relation-list per relation and one relation-get per unit. The command
// logs to stderr, never through juju-log, so every call is counted.
func TestServicesToolCalls(t *testing.T) {
	t.Parallel()
	const relations, perRelation = 3, 4
	rels := map[string]toolsim.Relation{}
	for r := range relations {
		app := fmt.Sprintf("app%d", r)
		units := map[string]map[string]string{}
		for u := range perRelation {
			units[fmt.Sprintf("%s/%d", app, u)] = backend(fmt.Sprintf("10.0.%d.%d", r, u+1), "8080")
		}
		rels[fmt.Sprintf("reverseproxy:%d", r+1)] = relation(app, proxyAddr, units)
	}
	sim := startSim(t, requirerModel(rels), "haproxy",
		hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:1", remoteUnit: "app0/0"})
	res := runSim(t, sim, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, relations, strings.Count(res.Stdout, "service_name"))
	assert.Equal(t, relations*perRelation, strings.Count(res.Stdout, `"port":8080`))
	assert.Equal(t, map[string]int{
		"relation-ids":  1,
		"relation-list": relations,
		"relation-get":  relations * perRelation,
	}, countCalls(t, sim))
}

func TestServicesEndpointCheck(t *testing.T) {
	t.Parallel()
	rels := map[string]toolsim.Relation{
		"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{"web/0": backend("10.0.0.1", "8080")}),
	}
	tests := []struct {
		name, endpoint, want, detail string
	}{
		{"provides endpoint", "website", "http-relation: services website: endpoint \"website\": no such http endpoint: ", "under provides, not requires"},
		{"undeclared endpoint", "backends", "http-relation: services backends: endpoint \"backends\": no such http endpoint in ", "declared: metrics"},
		{"other interface", "metrics", "http-relation: services metrics: endpoint \"metrics\": no such http endpoint: ", `with interface "prometheus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, requirerModel(rels), "haproxy", hook{})
			res := runSim(t, sim, "services", tt.endpoint)
			assert.Equal(t, 1, res.ExitCode)
			assert.Empty(t, res.Stdout)
			assert.True(t, strings.HasPrefix(res.Stderr, tt.want), "stderr: %s", res.Stderr)
			assert.Contains(t, res.Stderr, tt.detail)
			assert.Empty(t, countCalls(t, sim), "no tool runs for a bad endpoint")
		})
	}
}

func TestServicesToolFailures(t *testing.T) {
	t.Parallel()
	rels := func() map[string]toolsim.Relation {
		return map[string]toolsim.Relation{
			"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
				"web/0": backend("10.0.0.1", "8080"),
				"web/1": backend("10.0.0.2", "8080"),
			}),
		}
	}
	t.Run("unit gone between list and get is skipped", func(t *testing.T) {
		t.Parallel()
		m := requirerModel(rels())
		m.Faults = map[string]toolsim.Fault{"relation-get web/1": {Exit: 1, Stderr: "ERROR cannot read settings for unit " +
			"\"web/1\" in relation \"haproxy:reverseproxy web:website\": unit \"web/1\": settings not found\n"}}
		sim := startSim(t, m, "haproxy", hook{})
		res := runSim(t, sim, "services", "reverseproxy")
		require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
		assert.Equal(t, `[{"service_name":"web","hosts":[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]}]`+"\n", libraryJSON(t, res.Stdout))
		assert.Regexp(t, `^level=WARN msg="httprelation: skipping remote unit that left the relation" .*unit=web/1 `, res.Stderr)
	})
	t.Run("permission denied fails", func(t *testing.T) {
		t.Parallel()
		m := requirerModel(rels())
		m.Faults = map[string]toolsim.Fault{"relation-get web/1": {Exit: 1, Stderr: "ERROR permission denied\n"}}
		sim := startSim(t, m, "haproxy", hook{})
		res := runSim(t, sim, "services", "reverseproxy")
		assert.Equal(t, 1, res.ExitCode)
		assert.Empty(t, res.Stdout)
		assert.Regexp(t, `^http-relation: services reverseproxy: .*web/1.*permission denied\n$`, res.Stderr)
	})
	t.Run("garbage output fails", func(t *testing.T) {
		t.Parallel()
		m := requirerModel(rels())
		m.Faults = map[string]toolsim.Fault{"relation-ids": {Stdout: "<html>"}}
		sim := startSim(t, m, "haproxy", hook{})
		res := runSim(t, sim, "services", "reverseproxy")
		assert.Equal(t, 1, res.ExitCode)
		assert.Empty(t, res.Stdout)
		assert.Contains(t, res.Stderr, "http-relation: services reverseproxy: ")
		assert.Contains(t, res.Stderr, "relation-ids")
	})
}

// TestServicesInterrupted checks the signal-aware context: SIGTERM stops
// a hung tool and the command fails instead of waiting for it.
func TestServicesInterrupted(t *testing.T) {
	t.Parallel()
	m := requirerModel(nil)
	m.Faults = map[string]toolsim.Fault{"relation-ids": {Hang: true}}
	sim := startSim(t, m, "haproxy", hook{})
	bin, err := commandBinary()
	require.NoError(t, err)
	cmd := exec.CommandContext(testcompat.Context(t), bin, "services", "reverseproxy")
	cmd.Env = sim.Environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	// Give the command time to start the tool; a signal that came before
	// signal.NotifyContext would kill it with a signal status instead.
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "stderr: %s", stderr.String())
	assert.Equal(t, 1, exitErr.ExitCode(), "stderr: %s", stderr.String())
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, stderr.String(), "http-relation: services reverseproxy: ")
	assert.Contains(t, stderr.String(), "context canceled")
}
