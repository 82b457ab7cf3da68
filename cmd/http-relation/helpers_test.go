package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/internal/charmtest"
	"github.com/charmkit/httprelation/internal/gobuild"
	"github.com/charmkit/httprelation/toolsim"
)

// commandBinary builds the command once per test process, on first use,
// so that in-process tests alone do not pay for the build.
var commandBinary = gobuild.Once(".")

// binary is the built command, failing the test if it cannot be built.
func binary(t *testing.T) string {
	t.Helper()
	bin, err := commandBinary()
	require.NoError(t, err)
	return bin
}

// runProcess runs the built command as a process with env as its whole
// environment.
func runProcess(t *testing.T, env []string, args ...string) toolsim.Result {
	t.Helper()
	return charmtest.RunEnv(t, env, binary(t), args...)
}

// runSim runs the command in the simulated hook.
func runSim(t *testing.T, sim *toolsim.Sim, args ...string) toolsim.Result {
	t.Helper()
	return charmtest.Run(t, sim, binary(t), args...)
}

// hook is the relation part of a hook's environment.
type hook struct {
	name       string // JUJU_HOOK_NAME; empty under juju exec
	relation   string // JUJU_RELATION_ID
	remoteUnit string
	remoteApp  string
	departing  string
	contextID  string // JUJU_CONTEXT_ID; empty: none, as before any sharing
}

// env returns the whole Juju environment of the hook for unit.
func (h hook) env(unit, charmDir string) map[string]string {
	env := map[string]string{
		"JUJU_UNIT_NAME":  unit,
		"JUJU_CHARM_DIR":  charmDir,
		"JUJU_MODEL_NAME": "test",
		"JUJU_VERSION":    "3.5.4",
	}
	set := func(k, v string) {
		if v != "" {
			env[k] = v
		}
	}
	set("JUJU_HOOK_NAME", h.name)
	set("JUJU_RELATION_ID", h.relation)
	if endpoint, _, ok := strings.Cut(h.relation, ":"); ok {
		env["JUJU_RELATION"] = endpoint
	}
	set("JUJU_REMOTE_UNIT", h.remoteUnit)
	set("JUJU_REMOTE_APP", h.remoteApp)
	set("JUJU_DEPARTING_UNIT", h.departing)
	set("JUJU_CONTEXT_ID", h.contextID)
	return env
}

// charmDir returns a fresh charm directory holding the files of
// testdata/<name>, or an empty one (no metadata) when name is "".
func charmDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if name == "" {
		return dir
	}
	entries, err := os.ReadDir(filepath.Join("testdata", name))
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", name, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
	return dir
}

// startSim lays out a simulated hook of model m for charm testdata/<charm>.
func startSim(t *testing.T, m *toolsim.Model, charm string, h hook) *toolsim.Sim {
	t.Helper()
	return toolsim.Start(t, m, h.env(m.Unit, charmDir(t, charm)))
}

// loadFixture reads a toolsim model from testdata.
func loadFixture(t *testing.T, name string) *toolsim.Model {
	t.Helper()
	m, err := toolsim.ReadModel(filepath.Join("testdata", name))
	require.NoError(t, err)
	return m
}

const (
	proxyAddr = "10.0.0.9"
	webAddr   = "10.0.1.9"
)

// requirerModel is haproxy/0 with the given reverseproxy relations.
func requirerModel(rels map[string]toolsim.Relation) *toolsim.Model {
	return &toolsim.Model{
		Unit:           "haproxy/0",
		PrivateAddress: proxyAddr,
		Relations:      rels,
		Networks:       map[string]toolsim.Network{"reverseproxy": network(proxyAddr)},
		State:          map[string]string{},
	}
}

// providerModel is web/0 with the given website relations.
func providerModel(rels map[string]toolsim.Relation) *toolsim.Model {
	return &toolsim.Model{
		Unit:           "web/0",
		PrivateAddress: webAddr,
		Relations:      rels,
		Networks:       map[string]toolsim.Network{"website": network(webAddr)},
		State:          map[string]string{},
	}
}

func network(addr string) toolsim.Network {
	return toolsim.Network{
		BindAddresses: []toolsim.BindAddress{{
			InterfaceName: "eth0",
			Addresses:     []toolsim.InterfaceAddress{{Value: addr, CIDR: "10.0.0.0/16"}},
		}},
		EgressSubnets:    []string{addr + "/32"},
		IngressAddresses: []string{addr},
	}
}

// relation is a relation to app whose units have the given bags; the
// local bag is what Juju sets on entering scope.
func relation(app, localAddr string, units map[string]map[string]string) toolsim.Relation {
	if units == nil {
		units = map[string]map[string]string{}
	}
	return toolsim.Relation{
		RemoteApp:      app,
		RemoteEndpoint: "website",
		Local:          enteredScope(localAddr),
		Units:          units,
	}
}

// enteredScope is the bag Juju gives a unit when it enters a relation.
func enteredScope(addr string) map[string]string {
	return map[string]string{"private-address": addr, "ingress-address": addr, "egress-subnets": addr + "/32"}
}

// backend is a provider unit's bag after it configured port.
func backend(addr, port string) map[string]string {
	b := enteredScope(addr)
	b["hostname"] = addr
	b["port"] = port
	return b
}

// countCalls counts the recorded tool calls by tool.
func countCalls(t *testing.T, sim *toolsim.Sim) map[string]int {
	t.Helper()
	calls, err := calllog.Read(sim.LogPath)
	require.NoError(t, err)
	n := map[string]int{}
	for _, c := range calls {
		n[c.Tool]++
	}
	return n
}

// libraryJSON checks that out, what services printed, gives every host
// "addr" and "private-addr" as net.JoinHostPort writes hostname and
// private-address with the port, and returns out in the library's
// Service JSON, which the tests' expectations are written in. Output
// that is not the command's JSON is returned as it is, for the caller's
// assertion to show. TestServicesAddrFields pins the fields byte for
// byte.
func libraryJSON(t *testing.T, out string) string {
	t.Helper()
	type host struct {
		Hostname       string `json:"hostname"`
		PrivateAddress string `json:"private-address"`
		Port           int    `json:"port"`
		Addr           string `json:"addr"`
		PrivateAddr    string `json:"private-addr"`
	}
	var got []struct {
		Name  string `json:"service_name"`
		Hosts []host `json:"hosts"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if dec.Decode(&got) != nil || got == nil {
		return out
	}
	again, err := json.Marshal(got)
	require.NoError(t, err)
	require.Equal(t, string(again)+"\n", out, "one line, the fields in order")
	services := make([]httprelation.Service, 0, len(got))
	for _, s := range got {
		hosts := make([]httprelation.Host, 0, len(s.Hosts))
		for _, h := range s.Hosts {
			port := strconv.Itoa(h.Port)
			assert.Equal(t, net.JoinHostPort(h.Hostname, port), h.Addr, "addr")
			assert.Equal(t, net.JoinHostPort(h.PrivateAddress, port), h.PrivateAddr, "private-addr")
			hosts = append(hosts, httprelation.Host{Hostname: h.Hostname, PrivateAddress: h.PrivateAddress, Port: h.Port})
		}
		services = append(services, httprelation.Service{Name: s.Name, Hosts: hosts})
	}
	lib, err := json.Marshal(services)
	require.NoError(t, err)
	return string(lib) + "\n"
}
