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

// vipServices are what the library reads from a provider unit that
// publishes virtual IPs in extended_data, and from a plain unit.
func vipServices(t *testing.T) []httprelation.Service {
	t.Helper()
	h := httprelationtest.New(t, &toolsim.Model{
		Unit: "reverseproxy/0",
		Hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "website/0"},
		Relations: map[string]toolsim.Relation{"reverseproxy:1": {
			RemoteApp: "website",
			Units: map[string]map[string]string{
				"website/0": {"hostname": "10.0.0.10", "private-address": "10.0.0.10", "port": "8080",
					"extended_data": `[{"hostname": "192.0.2.100", "private-address": "10.0.0.10", "port": 80},
					                   {"hostname": "192.0.2.101", "private-address": "10.0.0.10", "port": "80"}]`},
				"website/1": {"private-address": "10.0.0.11", "port": "8080"},
			},
		}},
	})
	services, err := httprelation.NewRequires(h.Unit().Accessor, "reverseproxy").Services(context.Background())
	require.NoError(t, err)
	require.Len(t, services, 1)
	require.Len(t, services[0].Hosts, 4)
	return services
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

func TestRenderNamesServersAfterTheirAddress(t *testing.T) {
	a := httprelation.Host{Hostname: "web.internal", PrivateAddress: "10.0.0.1", Port: 80}
	sameTarget := httprelation.Host{Hostname: "web.internal", PrivateAddress: "10.0.0.2", Port: 80}
	other := host("10.0.0.3", 80)
	got, skipped, err := renderHAProxy([]httprelation.Service{{Name: "web", Hosts: []httprelation.Host{a, sameTarget, other}}},
		frontend{Bind: "0.0.0.0", Port: 80})
	require.NoError(t, err)
	assert.Empty(t, skipped)
	assert.Equal(t, 1, strings.Count(got, "    server web_web.internal_80 web.internal:80 check\n"),
		"hosts differing only in private-address reach the same server: one line")
	assert.Contains(t, got, "    server web_10.0.0.3_80 10.0.0.3:80 check\n")
	assert.Equal(t, 2, strings.Count(got, "    server "))
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
