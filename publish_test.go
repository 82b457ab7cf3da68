package httprelation_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

func TestPublish(t *testing.T) {
	const stanza = "- service_name: shop\n  service_port: 80\n  service_options: [balance leastconn]\n"
	ctx := context.Background()
	m, acc := serve(t, website(toolsim.Hook{Name: "website-relation-broken", RelationID: "website:12"}))
	p := httprelation.NewProvides(acc, "website")
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
		{name: "like a flag", data: map[string]string{"-r": "x"}},
		{name: "one bad key among good ones", data: map[string]string{"services": "x", "bad key": "y"}},
		{name: "port is Configure's", data: map[string]string{"port": "http"}},
		{name: "hostname is Configure's", data: map[string]string{"hostname": "evil host"}},
		{name: "private-address is Configure's", data: map[string]string{"private-address": "x"}},
		{name: "extended_data is Configure's even to delete", data: map[string]string{"extended_data": ""}},
		{name: "unpublish empty key", unpublish: []string{"services", ""}},
		{name: "unpublish equals", unpublish: []string{"a=b"}},
		{name: "unpublish like a flag", unpublish: []string{"--help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, acc := serve(t, website(toolsim.Hook{}))
			before := snapshot(m)
			p := httprelation.NewProvides(acc, "website")
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
	m, acc := serve(t, website(toolsim.Hook{}))
	fl := flaky{Accessor: acc, failSet: map[string]bool{"website:12": true}}
	p := httprelation.NewProvides(fl, "website")
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
	m, acc := serve(t, website(toolsim.Hook{}))
	p := httprelation.NewProvides(acc, "website")
	require.NoError(t, p.Publish(context.Background(), nil))
	require.NoError(t, p.Unpublish(context.Background()))
	assert.Empty(t, m.Calls())
}

// manyKeys returns n keys named prefix0.. with the value v.
func manyKeys(prefix string, n int, v string) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("%s%d", prefix, i)] = v
	}
	return m
}

// TestPublishKeepsTheBagReadable: Publish never leaves a bag that a
// requirer would skip whole, counting what the bag already holds (Juju's
// own keys too, not Configure's), and never refuses a write that shrinks
// it. The process-level proof, with
// Configure's largest bag on top, is TestProcessPublishKeepsTheBagReadable
// (hooktools).
func TestPublishKeepsTheBagReadable(t *testing.T) {
	kib := func(n int) string { return strings.Repeat("x", n<<10) }
	tests := []struct {
		name     string
		existing map[string]string // already in website:3's local bag
		data     map[string]string
		refused  string // "" when accepted; else in the error
		noCalls  bool   // refused before any hook tool runs
	}{
		{name: "one value over the bag", data: map[string]string{"services": kib(1024)}, refused: "bytes besides Configure's keys", noCalls: true},
		{name: "values that escaping makes too large", data: map[string]string{"services": strings.Repeat("<", 200<<10)}, refused: "bytes besides Configure's keys", noCalls: true},
		{name: "too many keys in one call", data: manyKeys("k", httprelation.MaxBagKeys, "v"), refused: "keys besides Configure's", noCalls: true},
		{name: "a key added to a full bag", existing: map[string]string{"a": kib(600)}, data: map[string]string{"b": kib(400)}, refused: "bytes besides Configure's keys"},
		{name: "keys added to many", existing: manyKeys("old", 4000, "v"), data: manyKeys("new", 100, "v"), refused: "keys besides Configure's"},
		{name: "a key replaced by a larger one that fits", existing: map[string]string{"a": kib(600)}, data: map[string]string{"a": kib(900)}},
		{name: "a key deleted to make room", existing: map[string]string{"a": kib(600)}, data: map[string]string{"a": "", "b": kib(900)}},
		{name: "Configure's keys take no share", existing: map[string]string{"extended_data": kib(64), "hostname": kib(1)}, data: map[string]string{"b": kib(900)}},
		{name: "Juju's keys count", existing: map[string]string{"egress-subnets": kib(100)}, data: map[string]string{"b": kib(900)}, refused: "bytes besides Configure's keys"},
		{name: "Juju's keys written through Publish count", data: map[string]string{"egress-subnets": kib(3000), "ingress-address": kib(3000)}, refused: "bytes besides Configure's keys", noCalls: true},
		{name: "deleting from a full bag", existing: map[string]string{"a": kib(1000)}, data: map[string]string{"a": ""}},
		{name: "a small write to a bag already over its share", existing: map[string]string{"a": kib(1000)}, data: map[string]string{"b": "x"}, refused: "bytes besides Configure's keys"},
		{name: "shrinking a bag that stays over its share", existing: map[string]string{"a": kib(600), "b": kib(400)}, data: map[string]string{"b": kib(350)}},
		{name: "fewer keys in a bag that stays over its share", existing: manyKeys("old", 4090, "v"), data: map[string]string{"old0": "", "old1": "", "new": "v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := website(toolsim.Hook{})
			rel := model.Relations["website:3"]
			maps.Copy(rel.Local, tt.existing)
			model.Relations["website:3"] = rel
			m, acc := serve(t, model)
			before := snapshot(m)
			err := httprelation.NewProvides(acc, "website").Publish(context.Background(), tt.data)
			if tt.refused == "" {
				require.NoError(t, err)
				for k, v := range tt.data {
					assert.Equal(t, v, m.Local("website:3")[k], k)
				}
				return
			}
			require.ErrorIs(t, err, httprelation.ErrDataTooLarge)
			assert.ErrorContains(t, err, tt.refused)
			assert.Equal(t, before, snapshot(m), "nothing written")
			if tt.noCalls {
				assert.Empty(t, m.Calls())
			} else {
				assert.ErrorContains(t, err, `"website:3"`)
				assert.NotContains(t, err.Error(), "website:12", "the other relation had room")
			}
		})
	}
}

// TestPublishTooLargeToRead: a local bag the accessor cannot read whole
// makes Publish refuse to grow it, and says how to shrink it.
func TestPublishTooLargeToRead(t *testing.T) {
	m, acc := serve(t, website(toolsim.Hook{}))
	tl := tooLarge{Accessor: acc, relation: "website:12"}
	p := httprelation.NewProvides(tl, "website")
	err := p.Publish(context.Background(), map[string]string{"services": "x"})
	require.ErrorIs(t, err, httprelation.ErrDataTooLarge)
	assert.ErrorContains(t, err, "Unpublish")
	assert.NotContains(t, m.Local("website:3"), "services", "nothing written")
	require.NoError(t, p.Unpublish(context.Background(), "services"))
}

// tooLarge answers UnitData for one relation with ErrDataTooLarge.
type tooLarge struct {
	httprelation.Accessor
	relation string
}

func (a tooLarge) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	if id == a.relation {
		return nil, fmt.Errorf("relation-get: %w", httprelation.ErrDataTooLarge)
	}
	return a.Accessor.UnitData(ctx, id, unit)
}
