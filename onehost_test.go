package httprelation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// TestServicesOneTargetOneHost: spellings of one target, in hostname or
// private-address, at the top level or in extended_data, in one relation
// or two, are one host, written canonically (class 3).
func TestServicesOneTargetOneHost(t *testing.T) {
	m := httprelationtest.New(t, &toolsim.Model{
		Unit: "lb/0",
		Relations: map[string]toolsim.Relation{
			"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
				"web/0": {"hostname": "WEB.EXAMPLE.COM", "private-address": "10.0.0.5", "port": "80"},
				"web/1": {"hostname": "web.example.com", "private-address": "::ffff:10.0.0.5", "port": "80"},
				"web/2": {"private-address": "2001:DB8:0::1", "port": "8080",
					"extended_data": `[{"hostname":"2001:db8::1","port":8080},{"private-address":"2001:0db8:0:0:0:0:0:1","port":"8080"}]`},
				"web/3": {"private-address": "::FFFF:10.0.0.6", "port": "80",
					"extended_data": `[{"private-address":"10.0.0.6","port":"80"},{"hostname":"::ffff:0a00:0006","port":80}]`},
			}},
			"backends:2": {RemoteApp: "web", Units: map[string]map[string]string{
				"web/4": {"hostname": "Api.Example.ORG", "private-address": "2001:0db8:0000:0000:0000:0000:0000:0002", "port": "443"},
				"web/5": {"hostname": "api.example.org", "private-address": "2001:db8::2", "port": "443",
					"extended_data": `[{"hostname":"WEB.example.com","private-address":"0:0:0:0:0:ffff:a00:5","port":80}]`},
			}},
		},
	})
	got, records, err := hostileServices(t, m)
	require.NoError(t, err)
	assert.Empty(t, records)
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{
		{Hostname: "10.0.0.6", PrivateAddress: "10.0.0.6", Port: 80},
		{Hostname: "2001:db8::1", PrivateAddress: "2001:db8::1", Port: 8080},
		{Hostname: "api.example.org", PrivateAddress: "2001:db8::2", Port: 443},
		{Hostname: "web.example.com", PrivateAddress: "10.0.0.5", Port: 80},
	}}}, got)
}

// TestParseUnitDataCanonical: the parser itself returns canonical
// addresses, so callers of ParseUnitData get them too, and a hostname equal
// to private-address in another spelling is still one address.
func TestParseUnitDataCanonical(t *testing.T) {
	for _, c := range canonicalCases {
		t.Run(c.name, func(t *testing.T) {
			want := []httprelation.Host{{Hostname: c.want, PrivateAddress: c.want, Port: 80}}
			hosts, problems := httprelation.ParseUnitData(map[string]string{"hostname": c.in, "private-address": c.want, "port": "80"})
			assert.Empty(t, problems)
			assert.Equal(t, want, hosts, "top level")
			hosts, problems = httprelation.ParseUnitData(map[string]string{"extended_data": `[{"private-address":"` + c.in + `","port":80}]`})
			assert.Empty(t, problems)
			assert.Equal(t, want, hosts, "extended_data")
		})
	}
}
