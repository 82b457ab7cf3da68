package main

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

// proxyUnits is one haproxy unit as a provider sees it.
func proxyUnits() map[string]map[string]string {
	return map[string]map[string]string{"haproxy/0": enteredScope(proxyAddr)}
}

func twoProxies() map[string]toolsim.Relation {
	return map[string]toolsim.Relation{
		"website:3": relation("haproxy", webAddr, proxyUnits()),
		"website:7": relation("apache2", webAddr, map[string]map[string]string{"apache2/0": enteredScope("10.0.3.1")}),
	}
}

// published is the local bag after a configure: what Juju set on entering
// scope, plus the given keys.
func published(kv map[string]string) map[string]string {
	b := enteredScope(webAddr)
	maps.Copy(b, kv)
	return b
}

func TestConfigureProcess(t *testing.T) {
	t.Parallel()
	joined := hook{name: "website-relation-joined", relation: "website:3", remoteUnit: "haproxy/0"}
	defaults := published(map[string]string{"hostname": webAddr, "port": "8080"})
	tests := []struct {
		name  string
		hook  hook
		args  []string
		want  map[string]map[string]string // local bag by relation
		extra map[string]string            // extended_data by relation, compared as JSON
	}{{
		name: "joined, ingress address on every relation",
		hook: joined,
		args: []string{"configure", "website", "--port", "8080"},
		want: map[string]map[string]string{"website:3": defaults, "website:7": defaults},
	}, {
		name: "flags before the endpoint, under juju exec",
		hook: hook{},
		args: []string{"configure", "-port=8080", "website"},
		want: map[string]map[string]string{"website:3": defaults, "website:7": defaults},
	}, {
		name: "hostname only: private-address is the ingress address",
		hook: joined,
		args: []string{"configure", "website", "--port", "443", "--hostname", "web.example.com"},
		want: map[string]map[string]string{
			"website:3": published(map[string]string{"hostname": "web.example.com", "port": "443"}),
			"website:7": published(map[string]string{"hostname": "web.example.com", "port": "443"}),
		},
	}, {
		name: "IPv6 written as is",
		hook: joined,
		args: []string{"configure", "website", "--port", "8080", "--hostname", "2001:db8::9", "--address", "2001:db8::9"},
		want: map[string]map[string]string{
			"website:3": published(map[string]string{"hostname": "2001:db8::9", "private-address": "2001:db8::9", "port": "8080"}),
			"website:7": published(map[string]string{"hostname": "2001:db8::9", "private-address": "2001:db8::9", "port": "8080"}),
		},
	}, {
		name: "VIPs go to extended_data",
		hook: joined,
		args: []string{"configure", "website", "--port", "8080",
			"--hostname", "web.example.com", "--hostname", "10.0.1.100",
			"--address", "10.0.1.9", "--address", "10.0.1.100"},
		want: map[string]map[string]string{
			"website:3": published(map[string]string{"hostname": "web.example.com", "port": "8080"}),
			"website:7": published(map[string]string{"hostname": "web.example.com", "port": "8080"}),
		},
		extra: map[string]string{
			"website:3": `[{"hostname":"10.0.1.100","private-address":"10.0.1.100","port":8080}]`,
			"website:7": `[{"hostname":"10.0.1.100","private-address":"10.0.1.100","port":8080}]`,
		},
	}, {
		name: "broken relation left alone",
		hook: hook{name: "website-relation-broken", relation: "website:7", remoteApp: "apache2"},
		args: []string{"configure", "website", "--port", "8080"},
		want: map[string]map[string]string{"website:3": defaults, "website:7": enteredScope(webAddr)},
	}, {
		name: "departed: the relation stays configured",
		hook: hook{name: "website-relation-departed", relation: "website:3", remoteUnit: "haproxy/0", departing: "haproxy/0"},
		args: []string{"configure", "website", "--port", "8080"},
		want: map[string]map[string]string{"website:3": defaults, "website:7": defaults},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, providerModel(twoProxies()), "web", tt.hook)
			res := runSim(t, sim, tt.args...)
			require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
			assert.Empty(t, res.Stdout)
			assert.Empty(t, res.Stderr)
			m, err := sim.Model()
			require.NoError(t, err)
			for id, want := range tt.want {
				got := maps.Clone(m.Relations[id].Local)
				if ext, ok := tt.extra[id]; ok {
					assert.JSONEq(t, ext, got["extended_data"], id)
					delete(got, "extended_data")
				}
				assert.Equal(t, want, got, id)
			}
		})
	}
}

// TestConfigureThenServices runs both sides: what configure publishes on
// the provider is what services reports on the requirer.
func TestConfigureThenServices(t *testing.T) {
	t.Parallel()
	provider := startSim(t, providerModel(map[string]toolsim.Relation{
		"website:3": relation("haproxy", webAddr, proxyUnits()),
	}), "web", hook{name: "website-relation-joined", relation: "website:3", remoteUnit: "haproxy/0"})
	res := runSim(t, provider, "configure", "website", "--port", "8080",
		"--hostname", "2001:db8::9", "--hostname", "10.0.1.100", "--hostname", "web.example.com")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	m, err := provider.Model()
	require.NoError(t, err)

	requirer := startSim(t, requirerModel(map[string]toolsim.Relation{
		"reverseproxy:4": relation("web", proxyAddr, map[string]map[string]string{"web/0": m.Relations["website:3"].Local}),
	}), "haproxy", hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:4", remoteUnit: "web/0"})
	res = runSim(t, requirer, "services", "reverseproxy")
	require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
	assert.Equal(t, `[{"service_name":"web","hosts":[`+
		`{"hostname":"10.0.1.100","private-address":"10.0.1.9","port":8080},`+
		`{"hostname":"2001:db8::9","private-address":"10.0.1.9","port":8080},`+
		`{"hostname":"web.example.com","private-address":"10.0.1.9","port":8080}]}]`+"\n", libraryJSON(t, res.Stdout))
	assert.Empty(t, res.Stderr)
}

func TestConfigureErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		charm  string
		args   []string
		code   int
		stderr string
	}{
		{"requires endpoint", "haproxy", []string{"configure", "reverseproxy", "--port", "80"}, 1,
			"http-relation: configure reverseproxy: endpoint \"reverseproxy\": no such http endpoint: "},
		{"undeclared endpoint", "web", []string{"configure", "site", "--port", "80"}, 1,
			"http-relation: configure site: endpoint \"site\": no such http endpoint in "},
		{"missing port", "web", []string{"configure", "website"}, 2,
			"http-relation configure: --port is required"},
		{"bad port", "web", []string{"configure", "website", "--port", "http"}, 2,
			"http-relation configure: invalid value \"http\" for flag -port: invalid port"},
		{"bad hostname", "web", []string{"configure", "website", "--port", "80", "--hostname", "a b"}, 2,
			"http-relation configure: invalid value \"a b\" for flag -hostname: invalid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, providerModel(twoProxies()), tt.charm, hook{})
			res := runSim(t, sim, tt.args...)
			assert.Equal(t, tt.code, res.ExitCode)
			assert.Contains(t, res.Stderr, tt.stderr)
			assert.Empty(t, res.Stdout)
			m, err := sim.Model()
			require.NoError(t, err)
			assert.Equal(t, enteredScope(webAddr), m.Relations["website:3"].Local, "nothing written")
		})
	}
}
