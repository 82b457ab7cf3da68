package toolsim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	alphaDir = "./testdata/cmds/alpha"
	betaPkg  = "github.com/charmkit/httprelation/toolsim/testdata/cmds/beta/v2"
)

// buildTestCmds builds the alpha and beta test commands into a fresh
// directory and returns their paths.
func buildTestCmds(t *testing.T) (alpha, beta string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testcompat.Context(t), 2*time.Minute)
	defer cancel()
	bins, err := BuildPackages(ctx, "", t.TempDir(), alphaDir, betaPkg)
	require.NoError(t, err)
	require.Len(t, bins, 2)
	return bins[0], bins[1]
}

func TestBuildPackages(t *testing.T) {
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
	bins, err := BuildPackages(ctx, "", out, betaPkg, alphaDir)
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

	res, err := RunEnv(ctx, nil, bins[0])
	require.NoError(t, err)
	assert.Equal(t, Result{ExitCode: 0, Stdout: "beta\n"}, res)
	res, err = RunEnv(ctx, nil, bins[1], "env=X")
	require.NoError(t, err)
	assert.Equal(t, "X=\n", res.Stdout)

	// workDir decides what a relative directory means.
	bins, err = BuildPackages(ctx, filepath.Join("testdata", "cmds"), t.TempDir(), "./alpha")
	require.NoError(t, err)
	require.Len(t, bins, 1)
	assert.Equal(t, "alpha", filepath.Base(bins[0]))
	assert.FileExists(t, bins[0])
}

func TestBuildPackagesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pkgs []string
		want string
	}{
		{"no packages", nil, "no packages"},
		{"not a command", []string{alphaDir, "."}, "package github.com/charmkit/httprelation/toolsim is not a command"},
		{"pattern", []string{"./testdata/cmds/..."}, "want one distinct package per argument, go list found 3"},
		{"same package twice", []string{alphaDir, "github.com/charmkit/httprelation/toolsim/testdata/cmds/alpha"}, "want one distinct package per argument, go list found 1"},
		{"same binary name", []string{alphaDir, "./testdata/cmds/dup/alpha"}, "would both be built as alpha"},
		{"missing", []string{"./testdata/cmds/nosuch"}, "go list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(testcompat.Context(t), 2*time.Minute)
			defer cancel()
			out := filepath.Join(t.TempDir(), "bin")
			bins, err := BuildPackages(ctx, "", out, tt.pkgs...)
			assert.ErrorContains(t, err, tt.want)
			assert.Nil(t, bins)
			assert.NoDirExists(t, out, "nothing is built")
		})
	}
}

func TestBuildPackagesContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testcompat.Context(t))
	cancel()
	_, err := BuildPackages(ctx, "", t.TempDir(), alphaDir)
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
		assert.Equal(t, want, execName(path), path)
	}
}
