package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/toolsim"
)

// The binaries under test, built once per test process with go build.
const (
	httpRelationPkg = "github.com/charmkit/httprelation/cmd/http-relation"
	reverseProxyPkg = "github.com/charmkit/httprelation/examples/reverseproxy"
)

// endpoint is the requires endpoint of the benchmark charm.
const endpoint = "reverseproxy"

// Where `http-relation services --incremental` keeps its view (--store).
const (
	storeState = "state"
	storeFile  = "file"
)

// latencyMS is the simulated agent round trip of every tool call.
const latencyMS = 5

// builds is set up by TestMain before any test runs.
var builds *builder

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "httprelation-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	builds = newBuilder(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// builder compiles each package at most once per test process, on first
// use, for every test and benchmark that runs it.
type builder struct {
	dir  string
	mu   sync.Mutex
	once map[string]func() (string, error)
}

func newBuilder(dir string) *builder {
	return &builder{dir: dir, once: map[string]func() (string, error){}}
}

// binary returns the path of pkg's binary, building it on first use.
func (bl *builder) binary(tb testing.TB, pkg string) string {
	tb.Helper()
	bl.mu.Lock()
	build, ok := bl.once[pkg]
	if !ok {
		build = sync.OnceValues(func() (string, error) {
			out := filepath.Join(bl.dir, filepath.Base(pkg))
			// As the example charms' charmcraft.yaml builds a hook
			// binary: static, so the hook pays no dynamic loader.
			cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("go build %s: %w: %s", pkg, err, bytes.TrimSpace(msg))
			}
			return out, nil
		})
		bl.once[pkg] = build
	}
	bl.mu.Unlock()
	bin, err := build()
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// relationsFor spreads n units over up to four relations, one remote
// application each, as a load balancer in front of a few sites sees it.
func relationsFor(n int) int { return min(n, 4) }

// world is a load balancer unit haproxy/0 with n remote units spread
// round-robin over the given number of reverseproxy relations. Every
// unit serves on 8080; every tenth also lists a virtual IP in
// extended_data, so a world offers n + ceil(n/10) hosts.
func world(n, relations int) *toolsim.Model {
	m := &toolsim.Model{
		Unit: "haproxy/0", Leader: true, LatencyMS: latencyMS,
		Config:         map[string]any{},
		PrivateAddress: "10.1.0.1", PublicAddress: "203.0.113.1",
		Relations: map[string]toolsim.Relation{},
		Networks:  map[string]toolsim.Network{endpoint: {IngressAddresses: []string{"10.1.0.1"}}},
		State:     map[string]string{},
	}
	for r := range relations {
		m.Relations[relationID(r)] = toolsim.Relation{
			RemoteApp: appName(r), RemoteEndpoint: "website",
			Local: map[string]string{"private-address": "10.1.0.1", "ingress-address": "10.1.0.1"},
			Units: map[string]map[string]string{},
		}
	}
	for u := range n {
		r := u % relations
		addr := fmt.Sprintf("10.%d.%d.%d", 2+u>>16&255, u>>8&255, u&255)
		bag := map[string]string{
			"private-address": addr,
			"ingress-address": addr,
			"egress-subnets":  addr + "/32",
			"port":            "8080",
		}
		if u%10 == 0 {
			bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.200.%d.%d","private-address":"10.200.%d.%d","port":80}]`,
				u>>8&255, u&255, u>>8&255, u&255)
		}
		m.Relations[relationID(r)].Units[fmt.Sprintf("%s/%d", appName(r), u)] = bag
	}
	return m
}

func relationID(r int) string { return fmt.Sprintf("%s:%d", endpoint, r+1) }

// appName names the application of relation r with letters only after
// the hyphen, as Juju requires ("site-0" is not an application name).
func appName(r int) string { return fmt.Sprintf("site-%c", 'a'+r) }

