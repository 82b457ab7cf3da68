package httprelation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// jujuLocal is what Juju puts in the local bag on entering scope.
func jujuLocal(addr string) map[string]string {
	return map[string]string{"private-address": addr, "ingress-address": addr, "egress-subnets": addr + "/32"}
}

// website returns a unit with two website relations reached on different
// networks, plus a relation of another endpoint that must never be touched.
func website(h toolsim.Hook) *toolsim.Model {
	return &toolsim.Model{
		Unit:           "shop/0",
		PrivateAddress: "172.16.0.9",
		Hook:           h,
		Relations: map[string]toolsim.Relation{
			"website:3": {RemoteApp: "lb", Network: ingress("10.0.0.3"), Local: jujuLocal("10.0.0.3"),
				Units: map[string]map[string]string{"lb/0": {"private-address": "10.0.0.50"}}},
			"website:12": {RemoteApp: "cdn", Network: ingress("10.1.0.12"), Local: jujuLocal("10.1.0.12"),
				Units: map[string]map[string]string{"cdn/0": {"private-address": "10.1.0.60"}}},
			"admin:5": {RemoteApp: "ops", Network: ingress("10.2.0.5"), Local: jujuLocal("10.2.0.5")},
		},
	}
}

// with returns Juju's local bag for addr plus the given keys.
func with(addr string, kv ...string) map[string]string {
	m := jujuLocal(addr)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// snapshot copies every local bag of a Model, to prove a call changed none.
func snapshot(m *httprelationtest.Model) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, id := range []string{"website:3", "website:12", "admin:5"} {
		out[id] = m.Local(id)
	}
	return out
}

var errBoom = errors.New("boom")

// flaky fails SetLocalData and IngressAddress for chosen relations and
// otherwise defers to the Model.
type flaky struct {
	*httprelationtest.Model
	failSet     map[string]bool
	failIngress map[string]bool
}

func (f flaky) SetLocalData(ctx context.Context, id string, data map[string]string) error {
	if f.failSet[id] {
		return errBoom
	}
	return f.Model.SetLocalData(ctx, id, data)
}

func (f flaky) IngressAddress(ctx context.Context, id string) (string, error) {
	if f.failIngress[id] {
		return "", errBoom
	}
	return f.Model.IngressAddress(ctx, id)
}

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
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := httprelationtest.New(t, website(toolsim.Hook{Name: "config-changed"}))
			before := m.Local("admin:5")
			require.NoError(t, httprelation.NewProvides(m, "website").Configure(context.Background(), 8080, tt.opts...))
			assert.Equal(t, tt.want3, m.Local("website:3"))
			assert.Equal(t, tt.want2, m.Local("website:12"))
			assert.Equal(t, before, m.Local("admin:5"), "another endpoint's relation was written")
			assert.Equal(t, tt.ingressCalls, m.CallCount("IngressAddress"))
			assert.Equal(t, 2, m.CallCount("SetLocalData"))
		})
	}
}

func TestConfigureWritesRawValues(t *testing.T) {
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	require.NoError(t, httprelation.NewProvides(m, "website").Configure(context.Background(), 443))
	local := m.Local("website:3")
	assert.Equal(t, "443", local["port"], "port must be the bare decimal string")
	assert.Equal(t, "10.0.0.3", local["hostname"])
	assert.NotContains(t, local, "extended_data")
}

func TestConfigureClearsExtendedData(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	p := httprelation.NewProvides(m, "website")
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := website(toolsim.Hook{})
			if tt.edit != nil {
				tt.edit(s)
			}
			m := httprelationtest.New(t, s)
			before := snapshot(m)
			err := httprelation.NewProvides(m, "website").Configure(context.Background(), tt.port, tt.opts...)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, before, snapshot(m))
			assert.Zero(t, m.CallCount("SetLocalData"))
			if tt.noCalls {
				assert.Empty(t, m.Calls())
			}
		})
	}
}

func TestConfigureIngressFailureWritesNothing(t *testing.T) {
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	before := snapshot(m)
	acc := flaky{Model: m, failIngress: map[string]bool{"website:12": true}}
	err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080)
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:12")
	assert.Equal(t, before, snapshot(m))
}

func TestConfigureSkipsBrokenRelation(t *testing.T) {
	m := httprelationtest.New(t, website(toolsim.Hook{Name: "website-relation-broken", RelationID: "website:3"}))
	before := m.Local("website:3")
	require.NoError(t, httprelation.NewProvides(m, "website").Configure(context.Background(), 8080))
	assert.Equal(t, before, m.Local("website:3"))
	assert.Equal(t, with("10.1.0.12", "hostname", "10.1.0.12", "port", "8080"), m.Local("website:12"))
	for _, c := range m.Calls() {
		if c.Method == "SetLocalData" || c.Method == "IngressAddress" {
			assert.Equal(t, "website:12", c.Arg, "%s called on the broken relation", c.Method)
		}
	}
}

