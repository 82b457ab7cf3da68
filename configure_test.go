package httprelation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/toolsim"
)

func TestConfigure(t *testing.T) {
	const vip = `[{"hostname":"vip2.example.com","private-address":"192.0.2.2","port":8080},` +
		`{"hostname":"vip3.example.com","private-address":"192.0.2.3","port":8080}]`
	tests := []struct {
		name         string
		opts         []httprelation.ConfigureOption
		want3, want2 map[string]string // website:3, website:12
		ingressCalls int
	}{{
		name:         "default is each relation's own ingress address",
		want3:        with("10.0.0.3", "hostname", "10.0.0.3", "port", "8080"),
		want2:        with("10.1.0.12", "hostname", "10.1.0.12", "port", "8080"),
		ingressCalls: 2,
	}, {
		name:         "explicit hostname, ingress private-address",
		opts:         []httprelation.ConfigureOption{httprelation.WithHostnames("shop.example.com")},
		want3:        with("10.0.0.3", "hostname", "shop.example.com", "port", "8080"),
		want2:        with("10.1.0.12", "hostname", "shop.example.com", "port", "8080"),
		ingressCalls: 2,
	}, {
		name:         "explicit address, ingress hostname",
		opts:         []httprelation.ConfigureOption{httprelation.WithAddresses("192.0.2.1")},
		want3:        with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "10.0.0.3", "port", "8080"),
		want2:        with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "10.1.0.12", "port", "8080"),
		ingressCalls: 2,
	}, {
		name: "explicit pair needs no ingress address",
		opts: []httprelation.ConfigureOption{
			httprelation.WithHostnames("shop.example.com"), httprelation.WithAddresses("2001:db8::1"),
		},
		want3: with("10.0.0.3", "private-address", "2001:db8::1", "hostname", "shop.example.com", "port", "8080"),
		want2: with("10.1.0.12", "private-address", "2001:db8::1", "hostname", "shop.example.com", "port", "8080"),
	}, {
		name: "later option replaces earlier, nil ignored",
		opts: []httprelation.ConfigureOption{
			httprelation.WithHostnames("old.example.com"), nil, httprelation.WithHostnames("new.example.com"),
			httprelation.WithAddresses("192.0.2.1"),
		},
		want3: with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "new.example.com", "port", "8080"),
		want2: with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "new.example.com", "port", "8080"),
	}, {
		name: "VIPs go to extended_data",
		opts: []httprelation.ConfigureOption{
			httprelation.WithHostnames("vip1.example.com", "vip2.example.com", "vip3.example.com"),
			httprelation.WithAddresses("192.0.2.1", "192.0.2.2", "192.0.2.3"),
		},
		want3: with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "vip1.example.com", "port", "8080", "extended_data", vip),
		want2: with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "vip1.example.com", "port", "8080", "extended_data", vip),
	}, {
		name: "short address list pads with each relation's ingress",
		opts: []httprelation.ConfigureOption{
			httprelation.WithHostnames("a.example.com", "b.example.com"),
			httprelation.WithAddresses("192.0.2.1"),
		},
		want3: with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "a.example.com", "port", "8080",
			"extended_data", `[{"hostname":"b.example.com","private-address":"10.0.0.3","port":8080}]`),
		want2: with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "a.example.com", "port", "8080",
			"extended_data", `[{"hostname":"b.example.com","private-address":"10.1.0.12","port":8080}]`),
		ingressCalls: 2,
	}, {
		name: "short hostname list pads with each relation's ingress",
		opts: []httprelation.ConfigureOption{
			httprelation.WithAddresses("192.0.2.1", "192.0.2.2", "192.0.2.3"),
		},
		want3: with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "10.0.0.3", "port", "8080", "extended_data",
			`[{"hostname":"10.0.0.3","private-address":"192.0.2.2","port":8080},{"hostname":"10.0.0.3","private-address":"192.0.2.3","port":8080}]`),
		want2: with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "10.1.0.12", "port", "8080", "extended_data",
			`[{"hostname":"10.1.0.12","private-address":"192.0.2.2","port":8080},{"hostname":"10.1.0.12","private-address":"192.0.2.3","port":8080}]`),
		ingressCalls: 2,
	}, {
		name: "hosts with ports of their own, at each relation's ingress address",
		opts: []httprelation.ConfigureOption{httprelation.WithHosts(httprelation.Host{Port: 9090}, httprelation.Host{Port: 9100})},
		want3: with("10.0.0.3", "hostname", "10.0.0.3", "port", "8080", "extended_data",
			`[{"hostname":"10.0.0.3","private-address":"10.0.0.3","port":9090},{"hostname":"10.0.0.3","private-address":"10.0.0.3","port":9100}]`),
		want2: with("10.1.0.12", "hostname", "10.1.0.12", "port", "8080", "extended_data",
			`[{"hostname":"10.1.0.12","private-address":"10.1.0.12","port":9090},{"hostname":"10.1.0.12","private-address":"10.1.0.12","port":9100}]`),
		ingressCalls: 2,
	}, {
		name: "hosts of their own come after the virtual IPs, canonical, one address left to the ingress",
		opts: []httprelation.ConfigureOption{
			httprelation.WithHostnames("shop.example.com", "vip.example.com"), httprelation.WithAddresses("192.0.2.1", "192.0.2.2"),
			httprelation.WithHosts(httprelation.Host{Hostname: "Admin.Example.COM", Port: 9090}, httprelation.Host{PrivateAddress: "2001:DB8::5", Port: 443}),
		},
		want3: with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "shop.example.com", "port", "8080", "extended_data",
			`[{"hostname":"vip.example.com","private-address":"192.0.2.2","port":8080},`+
				`{"hostname":"admin.example.com","private-address":"10.0.0.3","port":9090},`+
				`{"hostname":"10.0.0.3","private-address":"2001:db8::5","port":443}]`),
		want2: with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "shop.example.com", "port", "8080", "extended_data",
			`[{"hostname":"vip.example.com","private-address":"192.0.2.2","port":8080},`+
				`{"hostname":"admin.example.com","private-address":"10.1.0.12","port":9090},`+
				`{"hostname":"10.1.0.12","private-address":"2001:db8::5","port":443}]`),
		ingressCalls: 2,
	}, {
		name: "hosts fully given need no ingress address; a later WithHosts replaces an earlier one",
		opts: []httprelation.ConfigureOption{
			httprelation.WithHostnames("shop.example.com"), httprelation.WithAddresses("192.0.2.1"),
			httprelation.WithHosts(httprelation.Host{Port: 1}),
			httprelation.WithHosts(httprelation.Host{Hostname: "shop.example.com", PrivateAddress: "192.0.2.1", Port: 9090}),
		},
		want3: with("10.0.0.3", "private-address", "192.0.2.1", "hostname", "shop.example.com", "port", "8080", "extended_data",
			`[{"hostname":"shop.example.com","private-address":"192.0.2.1","port":9090}]`),
		want2: with("10.1.0.12", "private-address", "192.0.2.1", "hostname", "shop.example.com", "port", "8080", "extended_data",
			`[{"hostname":"shop.example.com","private-address":"192.0.2.1","port":9090}]`),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, acc := serve(t, website(toolsim.Hook{Name: "config-changed"}))
			before := m.Local("admin:5")
			require.NoError(t, httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080, tt.opts...))
			assert.Equal(t, tt.want3, m.Local("website:3"))
			assert.Equal(t, tt.want2, m.Local("website:12"))
			assert.Equal(t, before, m.Local("admin:5"), "another endpoint's relation was written")
			assert.Equal(t, tt.ingressCalls, m.CallCount("network-get"))
			assert.Equal(t, 2, m.CallCount("relation-set"))
		})
	}
}

