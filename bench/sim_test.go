package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/charmkit/httprelation/toolsim"
)

// BenchmarkToolsimCall is one relation-get answered by the simulator
// in-process, without its latency or a process start: the CPU that every
// simulated tool call costs on top of them, which bounds how fast a hook
// can go on a machine with few cores.
func BenchmarkToolsimCall(b *testing.B) {
	for _, n := range unitCounts {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			m := world(n, relationsFor(n))
			m.LatencyMS = 0
			sim := toolsim.Start(b, m, changedHook(b))
			env := map[string]string{}
			for _, kv := range sim.Environ() {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			args := []string{"--format=json", "-r", relationID(0), "-", appName(0) + "/0"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if code, _ := toolsim.RunTool("relation-get", args, func(k string) string { return env[k] }, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("relation-get exited %d", code)
				}
			}
		})
	}
}

// BenchmarkAccessorServices is the work of `http-relation services`
// without its process: Requires.Services over hooktools' accessor whose
// tools are simulator processes, run inside the benchmark so that
// -cpuprofile and -memprofile see the hook side (process spawning, output
// decoding, the library). Latency is as in the hook benchmarks.
func BenchmarkAccessorServices(b *testing.B) {
	for _, n := range unitCounts {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			sim := toolsim.Start(b, world(n, relationsFor(n)), changedHook(b))
			environ := sim.Environ()
			env := hooktools.EnvFrom(func(k string) (string, bool) {
				for _, kv := range slices.Backward(environ) {
					if key, v, ok := strings.Cut(kv, "="); ok && key == k {
						return v, true
					}
				}
				return "", false
			})
			ctx := testcompat.Context(b)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				unit, err := hooktools.NewUnit(hooktools.WithRunner(hooktools.ExecRunner{Env: environ}), hooktools.WithEnv(env))
				if err != nil {
					b.Fatal(err)
				}
				services, err := httprelation.NewRequires(unit.Accessor, endpoint).Services(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if got, want := len(services), relationsFor(n); got != want {
					b.Fatalf("got %d services, want %d", got, want)
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/hook")
		})
	}
}