func TestConfigurePartialFailure(t *testing.T) {
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	acc := flaky{Model: m, failSet: map[string]bool{"website:3": true}}
	err := httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080)
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:3")
	assert.NotContains(t, err.Error(), "website:12")
	assert.Equal(t, with("10.1.0.12", "hostname", "10.1.0.12", "port", "8080"), m.Local("website:12"),
		"the relation after the failing one must still be written")

	acc.failSet["website:12"] = true
	err = httprelation.NewProvides(acc, "website").Configure(context.Background(), 8080)
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:3")
	assert.ErrorContains(t, err, "website:12")
}

func TestNoRelationsIsNoop(t *testing.T) {
	ctx := context.Background()
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	p := httprelation.NewProvides(m, "nosuch")
	assert.Equal(t, "nosuch", p.Endpoint())
	require.NoError(t, p.Configure(ctx, 8080))
	require.NoError(t, p.Publish(ctx, map[string]string{"services": "x"}))
	require.NoError(t, p.Unpublish(ctx, "services"))
	assert.Zero(t, m.CallCount("SetLocalData"))
	assert.Zero(t, m.CallCount("IngressAddress"))
}

func TestPublish(t *testing.T) {
	const stanza = "- service_name: shop\n  service_port: 80\n  service_options: [balance leastconn]\n"
	ctx := context.Background()
	m := httprelationtest.New(t, website(toolsim.Hook{Name: "website-relation-broken", RelationID: "website:12"}))
	p := httprelation.NewProvides(m, "website")
	require.NoError(t, p.Configure(ctx, 8080))
	require.NoError(t, p.Publish(ctx, map[string]string{"services": stanza, "sitenames": "shop", "egress-subnets": ""}))
	assert.Equal(t, map[string]string{
		"private-address": "10.0.0.3", "ingress-address": "10.0.0.3", "hostname": "10.0.0.3", "port": "8080",
		"services": stanza, "sitenames": "shop",
	}, m.Local("website:3"), "values must be written as given and \"\" must delete")
	assert.Equal(t, jujuLocal("10.1.0.12"), m.Local("website:12"), "broken relation written")
	assert.Equal(t, jujuLocal("10.2.0.5"), m.Local("admin:5"), "another endpoint written")

	require.NoError(t, p.Unpublish(ctx, "services", "port", "never-set"))
	assert.Equal(t, map[string]string{
		"private-address": "10.0.0.3", "ingress-address": "10.0.0.3", "hostname": "10.0.0.3", "sitenames": "shop",
	}, m.Local("website:3"))
}

func TestPublishRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name      string
		data      map[string]string
		unpublish []string
	}{
		{name: "empty key", data: map[string]string{"": "x"}},
		{name: "space", data: map[string]string{"a b": "x"}},
		{name: "equals", data: map[string]string{"a=b": "x"}},
		{name: "newline", data: map[string]string{"a\nb": "x"}},
		{name: "non-ASCII", data: map[string]string{"clé": "x"}},
		{name: "DEL", data: map[string]string{"a\x7f": "x"}},
		{name: "one bad key among good ones", data: map[string]string{"services": "x", "bad key": "y"}},
		{name: "port is Configure's", data: map[string]string{"port": "http"}},
		{name: "hostname is Configure's", data: map[string]string{"hostname": "evil host"}},
		{name: "private-address is Configure's", data: map[string]string{"private-address": "x"}},
		{name: "extended_data is Configure's even to delete", data: map[string]string{"extended_data": ""}},
		{name: "unpublish empty key", unpublish: []string{"services", ""}},
		{name: "unpublish equals", unpublish: []string{"a=b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := httprelationtest.New(t, website(toolsim.Hook{}))
			before := snapshot(m)
			p := httprelation.NewProvides(m, "website")
			var err error
			if tt.unpublish != nil {
				err = p.Unpublish(context.Background(), tt.unpublish...)
			} else {
				err = p.Publish(context.Background(), tt.data)
			}
			require.ErrorIs(t, err, httprelation.ErrInvalidKey)
			assert.Equal(t, before, snapshot(m))
			assert.Empty(t, m.Calls(), "a bad key must be caught before any hook tool runs")
		})
	}
}

func TestPublishPartialFailure(t *testing.T) {
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	acc := flaky{Model: m, failSet: map[string]bool{"website:12": true}}
	p := httprelation.NewProvides(acc, "website")
	err := p.Publish(context.Background(), map[string]string{"services": "x"})
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:12")
	assert.NotContains(t, err.Error(), "website:3")
	assert.Equal(t, "x", m.Local("website:3")["services"])

	err = p.Unpublish(context.Background(), "services")
	require.ErrorIs(t, err, errBoom)
	assert.ErrorContains(t, err, "website:12")
	assert.NotContains(t, m.Local("website:3"), "services")
}