func TestConfigureWritesRawValues(t *testing.T) {
	m, acc := serve(t, website(toolsim.Hook{}))
	require.NoError(t, httprelation.NewProvides(acc, "website").Configure(context.Background(), 443))
	local := m.Local("website:3")
	assert.Equal(t, "443", local["port"], "port must be the bare decimal string")
	assert.Equal(t, "10.0.0.3", local["hostname"])
	assert.NotContains(t, local, "extended_data")
}

func TestConfigureClearsExtendedData(t *testing.T) {
	ctx := context.Background()
	m, acc := serve(t, website(toolsim.Hook{}))
	p := httprelation.NewProvides(acc, "website")
	require.NoError(t, p.Configure(ctx, 8080, httprelation.WithHostnames("vip1.example.com", "vip2.example.com")))
	require.Contains(t, m.Local("website:3"), "extended_data")

	require.NoError(t, p.Configure(ctx, 8081))
	assert.Equal(t, with("10.0.0.3", "hostname", "10.0.0.3", "port", "8081"), m.Local("website:3"))
	assert.Equal(t, with("10.1.0.12", "hostname", "10.1.0.12", "port", "8081"), m.Local("website:12"))
}

func TestConfigureRejectsWithoutWriting(t *testing.T) {
	badIngress := func(m *toolsim.Model) {
		editRelation(m, "website:12", func(r *toolsim.Relation) { r.Network = ingress("bad\nhost") })
	}
	tests := []struct {
		name    string
		port    int
		opts    []httprelation.ConfigureOption
		edit    func(*toolsim.Model)
		want    error
		noCalls bool // rejected before any hook tool runs
	}{
		{name: "port 0", port: 0, want: httprelation.ErrInvalidPort, noCalls: true},
		{name: "port 65536", port: 65536, want: httprelation.ErrInvalidPort, noCalls: true},
		{name: "negative port", port: -80, want: httprelation.ErrInvalidPort, noCalls: true},
		{name: "hostname with space", port: 80, opts: []httprelation.ConfigureOption{httprelation.WithHostnames("a b")},
			want: httprelation.ErrInvalidAddress, noCalls: true},
		{name: "empty hostname", port: 80, opts: []httprelation.ConfigureOption{httprelation.WithHostnames("")},
			want: httprelation.ErrInvalidAddress, noCalls: true},
		{name: "bad second VIP", port: 80, opts: []httprelation.ConfigureOption{
			httprelation.WithAddresses("192.0.2.1", "192.0.2.1\nbackend evil")},
			want: httprelation.ErrInvalidAddress, noCalls: true},
		{name: "address with zone", port: 80, opts: []httprelation.ConfigureOption{httprelation.WithAddresses("fe80::1%eth0")},
			want: httprelation.ErrInvalidAddress, noCalls: true},
		{name: "bad ingress address of the second relation", port: 80, edit: badIngress,
			want: httprelation.ErrInvalidAddress},
		{name: "host of its own without a port", port: 80, opts: []httprelation.ConfigureOption{
			httprelation.WithHosts(httprelation.Host{Hostname: "a.example"})},
			want: httprelation.ErrInvalidPort, noCalls: true},
		{name: "host of its own on port 65536", port: 80, opts: []httprelation.ConfigureOption{
			httprelation.WithHosts(httprelation.Host{Port: 9090}, httprelation.Host{Port: 65536})},
			want: httprelation.ErrInvalidPort, noCalls: true},
		{name: "host of its own with a forged line", port: 80, opts: []httprelation.ConfigureOption{
			httprelation.WithHosts(httprelation.Host{PrivateAddress: "10.0.0.1\nbackend evil", Port: 9090})},
			want: httprelation.ErrInvalidAddress, noCalls: true},
		{name: "host of its own named like an address", port: 80, opts: []httprelation.ConfigureOption{
			httprelation.WithHosts(httprelation.Host{Hostname: "0x7f000001", Port: 9090})},
			want: httprelation.ErrInvalidAddress, noCalls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := website(toolsim.Hook{})
			if tt.edit != nil {
				tt.edit(s)
			}
			m, acc := serve(t, s)
			before := snapshot(m)
			err := httprelation.NewProvides(acc, "website").Configure(context.Background(), tt.port, tt.opts...)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, before, snapshot(m))
			assert.Zero(t, m.CallCount("relation-set"))
			if tt.noCalls {
				assert.Empty(t, m.Calls())
			}
		})
	}
}

