// Package testcompat gives the tests the two helpers of Go 1.24's testing
// package they use, T.Context and T.Chdir, since the module declares Go
// 1.23 (go vet -stdversion holds it to that). Once the module requires Go
// 1.24, replace Context(tb) with tb.Context() and Chdir(tb, dir) with
// tb.Chdir(dir), and delete this package.
package testcompat

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Context returns a context that is canceled when tb's test ends, before
// the cleanup functions registered earlier run, like tb.Context() in Go
// 1.24.
func Context(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	return ctx
}

// Chdir changes the working directory to dir for the rest of tb's test
// and sets $PWD to match, restoring both when the test ends, like
// tb.Chdir(dir) in Go 1.24. Like it, it cannot be used in parallel tests
// (it calls tb.Setenv).
func Chdir(tb testing.TB, dir string) {
	tb.Helper()
	old, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	// Setenv first: it fails a parallel test before anything changed, and
	// it restores $PWD after the directory is restored.
	tb.Setenv("PWD", abs)
	if err := os.Chdir(abs); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := os.Chdir(old); err != nil {
			// Every later test would run in the wrong directory.
			panic("testcompat.Chdir: restore working directory: " + err.Error())
		}
	})
}
