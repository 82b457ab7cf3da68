package main

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

var update = flag.Bool("update", false, "rewrite golden files")

func host(addr string, port int) httprelation.Host {
	return httprelation.Host{Hostname: addr, PrivateAddress: addr, Port: port}
}

// websiteServices are what the library reads from the website units
// with these bags: one service with hosts hosts.
func websiteServices(t *testing.T, hosts int, units map[string]map[string]string) []httprelation.Service {
	t.Helper()
	h := httprelationtest.New(t, &toolsim.Model{
		Unit:      "reverseproxy/0",
		Hook:      toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "website/0"},
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "website", Units: units}},
	})
	services, err := httprelation.NewRequires(h.Unit().Accessor, "reverseproxy").Services(context.Background())
	require.NoError(t, err)
	require.Len(t, services, 1)
	require.Len(t, services[0].Hosts, hosts)
	return services
}

// vipServices are what the library reads from a provider unit that
// publishes virtual IPs in extended_data, and from a plain unit. The
// virtual IPs are hostnames, for clients: the proxy connects to the
// unit's private address and port, once for both.
func vipServices(t *testing.T) []httprelation.Service {
	return websiteServices(t, 4, map[string]map[string]string{
		"website/0": {"hostname": "10.0.0.10", "private-address": "10.0.0.10", "port": "8080",
			"extended_data": `[{"hostname": "192.0.2.100", "private-address": "10.0.0.10", "port": 80},
			                   {"hostname": "192.0.2.101", "private-address": "10.0.0.10", "port": "80"}]`},
		"website/1": {"private-address": "10.0.0.11", "port": "8080"},
	})
}

// hostnameServices are what the library reads from units that give their
// clients one public hostname and serve on private addresses of their
// own, one of them a DNS name.
func hostnameServices(t *testing.T) []httprelation.Service {
	return websiteServices(t, 3, map[string]map[string]string{
		"website/0": {"hostname": "public.example.com", "private-address": "10.0.0.5", "port": "8080"},
		"website/1": {"hostname": "public.example.com", "private-address": "10.0.0.6", "port": "8080"},
		"website/2": {"hostname": "public.example.com", "private-address": "web-2.internal", "port": "8080"},
	})
}

// goldenCases are the rendered configurations kept under testdata/.
func goldenCases(t *testing.T) map[string]struct {
	services []httprelation.Service
	fe       frontend
} {
	return map[string]struct {
		services []httprelation.Service
		fe       frontend
	}{
		"one-service": {
			services: []httprelation.Service{{Name: "website", Hosts: []httprelation.Host{
				host("10.0.0.10", 8080), host("10.0.0.11", 8080), host("10.0.0.12", 8080)}}},
			fe: frontend{Bind: "0.0.0.0", Port: 80},
		},
		"two-services": {
			services: []httprelation.Service{
				{Name: "api-v2", Hosts: []httprelation.Host{host("10.0.1.5", 9000)}},
				{Name: "website", Hosts: []httprelation.Host{host("10.0.0.10", 8080), host("blog.internal", 8081)}},
			},
			fe: frontend{Bind: "127.0.0.1", Port: 8000},
		},
		"ipv6": {
			services: []httprelation.Service{{Name: "website", Hosts: []httprelation.Host{
				host("fd00::10", 8080), host("::ffff:10.0.0.11", 8080), host("10.0.0.12", 8080)}}},
			fe: frontend{Bind: "::", Port: 443},
		},
		"vips": {
			services: vipServices(t),
			fe:       frontend{Bind: "0.0.0.0", Port: 80},
		},
		"private-addresses": {
			services: hostnameServices(t),
			fe:       frontend{Bind: "0.0.0.0", Port: 80},
		},
		"no-backends": {
			services: []httprelation.Service{},
			fe:       frontend{Bind: "0.0.0.0", Port: 80},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	for name, tc := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			got, skipped, err := renderHAProxy(tc.services, tc.fe)
			require.NoError(t, err)
			assert.Empty(t, skipped)
			golden := filepath.Join("testdata", name+".cfg")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
			checkStructure(t, tc.services, got)
		})
	}
}

func TestRenderBracketsIPv6(t *testing.T) {
	got, skipped, err := renderHAProxy([]httprelation.Service{{Name: "web", Hosts: []httprelation.Host{host("fd00::1", 8080)}}},
		frontend{Bind: "::", Port: 80})
	require.NoError(t, err)
	assert.Empty(t, skipped)
	assert.Contains(t, got, "\n    bind [::]:80\n")
	assert.Contains(t, got, "\n    server web_fd00::1_8080 [fd00::1]:8080 check\n")
}

