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
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

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
			m := httprelationtest.New(t, model)
			before := snapshot(m)
			err := httprelation.NewProvides(m, "website").Publish(context.Background(), tt.data)
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
	m := httprelationtest.New(t, website(toolsim.Hook{}))
	acc := tooLarge{Model: m, relation: "website:12"}
	p := httprelation.NewProvides(acc, "website")
	err := p.Publish(context.Background(), map[string]string{"services": "x"})
	require.ErrorIs(t, err, httprelation.ErrDataTooLarge)
	assert.ErrorContains(t, err, "Unpublish")
	assert.NotContains(t, m.Local("website:3"), "services", "nothing written")
	require.NoError(t, p.Unpublish(context.Background(), "services"))
}

// tooLarge answers UnitData for one relation with ErrDataTooLarge.
type tooLarge struct {
	*httprelationtest.Model
	relation string
}

func (a tooLarge) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	if id == a.relation {
		return nil, fmt.Errorf("relation-get: %w", httprelation.ErrDataTooLarge)
	}
	return a.Model.UnitData(ctx, id, unit)
}
