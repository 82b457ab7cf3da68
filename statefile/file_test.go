//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/statefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// privateDir returns a new directory File accepts: t.TempDir()
// itself is 0755 under the usual umask, which File refuses.
func privateDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "private")
	require.NoError(t, os.Mkdir(dir, 0o700))
	return dir
}

func TestInCharmDir(t *testing.T) {
	dir := t.TempDir()
	s := statefile.InCharmDir(dir)
	assert.Equal(t, filepath.Join(dir, ".httprelation", "state.json"), s.Path())

	ctx := context.Background()
	require.NoError(t, s.Save(ctx, map[string]string{"k": "v"}))
	data, err := statefile.New(filepath.Join(dir, ".httprelation", "state.json")).Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, data)
}

func TestMissingFile(t *testing.T) {
	s := statefile.New(filepath.Join(t.TempDir(), "absent", "state.json"))
	data, err := s.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]string{}, data)
}

func TestSaveApplyAndDelete(t *testing.T) {
	ctx := context.Background()
	s := statefile.New(filepath.Join(privateDir(t), "state.json"))
	require.NoError(t, s.Save(ctx, map[string]string{"a": "1", "b": "2", "odd": "line\n\"quoted\" é"}))
	require.NoError(t, s.Save(ctx, map[string]string{"a": "", "c": "3", "missing": ""}))
	data, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"b": "2", "c": "3", "odd": "line\n\"quoted\" é"}, data)
}

func TestModeAndAtomicReplace(t *testing.T) {
	ctx := context.Background()
	dir := privateDir(t)
	path := filepath.Join(dir, "state.json")
	s := statefile.New(path)
	require.NoError(t, s.Save(ctx, map[string]string{"a": "1"}))

	// A file left with loose permissions is replaced by a 0600 one.
	require.NoError(t, os.Chmod(path, 0o644))
	before, err := os.Stat(path)
	require.NoError(t, err)
	old, err := os.Open(path)
	require.NoError(t, err)
	defer old.Close()

	require.NoError(t, s.Save(ctx, map[string]string{"b": "2"}))

	after, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), after.Mode().Perm())
	assert.False(t, os.SameFile(before, after), "Save renames a new file into place")

	// A reader of the old file still sees a complete old version.
	oldContent, err := io.ReadAll(old)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"1"}`, string(oldContent))

	assertNoTempFiles(t, dir)
}

// assertNoTempFiles checks that dir holds the state and lock files
// alone: no temporary file of a Save is left.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"state.json", "state.json.lock"}, names, "no temporary files left")
}

func TestCorrupt(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"garbage", "{not json"},
		{"empty", ""},
		{"null", "null"},
		{"array", `["a"]`},
		{"non-string value", `{"a": 1}`},
		{"trailing data", `{"a": "1"} {}`},
		// Strings the JSON decoder would silently turn into U+FFFD.
		{"invalid UTF-8 value", "{\"a\": \"caf\xe9\"}"},
		{"invalid UTF-8 key", "{\"flag.\xff\": \"1\"}"},
		{"truncated UTF-8 sequence", "{\"a\": \"\xe2\x82\"}"},
		{"overlong encoding", "{\"a\": \"\xc0\xaf\"}"},
		{"encoded surrogate", "{\"a\": \"\xed\xa0\x80\"}"},
		{"lone high surrogate escape", `{"a": "\ud800"}`},
		{"lone low surrogate escape", `{"a": "\udc00x"}`},
		{"high surrogate then a letter", `{"a": "\uD83D\u0041"}`},
		{"high surrogate at the end of a key", `{"flag.\ud83d": "1"}`},
		{"swapped surrogates", `{"a": "\ude00\ud83d"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(privateDir(t), "state.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			s := statefile.New(path)

			_, err := s.Load(ctx)
			require.ErrorIs(t, err, statefile.ErrCorrupt)
			assert.Contains(t, err.Error(), path)

			err = s.Save(ctx, map[string]string{"a": "2"})
			require.ErrorIs(t, err, statefile.ErrCorrupt)
			assert.Contains(t, err.Error(), path)
			content, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.Equal(t, tt.content, string(content), "a corrupt file is never overwritten")

			_, err = httprelation.NewRegistry(ctx, s)
			require.ErrorIs(t, err, statefile.ErrCorrupt)
		})
	}
}