func TestConfigureIngressFailureWritesNothing(t *testing.T) {
	m, acc := serve(t, website(toolsim.Hook{}))
	before := snapshot(m)
	fl := flaky{Accessor: acc, failIngress: map[string]bool{"website:12": true}}
	err := httprelation.NewProvides(fl, "website").Configure(context.Background(), 8080)
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:12")
	assert.Equal(t, before, snapshot(m))
}

func TestConfigureSkipsBrokenRelation(t *testing.T) {
	m, acc := serve(t, website(toolsim.Hook{Name: "website-relation-broken", RelationID: "website:3"}))
	before := m.Local("website:3")
	require.NoError(t, httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080))
	assert.Equal(t, before, m.Local("website:3"))
	assert.Equal(t, with("10.1.0.12", "hostname", "10.1.0.12", "port", "8080"), m.Local("website:12"))
	for _, c := range m.Calls() {
		if c.Tool == "relation-set" || c.Tool == "network-get" {
			assert.Equal(t, "website:12", relationArg(c), "%s called on the broken relation", c.Tool)
		}
	}
}

func TestConfigurePartialFailure(t *testing.T) {
	m, acc := serve(t, website(toolsim.Hook{}))
	fl := flaky{Accessor: acc, failSet: map[string]bool{"website:3": true}}
	err := httprelation.NewProvides(fl, "website").Configure(context.Background(), 8080)
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:3")
	assert.NotContains(t, err.Error(), "website:12")
	assert.Equal(t, with("10.1.0.12", "hostname", "10.1.0.12", "port", "8080"), m.Local("website:12"),
		"the relation after the failing one must still be written")

	fl.failSet["website:12"] = true
	err = httprelation.NewProvides(fl, "website").Configure(context.Background(), 8080)
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:3")
	assert.ErrorContains(t, err, "website:12")
}

