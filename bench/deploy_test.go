package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// deployCounts are the deployment sizes. N=1000 is left out of CI's
// smoke run by its -bench '/N=(1|10|100)$'.
var deployCounts = []int{10, 100, 1000}

// deployRelation is the one relation the backends join: N units of one
// application, as `juju add-unit web -n N` makes them.
const deployRelation = endpoint + ":1"

// BenchmarkDeployment deploys N backends one by one: each joins (a
// reverseproxy-relation-joined hook, its bag holding only what Juju
// sets) and then publishes its port (reverseproxy-relation-changed). The
// proxy runs every hook as an `http-relation services` process under
// the simulator, 5 ms per tool call, reading in full (read=full) or
// through the incremental view kept in Juju's state (read=incremental)
// or in a file under the charm directory (read=incremental-file).
// At N=1000 the full read would take hours; read=full-counted counts its
// calls with the same library in memory and measures no time.
//
// Metrics: s/deploy is the wall time of the hooks alone (the model edits
// between hooks, and the simulator's snapshot of each new model, are not
// timed), calls/deploy and calls/hook the tool
// calls, max-calls/hook the most in one hook, cpu-ms/hook the CPU time of
// a hook process and its tools, view-KiB the stored view after the last
// hook, state-set-ms/hook the time of the hook's state-set call as the
// simulator logged it (it rewrites its whole model file on a write, so
// this grows with N; Juju's agent does not). ns/op is the hooks' time.
func BenchmarkDeployment(b *testing.B) {
	bin := builds.binary(b, httpRelationPkg)
	for _, n := range deployCounts {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			b.Run("read=incremental", func(b *testing.B) { benchDeploy(b, bin, n, storeState) })
			b.Run("read=incremental-file", func(b *testing.B) { benchDeploy(b, bin, n, storeFile) })
			if n < 1000 {
				b.Run("read=full", func(b *testing.B) { benchDeploy(b, bin, n, "") })
				return
			}
			b.Run("read=full-counted", func(b *testing.B) {
				calls := 0
				for range b.N {
					calls = fullDeployCalls(b, n)
				}
				b.ReportMetric(float64(calls), "calls/deploy")
				b.ReportMetric(float64(calls)/float64(2*n), "calls/hook")
			})
		})
	}
}

// deployStats sums the tool calls of a deployment's hooks.
type deployStats struct {
	hooks, calls, maxCalls int
	wall, cpu              time.Duration
	// stateSet is the time the simulator spent in state-set calls.
	stateSet time.Duration
}

