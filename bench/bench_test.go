package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/charmkit/httprelation/toolsim"
)

// unitCounts are the numbers of remote units every process benchmark
// runs at. Select fewer with -bench, e.g. -bench '/N=(1|10|100)$'.
var unitCounts = []int{1, 10, 100, 1000}

// hookCase is one hook process to measure.
type hookCase struct {
	// command prepares the hook process in sim.
	command func(ctx context.Context, sim *toolsim.Sim) *exec.Cmd
	// prepare, when set, adapts the world and the hook environment.
	prepare func(m *toolsim.Model, env map[string]string)
	// check verifies a run in a world of n units.
	check func(sim *toolsim.Sim, r run, n int) error
	// wantCalls is how many calls of each tool one hook makes in a
	// world of n units.
	wantCalls func(n int) map[string]int
	// reset, when set, undoes what a hook stored that would make the
	// next one take a shorter path; it runs with the timer stopped.
	reset func(sim *toolsim.Sim) error
}

// BenchmarkHookServices runs `http-relation services reverseproxy` as a
// reverseproxy-relation-changed hook, with every tool call answered by a
// simulator process after latencyMS. See benchHook for what it reports.
func BenchmarkHookServices(b *testing.B) {
	benchHook(b, servicesHook(b))
}

// BenchmarkHookReverseProxy runs the reverseproxy example charm's
// reverseproxy-relation-changed hook. See reverseProxyHook and benchHook.
func BenchmarkHookReverseProxy(b *testing.B) {
	benchHook(b, reverseProxyHook(b))
}

// servicesHook is `http-relation services reverseproxy`.
func servicesHook(tb testing.TB) hookCase {
	bin := builds.binary(tb, httpRelationPkg)
	return hookCase{
		command: func(ctx context.Context, sim *toolsim.Sim) *exec.Cmd {
			cmd := exec.CommandContext(ctx, bin, "services", endpoint)
			cmd.Env = sim.Environ()
			return cmd
		},
		check: func(_ *toolsim.Sim, r run, n int) error { return checkServicesJSON(r.stdout, n) },
		wantCalls: func(n int) map[string]int {
			return map[string]int{"relation-ids": 1, "relation-list": relationsFor(n), "relation-get": n}
		},
	}
}

