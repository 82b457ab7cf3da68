package toolsim

import (
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmkit/httprelation/internal/relationid"
	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotPath is where the snapshot of the model file's current version
// lives.
func snapshotPath(t testing.TB, modelPath string) string {
	t.Helper()
	fi, err := os.Stat(modelPath)
	require.NoError(t, err)
	stamp, ok := stampOf(fi)
	require.True(t, ok)
	return filepath.Join(cacheDir(modelPath), stamp)
}

// cacheEntries lists the cache directory of a model, sorted.
func cacheEntries(t testing.TB, modelPath string) []string {
	t.Helper()
	entries, err := os.ReadDir(cacheDir(modelPath))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// newUncached is newInProc for a model that can never be cached: a file
// stands where the cache directory would be, so every call decodes the
// model file, as the simulator did before it had a cache.
func newUncached(t testing.TB, m *Model, hookEnv map[string]string) *inProc {
	t.Helper()
	p := newInProc(t, m, hookEnv)
	require.NoError(t, os.WriteFile(cacheDir(p.env["TOOLSIM_MODEL"]), nil, 0o644))
	return p
}

// widen adds to a transcript's model units that stress the cache: names no
// file system takes as they are, bags that are null or empty, and enough
// units for the index to have collisions.
func widen(m *Model) {
	r := m.Relations["backends:4"]
	r.Units = maps.Clone(r.Units)
	for i := 100; i < 300; i++ {
		r.Units[fmt.Sprintf("shop/%d", i)] = map[string]string{"private-address": fmt.Sprintf("10.9.%d.%d", i/256, i%256)}
	}
	r.Units["shop/"+strings.Repeat("9", 300)] = map[string]string{"long": "name"}
	r.Units["shop/ü/../x"] = map[string]string{"odd": "name"}
	r.Units["shop/nil"] = nil
	r.Units["shop/empty"] = map[string]string{}
	m.Relations["backends:4"] = r
	m.Log = []string{"INFO kept out of the snapshot"}
}

// readCalls are read-only calls over every relation, unit and format,
// plus the transcript's own.
func readCalls(tr transcript, m *Model) [][]string {
	var calls [][]string
	for _, c := range tr.Calls {
		if _, writes, _ := lookupTool(c.Args[0]); !writes {
			calls = append(calls, c.Args)
		}
	}
	keys := slices.Sorted(maps.Keys(m.Relations))
	for _, key := range keys {
		r := m.Relations[key]
		names := slices.Sorted(maps.Keys(r.Units))
		var sample []string
		for i, u := range names {
			if i%25 == 0 || !strings.HasPrefix(u, "shop/1") && !strings.HasPrefix(u, "shop/2") {
				sample = append(sample, u)
			}
		}
		sample = append(sample, r.RemoteApp+"/99", "shop/\xff", m.Unit, "nosuch/0", "")
		for _, format := range []string{"json", "yaml", "smart"} {
			f := "--format=" + format
			calls = append(calls,
				[]string{"relation-list", f, "-r", key},
				[]string{"relation-list", f, "-r", key, "--app"},
				[]string{"relation-get", f, "-r", key, "--app", "-", r.RemoteApp},
				[]string{"relation-ids", f, relationid.Endpoint(key)},
			)
			for _, u := range sample {
				calls = append(calls,
					[]string{"relation-get", f, "-r", key, "-", u},
					[]string{"relation-get", f, "-r", key, "private-address", u},
				)
			}
		}
	}
	return append(calls,
		[]string{"relation-list"}, []string{"relation-get"}, []string{"relation-get", "-"},
		[]string{"relation-ids"}, []string{"config-get", "--all"}, []string{"state-get"},
		[]string{"is-leader"}, []string{"unit-get", "private-address"},
		[]string{"network-get", "backends"}, []string{"network-get", "nosuch"},
	)
}

// A snapshot answers every read-only tool exactly as the model file does.
func TestSnapshotAnswersAsModel(t *testing.T) {
	for _, name := range transcriptNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := loadTranscript(t, name)
			m := tr.model(t)
			widen(m)
			full := newUncached(t, m, tr.HookEnv)
			cached := newInProc(t, m, tr.HookEnv)
			modelPath := cached.env["TOOLSIM_MODEL"]
			cached.run(nil, "is-leader")
			snap := snapshotPath(t, modelPath)
			require.FileExists(t, snap)

			calls := readCalls(tr, m)
			require.Greater(t, len(calls), 200)
			for _, argv := range calls {
				assert.Equal(t, full.run(nil, argv...), cached.run(nil, argv...), "%q", argv)
			}
			// Nothing fell back to the model file.
			assert.FileExists(t, snap)
			assert.Equal(t, []string{buildLockName, filepath.Base(snap)}, cacheEntries(t, modelPath))
			fi, err := os.Stat(cacheDir(full.env["TOOLSIM_MODEL"]))
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular(), "the uncached runner never had a cache")
		})
	}
}

