package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// hugeStateUnits is the world of BenchmarkHookHugeState: its units, over
// one relation.
const hugeStateUnits = 8

// hugeState is a stored state that `http-relation services
// --incremental` loads before its reads: what state-get prints (store
// state, through a simulator fault, so that no model of that size is
// decoded by every tool call) or the state file's content (store file).
type hugeState struct {
	name    string
	store   string
	content func() []byte
	want    hugeOutcome
}

// hugeOutcome is what a hook must make of a hugeState.
type hugeOutcome int

const (
	// refused: the load fails, naming the limit, and the hook exits 1.
	refused hugeOutcome = iota
	// replaced: the view is refused before it is decoded, with one
	// warning; every unit is read and the view replaced.
	replaced
	// decoded: the view is decoded and its units, none of them listed,
	// dropped; every unit is read and the view replaced.
	decoded
)

// hugeStates are the cases of BenchmarkHookHugeState.
func hugeStates() []hugeState {
	const (
		stateCap = hooktools.MaxStateOutput
		fileCap  = statefile.MaxFileSize
	)
	// Keys under the cap take the bytes under it: the most memory a
	// store accepts. The file store keeps room for the view it saves.
	stateKeys := flagState(hooktools.MaxStateKeys, stateCap/hooktools.MaxStateKeys-20)
	fileKeys := flagState(statefile.MaxKeys-16, fileCap/statefile.MaxKeys-24)
	bigValues := flagState(stateCap/hooktools.MaxStateValueSize-1, hooktools.MaxStateValueSize)
	return []hugeState{
		{"state/view-one-15MiB-part", storeState, func() []byte { return stateJSON(viewParts(15<<20, 15<<20)) }, refused},
		{"state/view-in-16-parts-of-64KiB", storeState, func() []byte { return stateJSON(viewParts(1<<20, 64<<10)) }, replaced},
		{"state/view-at-its-limits", storeState, func() []byte { return stateJSON(viewAtItsLimits()) }, decoded},
		{"state/16MiB-of-keys", storeState, func() []byte { return manyKeys(16 << 20) }, refused},
		{"state/most-keys-under-the-cap", storeState, func() []byte { return stateJSON(stateKeys) }, decoded},
		{"state/64KiB-values-under-the-cap", storeState, func() []byte { return stateJSON(bigValues) }, decoded},
		{"file/view-one-15MiB-part", storeFile, func() []byte { return fileJSON(viewParts(15<<20, 15<<20)) }, refused},
		{"file/view-in-60KiB-parts-under-the-cap", storeFile, func() []byte { return fileJSON(viewParts(fileCap*7/8, 60<<10)) }, replaced},
		{"file/view-at-its-limits", storeFile, func() []byte { return fileJSON(viewAtItsLimits()) }, decoded},
		{"file/32MiB-of-keys", storeFile, func() []byte { return manyKeys(32 << 20) }, refused},
		{"file/most-keys-under-the-cap", storeFile, func() []byte { return fileJSON(fileKeys) }, decoded},
	}
}

// viewParts is a stored view of about size bytes of valid unit lines,
// cut into values of partSize bytes under the view's own keys: what a
// view kept by this library never is, as it keeps at most 5000 units in
// 512 KiB, in values of 60 KiB.
func viewParts(size, partSize int) map[string]string {
	var b strings.Builder
	b.Grow(size + 64)
	fmt.Fprintf(&b, "httprelation-view 1 %d kept\n", time.Now().Unix())
	for u := 0; b.Len() < size; u++ {
		fmt.Fprintf(&b, "1 %s/%d 10.%d.%d.%d,8080\n", appName(0), u, 2+u>>16&255, u>>8&255, u&255)
	}
	return cutView(b.String(), partSize)
}

// viewAtItsLimits is the stored view that costs most to decode and is
// still decoded: as many hosts as MaxViewBytes holds, of the shortest
// form, 257 to a unit (what one bag can give), in values of 60 KiB. Its
// units are not the world's, so the hook drops them once decoded and
// reads the world's.
func viewAtItsLimits() map[string]string {
	const partSize = 60 << 10
	var b strings.Builder
	fmt.Fprintf(&b, "httprelation-view 1 %d kept\n", time.Now().Unix())
	hosts := strings.Repeat(" a,1", 257)
	for u := 0; ; u++ {
		line := fmt.Sprintf("1 gone/%d%s\n", u, hosts)
		if b.Len()+len(line) > httprelation.MaxViewBytes {
			break
		}
		b.WriteString(line)
	}
	return cutView(b.String(), partSize)
}

// cutView puts text under the view's keys in values of partSize bytes.
func cutView(text string, partSize int) map[string]string {
	parts := map[string]string{}
	for i := 0; text != ""; i++ {
		part := text[:min(len(text), partSize)]
		parts[fmt.Sprintf("view.%s.%d", endpoint, i)] = part
		text = text[len(part):]
	}
	return parts
}

// flagState is a state of n flags whose values are valueSize bytes.
func flagState(n, valueSize int) map[string]string {
	state := make(map[string]string, n)
	value := strings.Repeat("1", valueSize)
	for i := range n {
		state[fmt.Sprintf("flag.k%05d", i)] = value
	}
	return state
}

