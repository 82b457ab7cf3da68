package charmtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCharmDir(t *testing.T) {
	src := t.TempDir()
	files := map[string]os.FileMode{"dispatch": 0o755, "metadata.yaml": 0o644, "charmcraft.yaml": 0o644}
	for f, mode := range files {
		require.NoError(t, os.WriteFile(filepath.Join(src, f), []byte(f+" content\n"), mode))
	}
	binary := filepath.Join(t.TempDir(), "shop-binary")
	require.NoError(t, os.WriteFile(binary, []byte("not run"), 0o755))
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(src))
	t.Cleanup(func() { require.NoError(t, os.Chdir(wd)) })

	dir := CharmDir(t, binary, "shop")
	for _, f := range []string{"dispatch", "metadata.yaml"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Equal(t, f+" content\n", string(got))
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, files[f], info.Mode().Perm(), "%s keeps its mode", f)
	}
	assert.NoFileExists(t, filepath.Join(dir, "config.yaml"), "a charm without options has none")
	assert.NoFileExists(t, filepath.Join(dir, "charmcraft.yaml"), "charmcraft does not pack its own file")
	target, err := os.Readlink(filepath.Join(dir, "bin", "shop"))
	require.NoError(t, err)
	assert.Equal(t, binary, target)
}
