package toolsim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/gobuild"
)

// TestMain is the TestMain of a charm's package: it builds the main
// package in the working directory (the charm under test) once, sets
// *binary to the binary's path, runs the tests and returns their exit
// status. Every test then runs the charm as Juju does, as a process:
//
//	var charmBinary string
//
//	func TestMain(m *testing.M) { os.Exit(toolsim.TestMain(m, &charmBinary)) }
func TestMain(m *testing.M, binary *string) int {
	dir, err := os.MkdirTemp("", "charm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	bins, err := gobuild.Packages(ctx, "", dir, ".")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*binary = bins[0]
	return m.Run()
}

// CharmDir lays the charm in the working directory (the package under
// test) out in a temporary directory as charmcraft packs it, for a test
// that runs it through its dispatch script as Juju does: dispatch,
// metadata.yaml and config.yaml (those present), and binary linked as
// bin/<name>. It fails the test on any error.
func CharmDir(t testing.TB, binary, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"dispatch", "metadata.yaml", "config.yaml"} {
		info, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = copyFile(f, filepath.Join(dir, f), info.Mode().Perm())
		}
		if err != nil {
			t.Fatalf("toolsim: charm dir: %v", err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatalf("toolsim: charm dir: %v", err)
	}
	if err := os.Symlink(binary, filepath.Join(dir, "bin", name)); err != nil {
		t.Fatalf("toolsim: charm dir: %v", err)
	}
	return dir
}

func copyFile(from, to string, perm fs.FileMode) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, perm)
}