// stateJSON is state as Juju's state-get prints it.
func stateJSON(state map[string]string) []byte {
	out, err := json.Marshal(state)
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	return out
}

// fileJSON is state as statefile.File writes it.
func fileJSON(state map[string]string) []byte {
	out, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	return append(out, '\n')
}

// manyKeys is a JSON object of about size bytes of flags with one-byte
// values: the most keys, and so the most memory decoded, that a text of
// that size holds.
func manyKeys(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteByte('{')
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"flag.k%d":"1"`, i)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// startHugeState lays out hs: a world of hugeStateUnits units in one
// relation, without latency or call log, and its state where hs.store
// keeps it. It returns the simulator and the charm directory.
func startHugeState(tb testing.TB, hs hugeState) (*toolsim.Sim, string) {
	tb.Helper()
	m := world(hugeStateUnits, relationsFor(hugeStateUnits))
	m.LatencyMS = 0
	env := changedHook(tb)
	env["TOOLSIM_LOG"] = ""
	charmDir := tb.TempDir()
	if err := os.CopyFS(charmDir, os.DirFS(env["JUJU_CHARM_DIR"])); err != nil {
		tb.Fatal(err)
	}
	env["JUJU_CHARM_DIR"] = charmDir
	switch hs.store {
	case storeState:
		m.Faults = map[string]toolsim.Fault{"state-get": {Stdout: string(hs.content()) + "\n"}}
	case storeFile:
		path := statefile.InCharmDir(charmDir).Path()
		if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, hs.content(), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return toolsim.Start(tb, m, env), charmDir
}

// runHugeState runs `http-relation services --incremental` once in sim,
// checks its outcome against hs and returns its peak RSS in KiB.
func runHugeState(tb testing.TB, sim *toolsim.Sim, charmDir string, hs hugeState) int64 {
	tb.Helper()
	cmd := exec.CommandContext(context.Background(), builds.binary(tb, httpRelationPkg),
		"services", "--incremental", "--store", hs.store, endpoint)
	cmd.Env = sim.Environ()
	var hwm int64
	r, err := runProcessPolled(cmd, &hwm)
	switch {
	case hs.want == refused && err == nil:
		err = errors.New("the load succeeded; want it refused, naming the limit")
	case hs.want == refused:
		if msg := err.Error(); strings.Contains(msg, "exit status 1") && strings.Contains(msg, "too large") &&
			strings.Contains(msg, "Max") {
			err = nil
		}
	case err == nil:
		err = checkHugeState(sim, charmDir, r, hs)
	}
	if err != nil {
		tb.Fatalf("%s: %.400s", hs.name, err)
	}
	if hwm == 0 {
		tb.Fatal("no peak RSS read from /proc for the hook process")
	}
	return hwm
}

// checkHugeState verifies a hook that ran to its end: it printed every
// unit of the world, warned about the stored view only when it was
// refused, and left a view of its own, a small one, in place of what was
// stored.
func checkHugeState(sim *toolsim.Sim, charmDir string, r run, hs hugeState) error {
	if err := checkServicesJSON(r.stdout, hugeStateUnits); err != nil {
		return err
	}
	warned := strings.Count(string(r.stderr), "stored view unusable")
	if want := map[hugeOutcome]int{replaced: 1, decoded: 0}[hs.want]; warned != want {
		return fmt.Errorf("%d warnings about the stored view, want %d: %.400s", warned, want, r.stderr)
	}
	state, err := storedState(sim, charmDir, hs.store)
	if err != nil {
		return err
	}
	size := 0
	for k, v := range state {
		if strings.HasPrefix(k, "view.") {
			size += len(v)
		}
	}
	if view := state["view."+endpoint+".0"]; !strings.Contains(view, " kept\n") || size > 4<<10 {
		return fmt.Errorf("stored view not replaced: %d bytes, starting %.60q", size, view)
	}
	return nil
}

// BenchmarkHookHugeState runs `http-relation services --incremental`
// over a stored state that this library never writes, in both stores:
// a view of one 15 MiB value, a view in many values under the store's
// cap, a state of many MiB of keys, and the most keys and the largest
// values under the cap. A load past the cap must fail, naming it; a view
// that the store loads but this library did not write must be refused
// before it is decoded, the units read in full and the view replaced.
// It reports the hook process's peak RSS (MiB-rss) and fails when it
// reaches 64 MiB.
func BenchmarkHookHugeState(b *testing.B) {
	for _, hs := range hugeStates() {
		b.Run(hs.name, func(b *testing.B) {
			var peak int64
			start := time.Now()
			for range b.N {
				sim, charmDir := startHugeState(b, hs)
				peak = max(peak, runHugeState(b, sim, charmDir, hs))
			}
			b.ReportMetric(float64(time.Since(start))/float64(time.Millisecond)/float64(b.N), "ms/hook")
			b.ReportMetric(float64(peak)/1024, "MiB-rss")
			if peak >= maxServicesRSS {
				b.Fatalf("peak RSS %d KiB, want under %d KiB", peak, maxServicesRSS)
			}
		})
	}
}