// Every write makes a new version, and the next read sees it.
func TestSnapshotFollowsWrites(t *testing.T) {
	tr := loadTranscript(t, "changed")
	p := newInProc(t, tr.model(t), tr.HookEnv)
	modelPath := p.env["TOOLSIM_MODEL"]

	assert.NotContains(t, p.bag(t, "backends:4", "lb/0"), "foo")
	first := snapshotPath(t, modelPath)
	require.FileExists(t, first)

	r := p.run(nil, "relation-set", "-r", "backends:4", "foo=bar")
	require.Equal(t, 0, r.exit, r.stderr)
	assert.NoFileExists(t, first)
	assert.Equal(t, []string{buildLockName}, cacheEntries(t, modelPath), "the write removed the snapshot")
	assert.Equal(t, "bar", p.bag(t, "backends:4", "lb/0")["foo"])
	assert.NotEqual(t, first, snapshotPath(t, modelPath))

	require.Equal(t, 0, p.run(nil, "state-set", "k=v").exit)
	assert.Equal(t, result{stdout: "v\n"}, p.run(nil, "state-get", "k"))

	// A model written from outside the tools, as a test does between hooks.
	m := p.model(t)
	m.Relations["backends:4"].Units["shop/0"]["private-address"] = "10.9.9.9"
	delete(m.Relations["backends:4"].Units, "shop/3")
	require.NoError(t, m.WriteFile(modelPath))
	assert.Equal(t, result{stdout: "10.9.9.9\n"}, p.run(nil, "relation-get", "-r", "backends:4", "private-address", "shop/0"))
	assert.Equal(t, result{stdout: `["shop/0"]` + "\n"}, p.run(nil, "relation-list", "--format=json", "-r", "backends:4"))
	gone := p.run(nil, "relation-get", "-r", "backends:4", "-", "shop/3")
	assert.Equal(t, 1, gone.exit)
	assert.Contains(t, gone.stderr, "settings not found")
	assert.Equal(t, []string{buildLockName, filepath.Base(snapshotPath(t, modelPath))}, cacheEntries(t, modelPath))
}

// Write tools do not build snapshots: their own write would make them
// stale at once.
func TestWritesBuildNoSnapshot(t *testing.T) {
	p := newInProc(t, baseModel(t), nil)
	for _, argv := range [][]string{{"juju-log", "hello"}, {"state-set", "a=b"}, {"status-set", "active"}} {
		r := p.run(nil, argv...)
		require.Equal(t, 0, r.exit, r.stderr)
	}
	assert.NoDirExists(t, cacheDir(p.env["TOOLSIM_MODEL"]))
}

// snapshotLayout returns where the index and the data of a snapshot file
// start, and how many slots the index has.
func snapshotLayout(t testing.TB, b []byte) (indexAt, dataAt, slots int) {
	t.Helper()
	require.Greater(t, len(b), headerSize)
	indexAt = headerSize + int(binary.LittleEndian.Uint32(b[8:]))
	slots = int(binary.LittleEndian.Uint32(b[16:]))
	return indexAt, indexAt + slots*slotSize, slots
}

