package toolsim

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The build cache is keyed by the sources of every package of the module
// that the simulator links, so that a change to any of them rebuilds it.
func TestSimSourcesAreWhatTheCommandImports(t *testing.T) {
	root := sourceModuleDir()
	require.NotEmpty(t, root)
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if and .Module .Module.Main}}{{.Dir}}{{end}}", "./cmd/"+binaryName)
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	var dirs []string
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		require.NoError(t, err)
		dirs = append(dirs, rel)
	}
	assert.ElementsMatch(t, simSources, dirs)
}
