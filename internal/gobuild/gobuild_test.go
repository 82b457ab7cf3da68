package gobuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	alphaDir = "./testdata/cmds/alpha"
	betaPkg  = "github.com/charmkit/httprelation/internal/gobuild/testdata/cmds/beta/v2"
)

func TestPackages(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(testcompat.Context(t), 2*time.Minute)
	defer cancel()
	// A relative outDir that does not exist yet comes back absolute.
	wd, err := os.Getwd()
	require.NoError(t, err)
	out, err := filepath.Rel(wd, filepath.Join(t.TempDir(), "new", "bin"))
	require.NoError(t, err)

	// An import path and a directory in one build, returned in argument
	// order; a major-version directory is named after its parent, as go
	// build names it.
	bins, err := Packages(ctx, "", out, betaPkg, alphaDir)
	require.NoError(t, err)
	abs, err := filepath.Abs(out)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(abs, "beta"), filepath.Join(abs, "alpha")}, bins)
	entries, err := os.ReadDir(abs)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"alpha", "beta"}, names, "only the binaries, as go build named them")

	for i, want := range []string{"beta\n", "alpha\n"} {
		out, err := exec.CommandContext(ctx, bins[i]).Output()
		require.NoError(t, err)
		assert.Equal(t, want, string(out))
	}

	// workDir decides what a relative directory means.
	bins, err = Packages(ctx, filepath.Join("testdata", "cmds"), t.TempDir(), "./alpha")
	require.NoError(t, err)
	require.Len(t, bins, 1)
	assert.Equal(t, "alpha", filepath.Base(bins[0]))
	assert.FileExists(t, bins[0])
}

func TestPackagesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pkgs []string
		want string
	}{
		{"no packages", nil, "no packages"},
		{"not a command", []string{alphaDir, "."}, "package github.com/charmkit/httprelation/internal/gobuild is not a command"},
		{"pattern", []string{"./testdata/cmds/..."}, "want one distinct package per argument, go list found 3"},
		{"same package twice", []string{alphaDir, "github.com/charmkit/httprelation/internal/gobuild/testdata/cmds/alpha"}, "want one distinct package per argument, go list found 1"},
		{"same binary name", []string{alphaDir, "./testdata/cmds/dup/alpha"}, "would both be built as alpha"},
		{"missing", []string{"./testdata/cmds/nosuch"}, "go list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(testcompat.Context(t), 2*time.Minute)
			defer cancel()
			out := filepath.Join(t.TempDir(), "bin")
			bins, err := Packages(ctx, "", out, tt.pkgs...)
			assert.ErrorContains(t, err, tt.want)
			assert.Nil(t, bins)
			assert.NoDirExists(t, out, "nothing is built")
		})
	}
}

func TestPackagesContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testcompat.Context(t))
	cancel()
	_, err := Packages(ctx, "", t.TempDir(), alphaDir)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestExecName(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"example.com/tool":      "tool",
		"example.com/tool/v2":   "tool",
		"example.com/tool/v10":  "tool",
		"example.com/tool/v1":   "v1",
		"example.com/tool/v0":   "v0",
		"example.com/tool/v02":  "v02",
		"example.com/tool/v":    "v",
		"example.com/tool/v2x":  "v2x",
		"example.com/tool/vv2":  "vv2",
		"v2":                    "v2",
		"example.com/a/b/v3":    "b",
		"github.com/x/y/cmd/zz": "zz",
	} {
		assert.Equal(t, want, ExecName(path), path)
	}
}

// Once builds on its first call only, and hands every call the same
// answer, an error included.
func TestOnce(t *testing.T) {
	t.Parallel()
	alpha := Once(alphaDir)
	first, err := alpha()
	require.NoError(t, err)
	assert.Equal(t, "alpha", filepath.Base(first))
	info, err := os.Stat(first)
	require.NoError(t, err)
	again, err := alpha()
	require.NoError(t, err)
	assert.Equal(t, first, again)
	info2, err := os.Stat(again)
	require.NoError(t, err)
	assert.Equal(t, info.ModTime(), info2.ModTime(), "not built again")

	missing := Once("./testdata/cmds/nosuch")
	_, err = missing()
	assert.ErrorContains(t, err, "go list")
	_, err2 := missing()
	assert.Equal(t, err, err2)
}