// A damaged or missing snapshot never gives a wrong answer: the call is
// answered from the model file, and the snapshot is built anew.
func TestDamagedSnapshotFallsBack(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"missing", func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }},
		{"empty", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) }},
		{"truncated", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, fi.Size()-1))
		}},
		{"a directory", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Mkdir(path, 0o755))
		}},
		{"bad magic", editSnapshot(func(b []byte) { b[0] ^= 1 })},
		{"meta changed", editSnapshot(func(b []byte) { b[headerSize+2] ^= 1 })},
		{"index zeroed", editSnapshotLayout(func(b []byte, indexAt, dataAt, _ int) { clear(b[indexAt:dataAt]) })},
		{"hashes changed", editSnapshotLayout(func(b []byte, indexAt, _, slots int) {
			for i := range slots {
				b[indexAt+i*slotSize] ^= 0xff
			}
		})},
		{"one bag lost", editSnapshotLayout(func(b []byte, indexAt, _, slots int) {
			// Only the unit list can tell that shop/0 is in the relation.
			h := recordHash(kindBag, "backends:4", "shop/0")
			found := false
			for i := range slots {
				if slot := b[indexAt+i*slotSize:][:slotSize]; binary.LittleEndian.Uint64(slot) == h {
					clear(slot)
					found = true
				}
			}
			require.True(t, found)
		})},
		{"offsets out of bounds", editSnapshotLayout(func(b []byte, indexAt, _, slots int) {
			for i := range slots {
				binary.LittleEndian.PutUint32(b[indexAt+i*slotSize+8:], 1<<31)
			}
		})},
		{"data changed", editSnapshotLayout(func(b []byte, _, dataAt, _ int) {
			for i := dataAt; i < len(b); i++ {
				if b[i] == '1' {
					b[i] = '7' // still JSON, other addresses: only the CRCs tell
				}
			}
		})},
	}
	calls := [][]string{
		{"relation-get", "--format=json", "-r", "backends:4", "-", "shop/0"},
		{"relation-get", "-r", "backends:4", "-", "shop/9"},
		{"relation-list", "--format=json", "-r", "backends:4"},
		{"relation-get", "-r", "backends:4", "private-address", "shop/3"},
		{"config-get", "--all"},
	}
	tr := loadTranscript(t, "changed")
	full := newUncached(t, tr.model(t), tr.HookEnv)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newInProc(t, tr.model(t), tr.HookEnv)
			modelPath := p.env["TOOLSIM_MODEL"]
			p.run(nil, "is-leader")
			snap := snapshotPath(t, modelPath)
			require.FileExists(t, snap)
			tc.damage(t, snap)
			for _, argv := range calls {
				assert.Equal(t, full.run(nil, argv...), p.run(nil, argv...), "%q", argv)
			}
			// Built anew, and whole.
			s, m, err := openSnapshot(snap)
			require.NoError(t, err)
			defer s.close()
			assert.Equal(t, "lb/0", m.Unit)
			bag, ok, err := s.unitBag("backends:4", "shop/3")
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "172.20.1.13", bag["private-address"])
		})
	}
}

func editSnapshot(edit func(b []byte)) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		edit(b)
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
}

func editSnapshotLayout(edit func(b []byte, indexAt, dataAt, slots int)) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		editSnapshot(func(b []byte) {
			indexAt, dataAt, slots := snapshotLayout(t, b)
			edit(b, indexAt, dataAt, slots)
		})(t, path)
	}
}

// Snapshots of other versions, and files of builders that died, are
// removed by the next build.
func TestStaleSnapshotsSwept(t *testing.T) {
	p := newInProc(t, baseModel(t), nil)
	modelPath := p.env["TOOLSIM_MODEL"]
	root := cacheDir(modelPath)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "stale-dir"), 0o755))
	for _, name := range []string{"1-2-3-4", ".tmp-123", filepath.Join("stale-dir", "x")} {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte("old"), 0o644))
	}
	p.run(nil, "is-leader")
	current := filepath.Base(snapshotPath(t, modelPath))
	assert.Equal(t, []string{buildLockName, current}, cacheEntries(t, modelPath))

	// A snapshot the writer could not remove (here: one it does not know
	// of, made after the write) goes at the next build.
	require.Equal(t, 0, p.run(nil, "state-set", "a=b").exit)
	require.NoError(t, os.WriteFile(filepath.Join(root, current), []byte("stale"), 0o644))
	assert.Equal(t, result{stdout: "b\n"}, p.run(nil, "state-get", "a"))
	assert.Equal(t, []string{buildLockName, filepath.Base(snapshotPath(t, modelPath))}, cacheEntries(t, modelPath))
}

// Twenty tool processes starting at once on a model never read before all
// answer right, and leave one snapshot; so do twenty more after the model
// changed.
func TestConcurrentColdReaders(t *testing.T) {
	m := baseModel(t)
	units := m.Relations["backends:4"].Units
	for i := range 20 {
		units[fmt.Sprintf("shop/%d", 10+i)] = map[string]string{"private-address": fmt.Sprintf("10.1.0.%d", i)}
	}
	s := Start(t, m, map[string]string{"JUJU_HOOK_NAME": "install"})
	for round, prefix := range []string{"10.1.0.", "10.2.0."} {
		if round > 0 {
			for i := range 20 {
				units[fmt.Sprintf("shop/%d", 10+i)]["private-address"] = fmt.Sprintf("%s%d", prefix, i)
			}
			require.NoError(t, m.WriteFile(s.ModelPath))
		}
		results := make([]Result, 20)
		errs := make([]error, 20)
		var wg sync.WaitGroup
		ctx := testcompat.Context(t)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = s.Run(ctx, "relation-get", "-r", "backends:4", "private-address", fmt.Sprintf("shop/%d", 10+i))
			}()
		}
		wg.Wait()
		for i := range 20 {
			require.NoError(t, errs[i])
			assert.Equal(t, Result{Stdout: fmt.Sprintf("%s%d\n", prefix, i)}, results[i], "round %d unit %d", round, i)
		}
		assert.Equal(t, []string{buildLockName, filepath.Base(snapshotPath(t, s.ModelPath))}, cacheEntries(t, s.ModelPath), "round %d", round)
	}
}