// reverseProxyHook is the reverseproxy example charm in its
// reverseproxy-relation-changed hook: config-get, Services, state-get,
// rendering, haproxy -c when haproxy is installed, juju-log, status-set
// and state-set. The stored change-detector state is cleared before every
// run, so that every run renders and installs the configuration, as a
// hook does when a backend changed.
func reverseProxyHook(tb testing.TB) hookCase {
	bin := builds.binary(tb, reverseProxyPkg)
	charmDir := tb.TempDir()
	for _, name := range []string{"metadata.yaml", "config.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "examples", "reverseproxy", name))
		if err == nil {
			err = os.WriteFile(filepath.Join(charmDir, name), data, 0o644)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	cfgPath := filepath.Join(tb.TempDir(), "haproxy.cfg")
	// The hook finds only the tools and haproxy on its PATH: on a machine
	// run by systemd it would otherwise reload the real haproxy.
	progDir := tb.TempDir()
	haproxy, err := exec.LookPath("haproxy")
	if err == nil {
		err = os.Symlink(haproxy, filepath.Join(progDir, "haproxy"))
	} else {
		haproxy, err = "", nil // the hook installs the file unchecked and says so
	}
	if err != nil {
		tb.Fatal(err)
	}
	return hookCase{
		command: func(ctx context.Context, sim *toolsim.Sim) *exec.Cmd {
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(sim.Environ(), "PATH="+sim.Dir+string(os.PathListSeparator)+progDir)
			return cmd
		},
		prepare: func(m *toolsim.Model, env map[string]string) {
			m.Config = map[string]any{"frontend-port": json.Number("8080"), "bind-address": "127.0.0.1", "haproxy-config": cfgPath}
			env["JUJU_CHARM_DIR"] = charmDir
		},
		check: func(sim *toolsim.Sim, _ run, n int) error { return checkReverseProxy(sim, cfgPath, n) },
		wantCalls: func(n int) map[string]int {
			logs := 1 // "no service manager: wrote ..."
			if haproxy == "" {
				logs++ // "haproxy is not on PATH"
			}
			return map[string]int{
				"config-get": 1, "relation-ids": 1, "relation-list": relationsFor(n), "relation-get": n,
				"state-get": 1, "juju-log": logs, "status-set": 1, "state-set": 1,
				"opened-ports": 1, "open-port": 1,
			}
		},
		reset: func(sim *toolsim.Sim) error {
			m, err := sim.Model()
			if err != nil {
				return err
			}
			m.State, m.Log, m.Status, m.OpenedPorts = map[string]string{}, nil, nil, nil
			return m.WriteFile(sim.ModelPath)
		},
	}
}

// setUp lays out a world of n units for h, runs the hook once untimed,
// checks what it did, and returns the simulator, the hook's calls and the
// peak RSS of the hook process itself in KiB.
func setUp(tb testing.TB, h hookCase, n int, latency int) (*toolsim.Sim, []calllog.Call, int64) {
	tb.Helper()
	m, env := world(n, relationsFor(n)), changedHook(tb)
	m.LatencyMS = latency
	if h.prepare != nil {
		h.prepare(m, env)
	}
	sim := toolsim.Start(tb, m, env)
	var selfHWM int64
	r, err := runProcessPolled(h.command(testcompat.Context(tb), sim), &selfHWM)
	if err == nil {
		err = h.check(sim, r, n)
	}
	if err == nil && h.reset != nil {
		err = h.reset(sim)
	}
	if err != nil {
		tb.Fatal(err)
	}
	calls := readCalls(tb, sim)
	if got, want := countCalls(calls), h.wantCalls(n); !maps.Equal(got, want) {
		tb.Fatalf("hook made calls %v, want %v", got, want)
	}
	if selfHWM == 0 {
		tb.Fatal("no peak RSS read from /proc for the hook process")
	}
	return sim, calls, selfHWM
}

// benchHook runs h at every unit count. Each N has two sub-benchmarks:
// run=floor replays the tool calls of one hook one after another, each as
// its own simulator process, and run=hook runs the hook; compare them with
// benchstat -col /run. Both report wall time (ms/hook), tool calls
// (calls/hook) and CPU time of the processes they start, descendants
// included (cpu-ms/hook). run=hook adds the peak RSS of the hook process
// alone, polled from /proc during the untimed first run (MiB-rss; see run
// for why not wait4's), and the ratio of its wall time to the floor
// measured just before it (floor-ratio).
func benchHook(b *testing.B, h hookCase) {
	for _, n := range unitCounts {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			ctx := testcompat.Context(b)
			sim, calls, selfHWM := setUp(b, h, n, latencyMS)
			var floor time.Duration
			b.Run("run=floor", func(b *testing.B) {
				var cpu time.Duration
				b.ResetTimer()
				for range b.N {
					r, err := replay(ctx, sim, calls)
					if err != nil {
						b.Fatal(err)
					}
					cpu += r.cpu
				}
				floor = b.Elapsed() / time.Duration(b.N)
				report(b, floor, len(calls)*b.N, cpu)
			})
			b.Run("run=hook", func(b *testing.B) {
				before := len(readCalls(b, sim))
				var cpu time.Duration
				b.ResetTimer()
				for range b.N {
					if h.reset != nil {
						b.StopTimer()
						if err := h.reset(sim); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					r, err := runProcess(h.command(ctx, sim))
					if err != nil {
						b.Fatal(err)
					}
					cpu += r.cpu
				}
				wall := b.Elapsed() / time.Duration(b.N)
				report(b, wall, len(readCalls(b, sim))-before, cpu)
				b.ReportMetric(float64(selfHWM)/1024, "MiB-rss")
				if floor > 0 {
					b.ReportMetric(wall.Seconds()/floor.Seconds(), "floor-ratio")
				}
			})
		})
	}
}

// report adds the per-hook metrics: wall is per hook, calls and cpu are
// totals over b.N hooks.
func report(b *testing.B, wall time.Duration, calls int, cpu time.Duration) {
	b.ReportMetric(float64(wall)/float64(time.Millisecond), "ms/hook")
	b.ReportMetric(float64(calls)/float64(b.N), "calls/hook")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/hook")
}

func readCalls(tb testing.TB, sim *toolsim.Sim) []calllog.Call {
	tb.Helper()
	calls, err := calllog.Read(sim.LogPath)
	if err != nil {
		tb.Fatal(err)
	}
	return calls
}

// checkServicesJSON verifies that out is the services of world(n, _).
func checkServicesJSON(out []byte, n int) error {
	var services []httprelation.Service
	if err := json.Unmarshal(out, &services); err != nil {
		return fmt.Errorf("services output: %w", err)
	}
	hosts := 0
	for _, s := range services {
		hosts += len(s.Hosts)
	}
	if want := relationsFor(n); len(services) != want {
		return fmt.Errorf("got %d services, want %d", len(services), want)
	}
	if want := wantHosts(n); hosts != want {
		return fmt.Errorf("got %d hosts, want %d", hosts, want)
	}
	return nil
}

// checkReverseProxy verifies that the hook installed a configuration
// with one server line per host of world(n, _) and said so in its status.
func checkReverseProxy(sim *toolsim.Sim, cfgPath string, n int) error {
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	if got, want := bytes.Count(cfg, []byte("\n    server ")), wantHosts(n); got != want {
		return fmt.Errorf("%s has %d server lines, want %d", cfgPath, got, want)
	}
	m, err := sim.Model()
	if err != nil {
		return err
	}
	want := toolsim.Status{Status: "active", Message: fmt.Sprintf("%d services, %d hosts", relationsFor(n), wantHosts(n))}
	if m.Status == nil || *m.Status != want {
		return fmt.Errorf("status %+v, want %+v", m.Status, want)
	}
	return nil
}