// benchDeploy runs one deployment per iteration. store is where the
// incremental view is kept (--store), or "" for full reads.
func benchDeploy(b *testing.B, bin string, n int, store string) {
	incremental := store != ""
	args := []string{"services", endpoint}
	if incremental {
		args = []string{"services", "--incremental", "--store", store, endpoint}
	}
	var st deployStats
	var viewBytes int
	b.StopTimer()
	for range b.N {
		st = deployStats{}
		sim := toolsim.Start(b, deployModel(), nil)
		charmDir := b.TempDir() // the file store's home, with the metadata
		if err := os.CopyFS(charmDir, os.DirFS(changedHook(b)["JUJU_CHARM_DIR"])); err != nil {
			b.Fatal(err)
		}
		log := &callLog{path: sim.LogPath}
		var out []byte
		for u := range n {
			unit := fmt.Sprintf("%s/%d", appName(0), u)
			for _, step := range []struct {
				hook string
				bag  map[string]string
			}{{"joined", enteredBag(u)}, {"changed", backendBag(u)}} {
				editModel(b, sim, func(m *toolsim.Model) { m.Relations[deployRelation].Units[unit] = step.bag })
				env := deployHookEnv(b, step.hook, unit)
				env["JUJU_CHARM_DIR"] = charmDir
				sim.SetHookEnv(env)
				cmd := exec.CommandContext(context.Background(), bin, args...)
				cmd.Env = sim.Environ()
				// The clock runs inside the timer's window: StartTimer and
				// StopTimer read the runtime's memory statistics, which
				// stops the world, and that is not the hook's time.
				b.StartTimer()
				start := time.Now()
				r, err := runProcess(cmd)
				st.wall += time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				st.cpu += r.cpu
				out = r.stdout
				calls, stateSet := log.next(b)
				st.stateSet += stateSet
				total := 0
				for _, c := range calls {
					total += c
				}
				st.hooks++
				st.calls += total
				st.maxCalls = max(st.maxCalls, total)
				// state-get, relation-ids, 1 relation-list, 1 relation-get,
				// state-set: 4 + R with R = 1 (2 + R with the file store).
				if incremental && total > 5 {
					b.Fatalf("hook %s of %s made %d calls %v, more than 4 + R = 5", step.hook, unit, total, calls)
				}
			}
		}
		if err := checkDeployed(out, n); err != nil {
			b.Fatal(err)
		}
		if !incremental {
			if want := fullDeployCalls(b, n); st.calls != want {
				b.Fatalf("the deployment made %d calls, the in-memory count says %d", st.calls, want)
			}
			continue
		}
		stored, err := storedState(sim, charmDir, store)
		if err != nil {
			b.Fatal(err)
		}
		viewBytes = 0
		for k, v := range stored {
			if strings.HasPrefix(k, "view.") {
				viewBytes += len(k) + len(v)
			}
		}
		if viewBytes == 0 || viewBytes >= 256<<10 {
			b.Fatalf("stored view of %d units is %d bytes, want some, under 256 KiB", n, viewBytes)
		}
	}
	b.ReportMetric(st.wall.Seconds(), "s/deploy")
	b.ReportMetric(float64(st.calls), "calls/deploy")
	b.ReportMetric(float64(st.calls)/float64(st.hooks), "calls/hook")
	b.ReportMetric(float64(st.maxCalls), "max-calls/hook")
	b.ReportMetric(float64(st.cpu)/float64(time.Millisecond)/float64(st.hooks), "cpu-ms/hook")
	if incremental {
		b.ReportMetric(float64(viewBytes)/1024, "view-KiB")
	}
	if store == storeState {
		b.ReportMetric(float64(st.stateSet)/float64(time.Millisecond)/float64(st.hooks), "state-set-ms/hook")
	}
}

// storedState is what the hooks keep in store.
func storedState(sim *toolsim.Sim, charmDir, store string) (map[string]string, error) {
	if store == storeFile {
		return statefile.InCharmDir(charmDir).Load(context.Background())
	}
	m, err := sim.Model()
	if err != nil {
		return nil, err
	}
	return m.State, nil
}

// deployModel is haproxy/0 with one empty reverseproxy relation to the
// backends' application.
func deployModel() *toolsim.Model {
	m := world(0, 1)
	m.Relations[deployRelation] = toolsim.Relation{
		RemoteApp: appName(0), RemoteEndpoint: "website",
		Local: map[string]string{"private-address": "10.1.0.1", "ingress-address": "10.1.0.1"},
		Units: map[string]map[string]string{},
	}
	return m
}

// backendBag is the bag of backend u once it configured its port, as in
// world: every tenth also lists a virtual IP.
func backendBag(u int) map[string]string {
	bag := enteredBag(u)
	bag["port"] = "8080"
	if u%10 == 0 {
		bag["extended_data"] = fmt.Sprintf(`[{"hostname":"10.200.%d.%d","private-address":"10.200.%d.%d","port":80}]`,
			u>>8&255, u&255, u>>8&255, u&255)
	}
	return bag
}

// enteredBag is what Juju sets in backend u's bag when it joins.
func enteredBag(u int) map[string]string {
	addr := fmt.Sprintf("10.%d.%d.%d", 2+u>>16&255, u>>8&255, u&255)
	return map[string]string{"private-address": addr, "ingress-address": addr, "egress-subnets": addr + "/32"}
}

