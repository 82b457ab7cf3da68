package testcompat

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContextCanceledWhenTestEnds(t *testing.T) {
	var ctx context.Context
	t.Run("inner", func(t *testing.T) {
		ctx = Context(t)
		assert.NoError(t, ctx.Err(), "live during the test")
	})
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
}

func TestChdirRestores(t *testing.T) {
	before, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir()
	t.Run("inner", func(t *testing.T) {
		Chdir(t, dir)
		wd, err := os.Getwd()
		require.NoError(t, err)
		want, err := filepath.EvalSymlinks(dir)
		require.NoError(t, err)
		got, err := filepath.EvalSymlinks(wd)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, dir, os.Getenv("PWD"))
	})
	after, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
