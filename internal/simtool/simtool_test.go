package simtool

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/charmkit/httprelation/internal/testcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Install links every Juju hook tool to the binary, by its absolute path,
// and installing again replaces the links.
func TestInstall(t *testing.T) {
	testcompat.Chdir(t, t.TempDir())
	require.NoError(t, os.WriteFile("sim", nil, 0o755))
	first, err := filepath.Abs("sim")
	require.NoError(t, err)
	dir := filepath.Join("new", "bin")
	require.NoError(t, Install("sim", dir))
	for _, tool := range JujuNames() {
		target, err := os.Readlink(filepath.Join(dir, tool))
		require.NoError(t, err, tool)
		assert.Equal(t, first, target, tool)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, len(JujuNames()), "one link per tool, nothing else")

	second := filepath.Join(t.TempDir(), "other-sim")
	require.NoError(t, Install(second, dir))
	target, err := os.Readlink(filepath.Join(dir, "relation-get"))
	require.NoError(t, err)
	assert.Equal(t, second, target)
}

func TestInstallErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	assert.ErrorContains(t, Install("sim", file), "install: ")
}

// JujuNames is sorted, without repeats, and holds every tool the
// simulator implements: a simulated tool Juju does not have would answer
// a call no real charm can make.
func TestJujuNamesHoldTheSimulatedTools(t *testing.T) {
	names := JujuNames()
	assert.True(t, slices.IsSorted(names))
	assert.Len(t, names, len(slices.Compact(slices.Clone(names))))
	for _, n := range Names() {
		assert.Contains(t, names, n)
	}
	assert.Len(t, names, 50, "Juju 3's jujuc.CommandNames()")
}