// TestKeepsStringsExactly: what looks like a lossy string but is
// not (a pair of surrogate escapes, an escaped backslash before "u", the
// replacement character written out) loads unchanged, and Save refuses a
// key or value it could not write unchanged.
func TestKeepsStringsExactly(t *testing.T) {
	ctx := context.Background()
	for content, want := range map[string]map[string]string{
		`{"a": "\ud83d\ude00"}`:   {"a": "\U0001F600"},
		`{"a": "\\ud800"}`:        {"a": `\ud800`},
		`{"a": "\\\ud83d\udE00"}`: {"a": "\\\U0001F600"},
		`{"a": "\ufffd"}`:         {"a": "\uFFFD"},
		"{\"a\": \"\uFFFD\"}":     {"a": "\uFFFD"},
		`{"caf\u00e9": "\u0000"}`: {"café": "\x00"},
		"{\"caf\u00e9\": \"日本\"}": {"café": "日本"},
	} {
		path := filepath.Join(privateDir(t), "state.json")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		got, err := statefile.New(path).Load(ctx)
		require.NoError(t, err, content)
		assert.Equal(t, want, got, content)
	}

	path := filepath.Join(privateDir(t), "state.json")
	s := statefile.New(path)
	require.NoError(t, s.Save(ctx, map[string]string{"a": "1"}))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, changes := range []map[string]string{
		{"a": "caf\xe9"},
		{"flag.\xff": "1"},
		{"b": "ok", "c": "\xed\xa0\x80"},
		{"\xc0\xaf": ""},
	} {
		err := s.Save(ctx, changes)
		require.Error(t, err, "%q", changes)
		assert.Contains(t, err.Error(), "not valid UTF-8")
	}
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused Save writes nothing")
}

func TestConcurrentSave(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(privateDir(t), "state.json")
	const writers = 24
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Separate File values, as separate processes would have.
			s := statefile.New(path)
			errs[i] = s.Save(ctx, map[string]string{fmt.Sprintf("key.%d", i): fmt.Sprint(i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d", i)
	}
	data, err := statefile.New(path).Load(ctx)
	require.NoError(t, err)
	require.Len(t, data, writers)
	for i := range writers {
		assert.Equal(t, fmt.Sprint(i), data[fmt.Sprintf("key.%d", i)])
	}
}

func TestSaveWaitsForLock(t *testing.T) {
	dir := privateDir(t)
	path := filepath.Join(dir, "state.json")
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer lock.Close()
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = statefile.New(path).Save(ctx, map[string]string{"a": "1"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, statErr := os.Stat(path)
	assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing written without the lock")

	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_UN))
	require.NoError(t, statefile.New(path).Save(context.Background(), map[string]string{"a": "1"}))
}

// stores returns a fresh MemoryStore and File, so that persistence
// tests run against both.
func stores(t *testing.T) map[string]func() httprelation.Store {
	path := filepath.Join(privateDir(t), "state.json")
	mem := &httprelation.MemoryStore{}
	return map[string]func() httprelation.Store{
		"memory": func() httprelation.Store { return mem },
		"file":   func() httprelation.Store { return statefile.New(path) },
	}
}

func TestRegistryPersists(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r, err := httprelation.NewRegistry(ctx, open())
			require.NoError(t, err)
			require.NoError(t, r.Set("website.available"))
			require.NoError(t, r.Set("website.configured"))
			require.NoError(t, r.Set("unsaved"))
			require.NoError(t, r.Clear("unsaved"))
			require.NoError(t, r.Save(ctx))

			r2, err := httprelation.NewRegistry(ctx, open())
			require.NoError(t, err)
			assert.Equal(t, []string{"website.available", "website.configured"}, r2.List())

			require.NoError(t, r2.Clear("website.configured"))
			require.NoError(t, r2.Save(ctx))
			r3, err := httprelation.NewRegistry(ctx, open())
			require.NoError(t, err)
			assert.Equal(t, []string{"website.available"}, r3.List())

			data, err := open().Load(ctx)
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"flag.website.available": "1"}, data)
		})
	}
}

func TestChangedPersistsAcrossRegistries(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r, err := httprelation.NewRegistry(ctx, open())
			require.NoError(t, err)
			changed, err := r.Changed("services", []string{"a", "b"})
			require.NoError(t, err)
			require.True(t, changed)

			// Not saved yet: a fresh registry has not seen the value.
			unsaved, err := httprelation.NewRegistry(ctx, open())
			require.NoError(t, err)
			changed, err = unsaved.Changed("services", []string{"a", "b"})
			require.NoError(t, err)
			assert.True(t, changed)

			require.NoError(t, r.Save(ctx))
			r2, err := httprelation.NewRegistry(ctx, open())
			require.NoError(t, err)
			changed, err = r2.Changed("services", []string{"a", "b"})
			require.NoError(t, err)
			assert.False(t, changed)
			changed, err = r2.Changed("services", []string{"a", "c"})
			require.NoError(t, err)
			assert.True(t, changed)
			assert.Empty(t, r2.List(), "hashes are not flags")

			data, err := open().Load(ctx)
			require.NoError(t, err)
			assert.Len(t, data["hash.services"], 64, "sha256 in hex under the hash. prefix")
		})
	}
}

func TestSaveRemovesOrphanedTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "charm[1]") // glob metacharacters in the path must not matter
	path := filepath.Join(dir, "state.json")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	// What a Save killed between CreateTemp and Rename leaves behind.
	orphan := filepath.Join(dir, ".state.json.123456.tmp")
	require.NoError(t, os.WriteFile(orphan, []byte(`{"half":`), 0o600))
	unrelated := filepath.Join(dir, ".other.json.1.tmp")
	require.NoError(t, os.WriteFile(unrelated, nil, 0o600))

	require.NoError(t, statefile.New(path).Save(context.Background(), map[string]string{"k": "v"}))
	assert.NoFileExists(t, orphan)
	assert.FileExists(t, unrelated, "only this store's temporary files are removed")
	assert.FileExists(t, path)
}