// TestRenderConnectsToPrivateAddress: the server line points at the
// private address and port, as the haproxy charm's does, never at the
// hostname, which is for clients; hosts are one server per private
// address and port, whatever their hostnames.
func TestRenderConnectsToPrivateAddress(t *testing.T) {
	fe := frontend{Bind: "0.0.0.0", Port: 80}
	hh := func(hostname, priv string, port int) httprelation.Host {
		return httprelation.Host{Hostname: hostname, PrivateAddress: priv, Port: port}
	}
	tests := []struct {
		name    string
		hosts   []httprelation.Host
		servers []string
	}{
		{"hostname is not the private address",
			[]httprelation.Host{hh("public.example.com", "10.0.0.5", 8080)},
			[]string{"server web_10.0.0.5_8080 10.0.0.5:8080 check"}},
		{"one hostname, two private addresses: two servers",
			[]httprelation.Host{hh("public.example.com", "10.0.0.5", 8080), hh("public.example.com", "10.0.0.6", 8080)},
			[]string{"server web_10.0.0.5_8080 10.0.0.5:8080 check", "server web_10.0.0.6_8080 10.0.0.6:8080 check"}},
		{"two hostnames (virtual IPs), one private address and port: one server",
			[]httprelation.Host{hh("192.0.2.100", "10.0.0.10", 80), hh("192.0.2.101", "10.0.0.10", 80)},
			[]string{"server web_10.0.0.10_80 10.0.0.10:80 check"}},
		{"one private address, two ports: two servers",
			[]httprelation.Host{hh("web.example", "10.0.0.10", 80), hh("web.example", "10.0.0.10", 8080)},
			[]string{"server web_10.0.0.10_80 10.0.0.10:80 check", "server web_10.0.0.10_8080 10.0.0.10:8080 check"}},
		{"a private address that is a DNS name, behind an IP hostname",
			[]httprelation.Host{hh("10.0.0.9", "web-0.internal", 8080)},
			[]string{"server web_web-0.internal_8080 web-0.internal:8080 check"}},
		{"IPv6 private address, IPv4 hostname",
			[]httprelation.Host{hh("192.0.2.7", "fd00::7", 8080)},
			[]string{"server web_fd00::7_8080 [fd00::7]:8080 check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			services := []httprelation.Service{{Name: "web", Hosts: tt.hosts}}
			got, skipped, err := renderHAProxy(services, fe)
			require.NoError(t, err)
			assert.Empty(t, skipped)
			assert.Equal(t, tt.servers, serverLines(got))
			for _, h := range tt.hosts {
				if h.Hostname != h.PrivateAddress {
					assert.NotContains(t, got, h.Hostname, "the hostname is for clients: haproxy never sees it")
				}
			}
			checkStructure(t, services, got)
		})
	}
}

// TestRenderJudgesOnlyWhatItRenders: a host is kept or left out for its
// private address and port; a hostname the renderer would refuse does not
// cost a good private address, and a good hostname does not save a bad
// one.
func TestRenderJudgesOnlyWhatItRenders(t *testing.T) {
	services := []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{
		{Hostname: "bad host\n", PrivateAddress: "10.0.0.1", Port: 80},
		{Hostname: "web.example", PrivateAddress: "10.0.0.2\n    server evil 6.6.6.6:80", Port: 80},
		{Hostname: "web.example", PrivateAddress: "", Port: 80},
	}}}
	got, skipped, err := renderHAProxy(services, frontend{Bind: "0.0.0.0", Port: 80})
	require.NoError(t, err)
	assert.Equal(t, []string{"server web_10.0.0.1_80 10.0.0.1:80 check"}, serverLines(got))
	require.Len(t, skipped, 2)
	for _, e := range skipped {
		assert.ErrorIs(t, e, httprelation.ErrInvalidAddress)
		assert.Contains(t, e.Error(), "private address")
	}
	assert.NotContains(t, got, "evil")
}

// serverLines returns the server lines of a rendered file, trimmed.
func serverLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "    server ") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// TestHAProxyAcceptsGoldenFiles runs haproxy's own parser over every golden
// file, so that the renderer cannot drift into syntax haproxy refuses.
func TestHAProxyAcceptsGoldenFiles(t *testing.T) {
	haproxy := findHAProxy()
	if haproxy == "" {
		t.Skip("haproxy is not installed; run apt-get install -y haproxy to check the golden files with haproxy -c")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.cfg"))
	require.NoError(t, err)
	require.Len(t, files, len(goldenCases(t)))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := exec.Command(haproxy, "-c", "-f", f).CombinedOutput()
			assert.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "Configuration file is valid")
		})
	}
}

// findHAProxy finds haproxy on PATH or where Debian installs it, which is
// not on every user's PATH.
func findHAProxy() string {
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	return ""
}

// TestRenderRejectsBadFrontend: the operator's own settings are the only
// input that stops the rendering; services are filtered instead (see
// TestRenderSkipsUnsafeServices).
func TestRenderRejectsBadFrontend(t *testing.T) {
	services := []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{host("10.0.0.1", 8080)}}}
	for name, tc := range map[string]struct {
		fe frontend
		is error
	}{
		"bind hostname":         {frontend{Bind: "localhost", Port: 80}, errUnsafe},
		"bind with port":        {frontend{Bind: "0.0.0.0:80", Port: 80}, errUnsafe},
		"bind newline":          {frontend{Bind: "0.0.0.0\n", Port: 80}, errUnsafe},
		"bind zone":             {frontend{Bind: "fe80::1%eth0", Port: 80}, errUnsafe},
		"bind empty":            {frontend{Bind: "", Port: 80}, errUnsafe},
		"frontend port zero":    {frontend{Bind: "0.0.0.0", Port: 0}, httprelation.ErrInvalidPort},
		"frontend port too big": {frontend{Bind: "0.0.0.0", Port: 1 << 16}, httprelation.ErrInvalidPort},
	} {
		t.Run(name, func(t *testing.T) {
			got, skipped, err := renderHAProxy(services, tc.fe)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.is)
			assert.ErrorIs(t, err, errUnsafe)
			assert.Empty(t, got)
			assert.Empty(t, skipped)
			assert.NotContains(t, err.Error(), "\n", "errors quote hostile values")
		})
	}
}