// wantHosts is how many hosts world(n, _) offers.
func wantHosts(n int) int { return n + (n+9)/10 }

// changedHook is the hook environment of reverseproxy-relation-changed
// on the first relation, as site-0/0 changed its data.
func changedHook(tb testing.TB) map[string]string {
	charmDir, err := filepath.Abs(filepath.Join("testdata", "haproxy"))
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]string{
		"JUJU_UNIT_NAME":   "haproxy/0",
		"JUJU_CHARM_DIR":   charmDir,
		"JUJU_HOOK_NAME":   endpoint + "-relation-changed",
		"JUJU_RELATION":    endpoint,
		"JUJU_RELATION_ID": relationID(0),
		"JUJU_REMOTE_UNIT": appName(0) + "/0",
		"JUJU_REMOTE_APP":  appName(0),
		"JUJU_MODEL_NAME":  "bench",
		"JUJU_VERSION":     "3.5.4",
	}
}

// run is one finished process: what it printed and what it cost.
//
// It keeps no peak RSS from wait4: Linux's ru_maxrss of a child is the
// largest of its own peak, its descendants' and the RSS of the process
// that started it, because os/exec starts children with
// clone(CLONE_VM|CLONE_VFORK) and exec records the shared memory's
// high-water mark. Here that is the benchmark process itself, which
// holds the call logs; see runProcessPolled instead.
type run struct {
	stdout, stderr []byte
	// cpu is user plus system time, descendants included.
	cpu time.Duration
}

// runProcess runs cmd to completion, failing with its stderr.
func runProcess(cmd *exec.Cmd) (run, error) {
	return runProcessPolled(cmd, nil)
}

// runProcessPolled is runProcess that also keeps *selfHWM at the peak RSS
// (VmHWM, KiB) of the process itself, without its children, as last read
// from /proc while it ran; nil skips that. Reads stop once the process
// exits, so a peak in its last few hundred microseconds can be missed.
func runProcessPolled(cmd *exec.Cmd, selfHWM *int64) (run, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Start()
	if err == nil && selfHWM != nil {
		done := make(chan struct{})
		polled := make(chan struct{})
		go func() {
			defer close(polled)
			status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
			tick := time.NewTicker(200 * time.Microsecond)
			defer tick.Stop()
			for {
				if kib, ok := readHWM(status); ok {
					*selfHWM = max(*selfHWM, kib)
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
		err = cmd.Wait()
		close(done)
		<-polled
	} else if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return run{}, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return run{stdout: stdout.Bytes(), stderr: stderr.Bytes(), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}

// replay runs calls one after another, each as its own simulated tool
// process: the serial floor of a hook that made those calls. Every call
// must end as it did in the hook.
func replay(ctx context.Context, sim *toolsim.Sim, calls []calllog.Call) (run, error) {
	var total run
	for _, c := range calls {
		cmd := exec.CommandContext(ctx, filepath.Join(sim.Dir, c.Tool), c.Args...)
		cmd.Env = sim.Environ()
		if c.Stdin != nil {
			cmd.Stdin = strings.NewReader(*c.Stdin)
		}
		r, err := runProcess(cmd)
		var exitErr *exec.ExitError
		switch {
		case errors.As(err, &exitErr) && exitErr.ExitCode() == c.Exit:
		case err != nil:
			return run{}, err
		case c.Exit != 0:
			return run{}, fmt.Errorf("%s %q: exit 0, the hook saw %d", c.Tool, c.Args, c.Exit)
		}
		total.cpu += r.cpu
	}
	return total, nil
}

// countCalls counts the calls in the simulator's log by tool.
func countCalls(calls []calllog.Call) map[string]int {
	count := map[string]int{}
	for _, c := range calls {
		count[c.Tool]++
	}
	return count
}

// readHWM reads VmHWM, in KiB, from a /proc/PID/status file.
func readHWM(status string) (int64, bool) {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib, err == nil
		}
	}
	return 0, false
}