func deployHookEnv(tb testing.TB, hook, unit string) map[string]string {
	env := changedHook(tb)
	env["JUJU_HOOK_NAME"] = endpoint + "-relation-" + hook
	env["JUJU_RELATION_ID"] = deployRelation
	env["JUJU_REMOTE_UNIT"] = unit
	env["JUJU_REMOTE_APP"] = appName(0)
	return env
}

// editModel changes the model between hooks, as the remote side does,
// and has the simulator take its snapshot of the new model (see the
// toolsim package's cache): that is the simulator's cost of the remote
// change, O(N), which Juju's agent does not pay per hook. Left to the
// hook, its first concurrent calls would each decode the whole model.
func editModel(tb testing.TB, sim *toolsim.Sim, change func(m *toolsim.Model)) {
	m, err := sim.Model()
	if err != nil {
		tb.Fatal(err)
	}
	change(m)
	if err := m.WriteFile(sim.ModelPath); err != nil {
		tb.Fatal(err)
	}
	env := map[string]string{"TOOLSIM_MODEL": sim.ModelPath, "TOOLSIM_LATENCY_MS": "0", "JUJU_UNIT_NAME": m.Unit}
	var stderr strings.Builder
	// In process and without TOOLSIM_LOG: no latency, no logged call.
	if code, _ := toolsim.RunTool("relation-ids", []string{"--format=json", endpoint}, func(k string) string { return env[k] },
		nil, io.Discard, &stderr); code != 0 {
		tb.Fatalf("relation-ids after the edit: exit %d: %s", code, stderr.String())
	}
}

// checkDeployed verifies the last hook's output: n backends of one
// application, n + ceil(n/10) hosts.
func checkDeployed(out []byte, n int) error {
	var services []httprelation.Service
	if err := json.Unmarshal(out, &services); err != nil {
		return fmt.Errorf("services output: %w", err)
	}
	if len(services) != 1 || len(services[0].Hosts) != wantHosts(n) {
		return fmt.Errorf("got %s, want one service with %d hosts", out, wantHosts(n))
	}
	return nil
}

// fullDeployCalls counts the tool calls of the deployment's hooks read
// in full, with the library over the in-process model: relation-ids,
// relation-list and relation-get calls, which are all a full read makes.
func fullDeployCalls(tb testing.TB, n int) int {
	m := httprelationtest.New(tb, deployModel())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	calls := 0
	for u := range n {
		unit := fmt.Sprintf("%s/%d", appName(0), u)
		for _, step := range []struct {
			hook string
			bag  map[string]string
		}{{"joined", enteredBag(u)}, {"changed", backendBag(u)}} {
			err := m.SetUnitData(deployRelation, unit, step.bag)
			if err == nil {
				err = m.SetHook(toolsim.Hook{Name: endpoint + "-relation-" + step.hook, RelationID: deployRelation, RemoteUnit: unit})
			}
			m.ResetCalls()
			if err == nil {
				_, err = httprelation.NewRequires(m.Unit().Accessor, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
			}
			if err != nil {
				tb.Fatal(err)
			}
			calls += m.CallCount("relation-ids") + m.CallCount("relation-list") + m.CallCount("relation-get")
		}
	}
	return calls
}

// callLog reads the simulator's call log from where it last stopped, so
// that counting one hook's calls costs that hook's lines only.
type callLog struct {
	path string
	off  int64
}

// next also returns how long the state-set calls took, latency
// included, as the simulator logged them.
func (l *callLog) next(tb testing.TB) (map[string]int, time.Duration) {
	f, err := os.Open(l.path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(l.off, io.SeekStart); err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	l.off += int64(len(data))
	calls := map[string]int{}
	var stateSet time.Duration
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var c struct {
			Tool  string `json:"tool"`
			DurNS int64  `json:"dur_ns"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			tb.Fatal(err)
		}
		calls[c.Tool]++
		if c.Tool == "state-set" {
			stateSet += time.Duration(c.DurNS)
		}
	}
	return calls, stateSet
}