// oddIDs lists relation ids no real Juju prints, as a broken or hostile
// accessor might.
type oddIDs struct {
	httprelation.Accessor
	ids []string
}

func (o oddIDs) RelationIDs(context.Context, string) ([]string, error) { return o.ids, nil }

// TestConfigureQuotesRelationIDs: an id that came from the accessor is
// quoted in Configure's error, so a newline or escape code in it cannot
// forge a log line.
func TestConfigureQuotesRelationIDs(t *testing.T) {
	for _, id := range []string{"website:3\nERROR forged", "website:3\x1b[2J", "website:\u202e3"} {
		t.Run(badchar.Quote(id), func(t *testing.T) {
			acc := serveAccessor(t, website(toolsim.Hook{}))
			err := httprelation.NewProvides(oddIDs{Accessor: acc, ids: []string{id}}, "website").Configure(context.Background(), 8080)
			require.Error(t, err)
			assert.Contains(t, err.Error(), badchar.Quote(id))
			assert.NotContains(t, err.Error(), id)
		})
	}
}

// longName returns a distinct valid DNS name of exactly 253 characters.
func longName(i int) string {
	name := fmt.Sprintf("h%05d", i) + strings.Repeat("."+strings.Repeat("a", 63), 3) + "."
	return name + strings.Repeat("b", 253-len(name)-len(".example")) + ".example"
}

// hostnames returns n distinct short hostnames.
func hostnames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("vip%d.example", i)
	}
	return out
}

