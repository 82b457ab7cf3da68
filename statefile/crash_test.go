//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmkit/httprelation/statefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashChildEnv, set to a state file's path, turns the test binary into a
// child that saves flags to that file until it is killed.
const crashChildEnv = "HTTPRELATION_FLAGCRASH_CHILD"

// A crash state has crashKeysMin..2*crashKeysMin-1 keys, the count
// depending on its generation, each value "<generation>:<padding>" (25 to
// 50 KB in all, many pages): a torn or mixed file shows as keys of
// different generations or a wrong key count.
const (
	crashKeysMin = 50
	crashPadding = 512
)

func crashState(gen int) map[string]string {
	changes := make(map[string]string, 2*crashKeysMin)
	n := crashKeysMin + gen%crashKeysMin
	pad := strings.Repeat(string(rune('a'+gen%26)), crashPadding)
	for k := range 2 * crashKeysMin {
		key := fmt.Sprintf("flag.crash.k%03d", k)
		if k < n {
			changes[key] = strconv.Itoa(gen) + ":" + pad
		} else {
			changes[key] = "" // deleted: the state shrinks as well as grows
		}
	}
	return changes
}

// crashGeneration checks that state is one whole saved state and returns
// its generation; an empty state (nothing saved yet) is generation -1.
func crashGeneration(t *testing.T, state map[string]string) int {
	t.Helper()
	if len(state) == 0 {
		return -1
	}
	gen := -1
	for k, v := range state {
		g, pad, ok := strings.Cut(v, ":")
		require.True(t, ok, "key %s: %.40q", k, v)
		n, err := strconv.Atoi(g)
		require.NoError(t, err, "key %s", k)
		if gen < 0 {
			gen = n
		}
		require.Equal(t, gen, n, "key %s is from another save", k)
		require.Len(t, pad, crashPadding, "key %s", k)
	}
	require.Len(t, state, crashKeysMin+gen%crashKeysMin, "generation %d", gen)
	return gen
}

func runCrashChild(path string) {
	ctx := context.Background()
	store := statefile.New(path)
	state, err := store.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child load:", err)
		os.Exit(3)
	}
	gen := 0
	if v := state["flag.crash.k000"]; v != "" {
		g, _, _ := strings.Cut(v, ":")
		gen, _ = strconv.Atoi(g)
		gen++
	}
	fmt.Println("ready")
	for ; ; gen++ {
		if err := store.Save(ctx, crashState(gen)); err != nil {
			fmt.Fprintln(os.Stderr, "child save:", err)
			os.Exit(4)
		}
		fmt.Println("saved")
	}
}

// TestSurvivesSIGKILL kills a process saving flags, hundreds of
// times at random moments: the file must always load, as one whole state
// (the last one saved or the one being saved), and never go back in time.
func TestSurvivesSIGKILL(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		runCrashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "state", "state.json")
	store := statefile.New(path)
	const (
		rounds = 300
		budget = 20 * time.Second
	)
	start := time.Now()
	last, advanced, done := -1, 0, 0
	// saveTime estimates one save, which varies a lot with -race and the
	// machine's load, so that kills land inside saves rather than before
	// the first one.
	saveTime := 5 * time.Millisecond
	for ; done < rounds && time.Since(start) < budget; done++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesSIGKILL$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := bufio.NewReader(out)
		line, err := lines.ReadString('\n')
		require.NoError(t, err, "child: %s", stderr.String())
		require.Equal(t, "ready\n", line)
		// Let it finish 0 to 2 saves, then kill it at a random point of
		// the next: before the write, mid-write, before or after the
		// rename.
		for range rand.IntN(3) {
			began := time.Now()
			line, err := lines.ReadString('\n')
			require.NoError(t, err, "child: %s", stderr.String())
			require.Equal(t, "saved\n", line)
			saveTime = (3*saveTime + time.Since(began)) / 4
		}
		time.Sleep(rand.N(saveTime + time.Millisecond))
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err = cmd.Wait()
		require.Error(t, err)
		status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, status.Signaled(), "the child ended by itself: %v: %s", err, stderr.String())

		state, err := store.Load(context.Background())
		require.NoError(t, err, "round %d", done)
		gen := crashGeneration(t, state)
		require.GreaterOrEqual(t, gen, last, "round %d went back in time", done)
		if gen > last {
			advanced++
		}
		last = gen
	}
	// A kill between creating the temporary file and renaming it leaves
	// that file behind; it proves kills landed mid-save.
	orphans, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".state.json.*.tmp"))
	require.NoError(t, err)
	t.Logf("%d kills in %v, %d of them after new saves, last generation %d, %d temporary files left",
		done, time.Since(start).Round(time.Millisecond), advanced, last, len(orphans))
	assert.GreaterOrEqual(t, done, 50, "too few rounds to mean anything")
	assert.Greater(t, advanced, done/4, "the children hardly ever saved before being killed")
}

// TestLoadDuringSaves: readers loading while a writer saves
// always see one whole state, never an error, never an older one than
// they saw before.
func TestLoadDuringSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "state.json")
	store := statefile.New(path)
	ctx := context.Background()
	require.NoError(t, store.Save(ctx, crashState(0)))

	const saves = 60
	stop := make(chan struct{})
	var wg sync.WaitGroup
	loads := make([]int, 3)
	for r := range loads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				state, err := store.Load(ctx)
				if !assert.NoError(t, err) {
					return
				}
				gen := crashGeneration(t, state)
				if !assert.GreaterOrEqual(t, gen, last) {
					return
				}
				last = gen
				loads[r]++
			}
		}()
	}
	for gen := 1; gen <= saves; gen++ {
		require.NoError(t, store.Save(ctx, crashState(gen)))
	}
	close(stop)
	wg.Wait()
	for r, n := range loads {
		assert.Positive(t, n, "reader %d never loaded", r)
	}
	state, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, saves, crashGeneration(t, state))
}
