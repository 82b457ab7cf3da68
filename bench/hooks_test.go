package bench

import (
	"fmt"
	"testing"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHooks keeps the benchmarks honest in plain `go test`: each hook
// they time does its whole job in their worlds (checked by setUp, which
// also pins its tool calls), and the serial floor replays exactly the
// hook's calls. Latency is off, so it runs in a few seconds.
func TestHooks(t *testing.T) {
	hooks := map[string]func(testing.TB) hookCase{
		"services":     servicesHook,
		"reverseproxy": reverseProxyHook,
	}
	for name, newHook := range hooks {
		for _, n := range []int{1, 10} {
			t.Run(fmt.Sprintf("%s/N=%d", name, n), func(t *testing.T) {
				sim, calls, _ := setUp(t, newHook(t), n, 0)
				before := len(readCalls(t, sim))
				_, err := replay(testcompat.Context(t), sim, calls)
				require.NoError(t, err)
				replayed := readCalls(t, sim)[before:]
				require.Len(t, replayed, len(calls))
				for i, c := range replayed {
					assert.Equal(t, calls[i].Tool, c.Tool)
					assert.Equal(t, calls[i].Args, c.Args)
					assert.Equal(t, calls[i].Stdout, c.Stdout, "%s %q", c.Tool, c.Args)
				}
			})
		}
	}
}

// TestWorld checks the benchmark world's arithmetic that the checks rely
// on.
func TestWorld(t *testing.T) {
	for _, n := range []int{1, 4, 10, 11, 1000} {
		m := world(n, relationsFor(n))
		units, hosts := 0, 0
		for id, r := range m.Relations {
			assert.Regexp(t, `^reverseproxy:[1-4]$`, id)
			for _, bag := range r.Units {
				units++
				hosts++
				if bag["extended_data"] != "" {
					hosts++
				}
			}
		}
		assert.Len(t, m.Relations, min(n, 4), "N=%d", n)
		assert.Equal(t, n, units, "N=%d", n)
		assert.Equal(t, wantHosts(n), hosts, "N=%d", n)
	}
}