// TestConfigureRequirerLimits: Configure refuses, before writing anything,
// what a requirer would refuse, and the error names the limit broken.
func TestConfigureRequirerLimits(t *testing.T) {
	long := make([]string, 240)
	for i := range long {
		long[i] = longName(i)
	}
	tests := []struct {
		name string
		opts []httprelation.ConfigureOption
		// ingress replaces website:12's ingress address.
		ingress string
		is      error
		msg     string
		// toolless: refused before any accessor call.
		toolless bool
	}{
		{name: "258 hostnames", opts: []httprelation.ConfigureOption{httprelation.WithHostnames(hostnames(258)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "258 hosts, the first at the top level and the rest in extended_data: invalid extended_data: 257 entries, more than 256", toolless: true},
		{name: "1000 addresses", opts: []httprelation.ConfigureOption{httprelation.WithAddresses(hostnames(1000)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "999 entries, more than 256", toolless: true},
		{name: "258 addresses next to 2 hostnames", opts: []httprelation.ConfigureOption{httprelation.WithHostnames("a.example", "b.example"), httprelation.WithAddresses(hostnames(258)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "257 entries, more than 256", toolless: true},
		{name: "240 names of 253 bytes", opts: []httprelation.ConfigureOption{httprelation.WithHostnames(long...)},
			is: httprelation.ErrInvalidExtendedData, msg: "bytes, more than 65536"},
		{name: "240 long names as addresses", opts: []httprelation.ConfigureOption{httprelation.WithHostnames("web.example"), httprelation.WithAddresses(long...)},
			is: httprelation.ErrInvalidExtendedData, msg: "bytes, more than 65536"},
		{name: "a long ingress name pads one relation over the size", ingress: longName(999),
			opts: []httprelation.ConfigureOption{httprelation.WithHostnames(hostnames(230)...)},
			is:   httprelation.ErrInvalidExtendedData, msg: `relation "website:12": 230 hosts: invalid extended_data: `},
		{name: "an address in disguise", opts: []httprelation.ConfigureOption{httprelation.WithHostnames("web.example", "0x7f000001")},
			is: httprelation.ErrInvalidAddress, msg: "starts with a digit", toolless: true},
		{name: "a non-ASCII name", opts: []httprelation.ConfigureOption{httprelation.WithAddresses("wéb.example")},
			is: httprelation.ErrInvalidAddress, msg: `contains 'é' (U+00E9)`, toolless: true},
		{name: "an ingress address in disguise", ingress: "127.1",
			is: httprelation.ErrInvalidAddress, msg: "ingress address: invalid address"},
		{name: "257 hosts of their own next to the main one", opts: []httprelation.ConfigureOption{httprelation.WithHosts(portHosts(257)...)},
			is: httprelation.ErrInvalidExtendedData, msg: "258 hosts, the first at the top level and the rest in extended_data: invalid extended_data: 257 entries, more than 256", toolless: true},
		{name: "virtual IPs and hosts of their own together past 256 entries",
			opts: []httprelation.ConfigureOption{httprelation.WithHostnames(hostnames(200)...), httprelation.WithHosts(portHosts(58)...)},
			is:   httprelation.ErrInvalidExtendedData, msg: "258 hosts, the first at the top level and the rest in extended_data: invalid extended_data: 257 entries", toolless: true},
		{name: "hosts of their own with long names past 64 KiB",
			opts: []httprelation.ConfigureOption{httprelation.WithHosts(longHosts(240)...)},
			is:   httprelation.ErrInvalidExtendedData, msg: "bytes, more than 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := website(toolsim.Hook{Name: "website-relation-joined", RelationID: "website:3", RemoteUnit: "lb/0"})
			if tt.ingress != "" {
				rel := s.Relations["website:12"]
				rel.Network = ingress(tt.ingress)
				s.Relations["website:12"] = rel
			}
			m, acc := serve(t, s)
			before := snapshot(m)
			err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080, tt.opts...)
			require.ErrorIs(t, err, tt.is)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Equal(t, before, snapshot(m), "nothing written")
			assert.Zero(t, m.CallCount("relation-set"))
			if tt.toolless {
				assert.Empty(t, m.Calls(), "refused before any call")
			}
		})
	}
}

// TestConfigurePublishesWhatRequiresAccept crosses the size limit one
// host at a time: whatever Configure publishes, the requirer's own parser
// reads in full; whatever it refuses, that parser would have refused.
func TestConfigurePublishesWhatRequiresAccept(t *testing.T) {
	var published, refused int
	for n := 190; n <= 230; n++ {
		names := make([]string, n)
		for i := range names {
			names[i] = longName(i)
		}
		m, acc := serve(t, website(toolsim.Hook{Name: "config-changed"}))
		before := snapshot(m)
		err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080, httprelation.WithHostnames(names...))

		// What the requirer would read in each relation, written as
		// Configure writes it: the tail pads with that relation's ingress
		// address, so one relation may cross the limit before the other.
		want := map[string]string{}
		accepted := true
		for id, ingress := range map[string]string{"website:3": "10.0.0.3", "website:12": "10.1.0.12"} {
			extra := make([]httprelation.Host, n-1)
			for i := range extra {
				extra[i] = httprelation.Host{Hostname: names[i+1], PrivateAddress: ingress, Port: 8080}
			}
			ext, jerr := json.Marshal(extra)
			require.NoError(t, jerr)
			want[id] = string(ext)
			_, problems := httprelation.ParseUnitData(map[string]string{"extended_data": string(ext)})
			accepted = accepted && len(problems) == 0
		}

		if err != nil {
			refused++
			require.ErrorIs(t, err, httprelation.ErrInvalidExtendedData, "n=%d", n)
			assert.False(t, accepted, "n=%d: refused what a requirer accepts", n)
			assert.Equal(t, before, snapshot(m))
			continue
		}
		published++
		assert.True(t, accepted, "n=%d: published what a requirer refuses", n)
		for id, ext := range want {
			bag := m.Local(id)
			assert.JSONEq(t, ext, bag["extended_data"], "n=%d", n)
			hosts, problems := httprelation.ParseUnitData(bag)
			assert.Empty(t, problems, "n=%d", n)
			assert.Len(t, hosts, n)
		}
	}
	assert.NotZero(t, published, "the range must cross the limit")
	assert.NotZero(t, refused, "the range must cross the limit")

	// 257 hosts is the entry limit itself, virtual IPs and hosts of their
	// own alike.
	for _, opts := range [][]httprelation.ConfigureOption{
		{httprelation.WithHostnames(hostnames(257)...)},
		{httprelation.WithHosts(portHosts(256)...)},
		{httprelation.WithHostnames(hostnames(200)...), httprelation.WithHosts(portHosts(57)...)},
	} {
		m, acc := serve(t, website(toolsim.Hook{Name: "config-changed"}))
		require.NoError(t, httprelation.NewProvides(acc, "website").Configure(context.Background(), 80, opts...))
		hosts, problems := httprelation.ParseUnitData(m.Local("website:12"))
		assert.Empty(t, problems)
		assert.Len(t, hosts, 257)
	}
}

// TestConfigurePublishesCanonical: the provider publishes one spelling
// per target, ingress addresses included.
func TestConfigurePublishesCanonical(t *testing.T) {
	s := website(toolsim.Hook{Name: "config-changed"})
	rel := s.Relations["website:12"]
	rel.Network = ingress("::FFFF:10.1.0.12")
	s.Relations["website:12"] = rel
	m, acc := serve(t, s)
	err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080,
		httprelation.WithHostnames("WEB.Example.COM", "2001:DB8:0::1", "Vip.Example"),
		httprelation.WithAddresses("::ffff:10.0.0.5"))
	require.NoError(t, err)
	for id, ingress := range map[string]string{"website:3": "10.0.0.3", "website:12": "10.1.0.12"} {
		bag := m.Local(id)
		assert.Equal(t, "web.example.com", bag["hostname"], id)
		assert.Equal(t, "10.0.0.5", bag["private-address"], id)
		assert.JSONEq(t, `[{"hostname":"2001:db8::1","private-address":"`+ingress+`","port":8080},`+
			`{"hostname":"vip.example","private-address":"`+ingress+`","port":8080}]`, bag["extended_data"], id)
	}
}

// portHosts returns n hosts at the relation's ingress address, on ports
// 1000 and up.
func portHosts(n int) []httprelation.Host {
	hosts := make([]httprelation.Host, n)
	for i := range hosts {
		hosts[i] = httprelation.Host{Port: 1000 + i}
	}
	return hosts
}

// longHosts returns n hosts whose hostnames are the longest DNS names.
func longHosts(n int) []httprelation.Host {
	hosts := make([]httprelation.Host, n)
	for i := range hosts {
		hosts[i] = httprelation.Host{Hostname: longName(i), Port: 8080}
	}
	return hosts
}