func TestPublishNothingIsNoop(t *testing.T) {
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	p := httprelation.NewProvides(m, "website")
	require.NoError(t, p.Publish(context.Background(), nil))
	require.NoError(t, p.Unpublish(context.Background()))
	assert.Empty(t, m.Calls())
}

// listing answers relation-list from a fixed table, as tooling older than
// Juju 3 did: departing units and broken relations still listed.
type listing struct {
	httprelation.Accessor
	units map[string][]string
	errs  map[string]error
}

func (l listing) RelationUnits(_ context.Context, id string) ([]string, error) {
	return l.units[id], l.errs[id]
}

func TestAvailable(t *testing.T) {
	departed := toolsim.Hook{Name: "website-relation-departed", RelationID: "website:3", RemoteUnit: "lb/0", DepartingUnit: "lb/0"}
	broken := toolsim.Hook{Name: "website-relation-broken", RelationID: "website:3"}
	noUnits := func(ids ...string) func(*toolsim.Model) {
		return func(m *toolsim.Model) {
			for _, id := range ids {
				editRelation(m, id, func(r *toolsim.Relation) { r.Units = nil })
			}
		}
	}
	noCDN := noUnits("website:12")
	tests := []struct {
		name  string
		hook  toolsim.Hook
		edit  func(*toolsim.Model)
		old   map[string][]string // relation-list answers of old tooling, if set
		errs  map[string]error
		want  bool
		isErr bool
	}{
		{name: "joined", want: true},
		{name: "only the other relation joined", edit: noUnits("website:3"), want: true},
		{name: "nobody joined", edit: func(m *toolsim.Model) {
			noUnits("website:3", "website:12")(m)
			editRelation(m, "admin:5", func(r *toolsim.Relation) { r.Units = map[string]map[string]string{"ops/0": {}} })
		}, want: false},
		{name: "last unit departing", hook: departed, edit: noCDN, want: false},
		{name: "last unit departing, old tooling lists it", hook: departed, edit: noCDN,
			old: map[string][]string{"website:3": {"lb/0"}}, want: false},
		{name: "one of two departing", hook: departed, edit: noCDN,
			old: map[string][]string{"website:3": {"lb/0", "lb/1"}}, want: true},
		{name: "departing unit, other relation joined", hook: departed, want: true},
		{name: "only relation broken", hook: broken, edit: noCDN, want: false},
		{name: "broken relation still listing units", hook: broken,
			old: map[string][]string{"website:3": {"lb/0"}}, want: false},
		{name: "broken relation, other relation joined", hook: broken, want: true},
		{name: "one relation unlistable, other joined",
			old: map[string][]string{"website:12": {"cdn/0"}}, errs: map[string]error{"website:3": errBoom}, want: true},
		{name: "unlistable and nobody else", edit: noCDN,
			errs: map[string]error{"website:3": errBoom}, isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := website(tt.hook)
			if tt.edit != nil {
				tt.edit(s)
			}
			var acc httprelation.Accessor = httprelationtest.New(t, s)
			if tt.old != nil || tt.errs != nil {
				acc = listing{Accessor: acc, units: tt.old, errs: tt.errs}
			}
			got, err := httprelation.NewProvides(acc, "website").Available(context.Background())
			if tt.isErr {
				require.ErrorIs(t, err, errBoom)
				assert.ErrorContains(t, err, "website:3")
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// oddIDs lists relation ids no real Juju prints, as a broken or hostile
// accessor might.
type oddIDs struct {
	*httprelationtest.Model
	ids []string
}

func (o oddIDs) RelationIDs(context.Context, string) ([]string, error) { return o.ids, nil }

// TestConfigureQuotesRelationIDs: an id that came from the accessor is
// quoted in Configure's error, so a newline or escape code in it cannot
// forge a log line (issue 9, class 10).
func TestConfigureQuotesRelationIDs(t *testing.T) {
	for _, id := range []string{"website:3\nERROR forged", "website:3\x1b[2J", "website:\u202e3"} {
		t.Run(httprelation.Quote(id), func(t *testing.T) {
			m := httprelationtest.New(t, website(toolsim.Hook{}))
			err := httprelation.NewProvides(oddIDs{Model: m, ids: []string{id}}, "website").Configure(context.Background(), 8080)
			require.Error(t, err)
			assert.Contains(t, err.Error(), httprelation.Quote(id))
			assert.NotContains(t, err.Error(), id)
		})
	}
}
