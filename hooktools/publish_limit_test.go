package hooktools

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// TestProcessPublishKeepsTheBagReadable fills a provider's bag, Juju's
// own keys included, as far as Publish allows, with values that JSON escaping makes six times longer,
// then runs the largest Configure there is on top, all through the
// simulated tools. The bag must still be one this package reads whole,
// so no requirer of ours drops the unit; one more byte of Publish must
// fail with ErrDataTooLarge and write nothing.
func TestProcessPublishKeepsTheBagReadable(t *testing.T) {
	tr := loadTranscript(t, "changed")
	sim, acc := startSim(t, transcriptModel(t, tr), tr.HookEnv)
	ctx := context.Background()
	p := httprelation.NewProvides(acc, "backends")

	// '<' is written \u003c by relation-get's JSON, as by Go's encoder.
	budget := publishBudget(t)
	escaped := strings.Repeat("<", 10<<10)
	data := map[string]string{}
	used := len("{}")
	cost := func(k string, valueBytes int) int { return len(`"`+k+`":"",`) + valueBytes }
	// Juju's own keys are in the bag already, and count (the same in both
	// relations of the transcript).
	local, err := acc.UnitData(ctx, "backends:4", "lb/0")
	require.NoError(t, err)
	for k, v := range local {
		require.NotContains(t, []string{"hostname", "port", "extended_data"}, k)
		if k != "private-address" {
			used += cost(k, len(v))
		}
	}
	for i := 0; budget-used > 2*6*len(escaped); i++ {
		k := fmt.Sprintf("k%d", i)
		data[k] = escaped
		used += cost(k, 6*len(escaped))
	}
	data["pad"] = strings.Repeat("x", budget-used-cost("pad", 0))
	used += cost("pad", len(data["pad"]))
	require.Equal(t, budget, used)
	require.NoError(t, p.Publish(ctx, data))

	// The most Configure writes: 257 hosts, extended_data near 64 KiB.
	names := make([]string, 257)
	for i := range names {
		names[i] = fmt.Sprintf("h%03d.%s.%s.%s.example", i, strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("c", 49))
	}
	require.NoError(t, p.Configure(ctx, 65535, httprelation.WithHostnames(names...)))

	for _, id := range []string{"backends:4", "backends:11"} {
		bag, err := newAccessor(ExecRunner{Env: sim.Environ()}, WithEnv(tr.env())).UnitData(ctx, id, "lb/0")
		require.NoError(t, err, "the bag is read whole")
		for k, v := range data {
			require.Equal(t, v, bag[k], k)
		}
		assert.Equal(t, names[0], bag["hostname"])
		assert.Greater(t, len(bag["extended_data"]), 60<<10)
	}

	before, err := sim.Model()
	require.NoError(t, err)
	err = p.Publish(ctx, map[string]string{"one-more": "x"})
	require.ErrorIs(t, err, httprelation.ErrDataTooLarge)
	assert.ErrorContains(t, err, "backends:4")
	assert.ErrorContains(t, err, "backends:11")
	after, err := sim.Model()
	require.NoError(t, err)
	assert.Equal(t, before.Relations, after.Relations, "nothing written")

	// Replacing a key with a shorter value and deleting need no room.
	require.NoError(t, p.Publish(ctx, map[string]string{"k0": "short"}))
	require.NoError(t, p.Unpublish(ctx, "k1"))
}

// publishBudget finds, through the public API only, how many bytes of
// published keys Publish accepts in one call: the largest n for which a
// single value of n-len(`{"k":"",}`) bytes is accepted (Publish counts a
// comma after every entry).
func publishBudget(t *testing.T) int {
	t.Helper()
	lo, hi := 0, httprelation.MaxBagBytes
	for lo < hi {
		mid := (lo + hi + 1) / 2
		p := httprelation.NewProvides(noRelations{}, "backends")
		if p.Publish(context.Background(), map[string]string{"k": strings.Repeat("x", mid)}) == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	require.Less(t, lo, httprelation.MaxBagBytes-64<<10, "room is left for Configure")
	return lo + len(`{"k":"",}`)
}

// noRelations is an accessor of a unit with no relations at all.
type noRelations struct{}

func (noRelations) HookContext(context.Context) (httprelation.HookContext, error) {
	return httprelation.HookContext{Unit: "lb/0"}, nil
}
func (noRelations) RelationIDs(context.Context, string) ([]string, error)   { return nil, nil }
func (noRelations) RelationUnits(context.Context, string) ([]string, error) { return nil, nil }
func (noRelations) RemoteApp(context.Context, string) (string, error)       { return "", nil }
func (noRelations) UnitData(context.Context, string, string) (map[string]string, error) {
	return nil, nil
}
func (noRelations) SetLocalData(context.Context, string, map[string]string) error { return nil }
func (noRelations) IngressAddress(context.Context, string) (string, error)        { return "", nil }
