package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// TestRenderSkipsUnsafeServices: a bad service or host next to good ones
// is left out with one error each, and the good ones are rendered as if it
// were not there.
func TestRenderSkipsUnsafeServices(t *testing.T) {
	fe := frontend{Bind: "0.0.0.0", Port: 80}
	svc := func(name string, hosts ...httprelation.Host) httprelation.Service {
		return httprelation.Service{Name: name, Hosts: hosts}
	}
	web := svc("web", host("10.0.0.1", 8080), host("10.0.0.2", 8080))
	api := svc("api-v2", host("10.0.1.5", 9000))
	blog := svc("blog", host("blog.internal", 80))
	tests := []struct {
		name     string
		services []httprelation.Service
		want     []httprelation.Service // what must be rendered
		skipped  []error                // the reason of each skipped item
	}{
		{"names Juju cannot create, between good services",
			[]httprelation.Service{web, svc("web-1", host("10.0.0.9", 80)), api, svc("a--b", host("10.0.0.9", 80)), svc("a-", host("10.0.0.9", 80)), blog},
			[]httprelation.Service{web, api, blog}, []error{errUnsafe, errUnsafe, errUnsafe}},
		{"bad service first: the default backend is the first good one",
			[]httprelation.Service{svc(strings.Repeat("a", 64), host("10.0.0.9", 80)), blog, web},
			[]httprelation.Service{blog, web}, []error{errUnsafe}},
		{"names that would add directives",
			[]httprelation.Service{svc("web\nlisten evil", host("10.0.0.9", 80)), web, svc("web}", host("10.0.0.9", 80)), svc("", host("10.0.0.9", 80)), svc("Web", host("10.0.0.9", 80))},
			[]httprelation.Service{web}, []error{errUnsafe, errUnsafe, errUnsafe, errUnsafe}},
		{"a repeated service: the first one stays",
			[]httprelation.Service{web, svc("web", host("10.0.0.9", 80)), api},
			[]httprelation.Service{web, api}, []error{errUnsafe}},
		{"bad hosts cost only themselves",
			[]httprelation.Service{svc("web", host("10.0.0.1", 8080), host("10.0.0.2\n    server evil 6.6.6.6:80", 80), host("0x7f000001", 80),
				host("10.0.0.2", 8080), host("10.0.0.3", 0), host("[::1]", 80)), api},
			[]httprelation.Service{web, api},
			[]error{httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress, httprelation.ErrInvalidPort, httprelation.ErrInvalidAddress}},
		{"loopback names and numbers in disguise cost only themselves",
			[]httprelation.Service{svc("web", host("localhost", 80), host("10.0.0.1", 8080), host("web.LOCALHOST", 80), host("0X7F.1", 80),
				host("ip6-loopback", 80), host("10.0.0.2", 8080)), api},
			[]httprelation.Service{web, api},
			[]error{httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress}},
		{"a service with no good host keeps its backend",
			[]httprelation.Service{web, svc("blog", host("a b", 80), host("10.0.0.1", 70000))},
			[]httprelation.Service{web, svc("blog")}, []error{httprelation.ErrInvalidAddress, httprelation.ErrInvalidPort}},
		{"every unsafe kind of host and name, one by one",
			[]httprelation.Service{svc("web", host("a}", 80), host("a#b", 80), host("fe80::1%eth0", 80), host("", 80), host("10.0.0.1", -80),
				host("10.0.0.1", 8080), host("10.0.0.2", 8080)), svc("be_web", host("10.0.0.9", 80))},
			[]httprelation.Service{web},
			[]error{httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress, httprelation.ErrInvalidAddress,
				httprelation.ErrInvalidPort, errUnsafe}},
		{"nothing good", []httprelation.Service{svc("web-1", host("10.0.0.1", 80)), svc("WEB", host("10.0.0.1", 80))},
			nil, []error{errUnsafe, errUnsafe}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped, err := renderHAProxy(tt.services, fe)
			require.NoError(t, err)
			want, wantSkipped, err := renderHAProxy(tt.want, fe)
			require.NoError(t, err)
			require.Empty(t, wantSkipped)
			assert.Equal(t, want, got, "the good services render as if the bad ones were not there")
			checkStructure(t, tt.want, got)
			require.Len(t, skipped, len(tt.skipped), "%v", skipped)
			for i, e := range skipped {
				assert.ErrorIs(t, e, errUnsafe)
				assert.ErrorIs(t, e, tt.skipped[i])
				assert.NotContains(t, e.Error(), "\n")
			}
		})
	}
}

// TestRenderReportsSkippedService: the error says which service and why.
func TestRenderReportsSkippedService(t *testing.T) {
	text, skipped, err := renderHAProxy([]httprelation.Service{
		{Name: "web-1", Hosts: []httprelation.Host{host("10.0.0.1", 80)}},
		{Name: "website", Hosts: []httprelation.Host{host("10.0.0.10", 8080)}},
	}, frontend{Bind: "0.0.0.0", Port: 80})
	require.NoError(t, err)
	require.Len(t, skipped, 1)
	assert.True(t, errors.Is(skipped[0], errUnsafe))
	assert.Contains(t, skipped[0].Error(), `service "web-1": not a Juju application name`)
	assert.Contains(t, text, "    server website_10.0.0.10_8080 10.0.0.10:8080 check\n")
	assert.NotContains(t, text, "web-1")
}

// TestHookKeepsGoodServicesNextToABadName is the scenario: a
// remote application Juju could not have named (web-1) next to a good
// one. The hook succeeds, warns about web-1/0 and serves website.
func TestHookKeepsGoodServicesNextToABadName(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "haproxy.cfg")
	model := proxyModel(cfgPath, threeUnits())
	model.Relations["reverseproxy:2"] = toolsim.Relation{
		RemoteApp: "web-1", RemoteEndpoint: "website",
		Local: map[string]string{"private-address": "10.0.0.2"},
		Units: map[string]map[string]string{"web-1/0": webUnit("10.0.0.20")},
	}
	m := httprelationtest.New(t, model)
	f := &fixture{m: m, cfgPath: cfgPath, machine: machine{run: hooktools.ExecRunner{}, log: m.Unit().Logger}}
	require.NoError(t, f.run(t, toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: relationID, RemoteUnit: "website/2"}))
	assert.Equal(t, rendered(t, "10.0.0.10", "10.0.0.11", "10.0.0.12"), f.config(t))

	var warnings []string
	for _, w := range m.Warnings() {
		if strings.Contains(w, "web-1") {
			warnings = append(warnings, w)
		}
	}
	require.Len(t, warnings, 1, "%q", warnings)
	assert.Contains(t, warnings[0], "httprelation: skipping remote unit with a malformed name")
	assert.Contains(t, warnings[0], "reverseproxy:2")
}
