package toolsim

import (
	"fmt"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkWriteAfterWrite measures a write tool's call on a large model
// when the call before it wrote too, so that no snapshot exists: state-set
// on a model whose relation has 1,000 remote units.
func BenchmarkWriteAfterWrite(b *testing.B) {
	m := baseModel(b)
	r := m.Relations["backends:4"]
	r.Units = maps.Clone(r.Units)
	for i := range 1000 {
		r.Units[fmt.Sprintf("shop/%d", 100+i)] = map[string]string{
			"hostname": fmt.Sprintf("shop-%d.internal", i), "port": "8080",
			"private-address": fmt.Sprintf("10.9.%d.%d", i/256, i%256),
		}
	}
	m.Relations["backends:4"] = r
	p := newInProc(b, m, nil)
	delete(p.env, "TOOLSIM_LOG") // the call alone, not the log it appends to
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := p.run(nil, "state-set", fmt.Sprintf("k=%d", i))
		require.Equal(b, 0, r.exit, r.stderr)
	}
}
