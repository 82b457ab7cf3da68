package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/toolsim"
)

// maxServicesRSS is the peak RSS allowed to
// `http-relation services`, whatever the remote units publish: 64 MiB,
// in KiB.
const maxServicesRSS = 64 << 10

// bigBagWorld is a world whose every relation-get answers the same huge
// bag, through a simulator fault, so that no model of that size is
// written.
type bigBagWorld struct {
	name  string
	units int
	fault toolsim.Fault
	// skipped tells whether the bags are over a cap: every unit is then
	// skipped with one warning, else every unit is read.
	skipped bool
}

// bigBagWorlds are the worlds of BenchmarkHookBigBags.
func bigBagWorlds() []bigBagWorld {
	return []bigBagWorld{
		{"50x10MiB", 50, paddedBag(10 << 20), true},
		{"1000xcap-1", 1000, paddedBag(httprelation.MaxBagBytes - 1), false},
		{"1000xMaxBagKeys", 1000, manyKeysBag(httprelation.MaxBagKeys, httprelation.MaxBagBytes-1), false},
		{"1000x100k-keys", 1000, manyKeysBag(100_000, httprelation.MaxBagBytes-1), true},
		{"1000xbig-key-not-a-string", 1000, bigKeyBag(httprelation.MaxBagBytes - 1), false},
	}
}

// bigKeyBag is a bag of size bytes whose last key, nearly all of it, holds
// a number: the value is left out with a warning naming the key, which
// warnings must not keep whole (200 units of such bags took the command
// to 447 MB and 210 MB of stderr).
func bigKeyBag(size int) toolsim.Fault {
	head, tail := bagHead+`,"`, `":1}`
	return toolsim.Fault{Stdout: head, Fill: size - len(head) - len(tail), StdoutEnd: tail}
}

// bagHead starts every bag: its host is 10.9.0.1:8080.
const bagHead = `{"port":"8080","private-address":"10.9.0.1"`

// paddedBag is a bag of size bytes in all, padded by a key "big".
func paddedBag(size int) toolsim.Fault {
	head, tail := bagHead+`,"big":"`, `"}`
	return toolsim.Fault{Stdout: head, Fill: size - len(head) - len(tail), StdoutEnd: tail}
}

// manyKeysBag is a bag of keys members in all, of about size bytes:
// what costs most memory decoded for its size.
func manyKeysBag(keys, size int) toolsim.Fault {
	var b strings.Builder
	b.WriteString(bagHead)
	extra := keys - 2
	value := strings.Repeat("x", max(0, (size-len(bagHead))/extra-len(`,"k000000":""`)))
	for i := range extra {
		fmt.Fprintf(&b, `,"k%06d":"%s"`, i, value)
	}
	b.WriteString("}")
	return toolsim.Fault{Stdout: b.String()}
}

// startBigBags lays out w, without latency and without a call log (which
// would hold every bag).
func startBigBags(tb testing.TB, w bigBagWorld) *toolsim.Sim {
	tb.Helper()
	m := world(w.units, relationsFor(w.units))
	m.LatencyMS = 0
	m.Faults = map[string]toolsim.Fault{"relation-get": w.fault}
	env := changedHook(tb)
	env["TOOLSIM_LOG"] = ""
	return toolsim.Start(tb, m, env)
}

// runBigBags runs `http-relation services` in sim, checks its answer for
// w and returns its peak RSS in KiB.
func runBigBags(tb testing.TB, ctx context.Context, sim *toolsim.Sim, w bigBagWorld) int64 {
	tb.Helper()
	cmd := exec.CommandContext(ctx, builds.binary(tb, httpRelationPkg), "services", endpoint)
	cmd.Env = sim.Environ()
	var hwm int64
	r, err := runProcessPolled(cmd, &hwm)
	if err == nil {
		err = checkBigBags(r.stdout, w)
	}
	if err != nil {
		tb.Fatalf("%s: %v", w.name, err)
	}
	if hwm == 0 {
		tb.Fatal("no peak RSS read from /proc for the hook process")
	}
	return hwm
}

// checkBigBags verifies the services printed for w: none when every bag
// is too large, else one host per remote application.
func checkBigBags(out []byte, w bigBagWorld) error {
	var services []httprelation.Service
	if err := json.Unmarshal(out, &services); err != nil {
		return fmt.Errorf("services output: %w", err)
	}
	want := relationsFor(w.units)
	if w.skipped {
		want = 0
	}
	if len(services) != want {
		return fmt.Errorf("got %d services, want %d", len(services), want)
	}
	for _, s := range services {
		if len(s.Hosts) != 1 || s.Hosts[0].Addr() != "10.9.0.1:8080" {
			return fmt.Errorf("service %s: hosts %v, want 10.9.0.1:8080 alone", s.Name, s.Hosts)
		}
	}
	return nil
}

// BenchmarkHookBigBags runs `http-relation services` where every remote
// unit publishes a huge bag: 50 units of 10 MiB,
// skipped; 1000 units just under httprelation.MaxBagBytes, all read, with
// one big value, with httprelation.MaxBagKeys keys or with one big key
// whose value is a number (a warning each); and 1000 units of 100,000
// keys, skipped.
// It reports the hook process's peak RSS (MiB-rss, VmHWM polled from
// /proc, the largest over the runs) and fails when it reaches 64 MiB.
func BenchmarkHookBigBags(b *testing.B) {
	for _, w := range bigBagWorlds() {
		b.Run(w.name, func(b *testing.B) {
			sim := startBigBags(b, w)
			ctx := context.Background()
			var peak int64
			start := time.Now()
			for range b.N {
				peak = max(peak, runBigBags(b, ctx, sim, w))
			}
			b.ReportMetric(float64(time.Since(start))/float64(time.Millisecond)/float64(b.N), "ms/hook")
			b.ReportMetric(float64(peak)/1024, "MiB-rss")
			if peak >= maxServicesRSS {
				b.Fatalf("peak RSS %d KiB, want under %d KiB", peak, maxServicesRSS)
			}
		})
	}
}
