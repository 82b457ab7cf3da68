package charmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/charmmeta"
	"github.com/charmkit/httprelation/internal/testcompat"
)

// recorder is a testing.TB that records failures instead of failing, so
// that the checks can be shown to fail on a bad charm.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// FailNow stops the check as the testing package does, by ending its
// goroutine.
func (r *recorder) FailNow() {
	r.failures = append(r.failures, "FailNow")
	runtime.Goexit()
}

// failures runs check against a recorder and returns what it reported.
func failures(t *testing.T, check func(testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failures
}

// The checks of every charm file, on the testdata charm as it is and with
// one file broken at a time.
func TestFileChecks(t *testing.T) {
	checks := map[string]func(testing.TB){
		"dispatch": func(tb testing.TB) { AssertDispatch(tb, "shop") },
		"metadata": func(tb testing.TB) {
			AssertMetadata(tb, "shop", charmmeta.Endpoint{Name: "shop", Role: charmmeta.RoleProvider, Interface: "http"})
		},
		"config": func(tb testing.TB) {
			AssertConfig(tb, map[string]Option{"port": {"int", 8080}, "greeting": {"string", "hello"}})
		},
		"charmcraft": func(tb testing.TB) { AssertCharmcraft(tb, "shop") },
	}
	tests := []struct {
		name  string
		file  string
		edit  func(string) string // nil: leave the content alone
		mode  os.FileMode
		fails string // the check that must fail; "" for none
	}{
		{name: "good charm"},
		{name: "dispatch not executable", file: "dispatch", mode: 0o644, fails: "dispatch"},
		{name: "dispatch runs another binary", file: "dispatch", edit: replace("bin/shop", "bin/other"), fails: "dispatch"},
		{name: "dispatch missing", file: "dispatch", edit: remove, fails: "dispatch"},
		{name: "endpoint required", file: "metadata.yaml", edit: replace("provides:", "requires:"), fails: "metadata"},
		{name: "endpoint renamed", file: "metadata.yaml", edit: replace("  shop:", "  store:"), fails: "metadata"},
		{name: "second endpoint", file: "metadata.yaml", edit: appendText("  admin:\n    interface: http\n"), fails: "metadata"},
		{name: "default changed", file: "config.yaml", edit: replace("default: 8080", "default: 80"), fails: "config"},
		{name: "type changed", file: "config.yaml", edit: replace("type: string", "type: int"), fails: "config"},
		{name: "unknown config field", file: "config.yaml", edit: appendText("    secret: true\n"), fails: "config"},
		{name: "extra option", file: "config.yaml", edit: appendText("  debug:\n    type: boolean\n    default: false\n"), fails: "config"},
		{name: "platform dropped", file: "charmcraft.yaml", edit: replace("  ubuntu@22.04:amd64:\n", ""), fails: "charmcraft"},
		{name: "builds another package", file: "charmcraft.yaml", edit: replace("./examples/shop\n", "./examples/store\n"), fails: "charmcraft"},
		{name: "part renamed", file: "charmcraft.yaml", edit: replace("  shop:\n", "  store:\n"), fails: "charmcraft"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyCharm(t, filepath.Join("testdata", "shop"))
			if tt.file != "" {
				path := filepath.Join(dir, tt.file)
				if tt.edit != nil {
					data, err := os.ReadFile(path)
					require.NoError(t, err)
					if edited := tt.edit(string(data)); edited == "" {
						require.NoError(t, os.Remove(path))
					} else {
						require.NotEqual(t, string(data), edited, "the edit must change the file")
						require.NoError(t, os.WriteFile(path, []byte(edited), 0o644))
					}
				}
				if tt.mode != 0 {
					require.NoError(t, os.Chmod(path, tt.mode))
				}
			}
			testcompat.Chdir(t, dir)
			for name, check := range checks {
				got := failures(t, check)
				if name == tt.fails {
					assert.NotEmpty(t, got, "%s check must fail", name)
				} else {
					assert.Empty(t, got, "%s check must pass", name)
				}
			}
		})
	}
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func appendText(text string) func(string) string {
	return func(s string) string { return s + text }
}

func remove(string) string { return "" }

// copyCharm copies the files of dir into a temporary directory, as 0755
// when executable and 0644 otherwise, whatever umask the checkout had.
func copyCharm(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		mode := os.FileMode(0o644)
		if info.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		path := filepath.Join(out, e.Name())
		require.NoError(t, os.WriteFile(path, data, mode))
		require.NoError(t, os.Chmod(path, mode)) // WriteFile's mode passes through umask
	}
	return out
}
