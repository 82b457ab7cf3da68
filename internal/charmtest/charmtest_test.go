package charmtest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

func TestRunAndRunEnv(t *testing.T) {
	t.Parallel()
	sim := toolsim.Start(t, &toolsim.Model{Unit: "shop/0", Leader: true}, nil)
	res := Run(t, sim, "is-leader")
	assert.Equal(t, toolsim.Result{ExitCode: 0, Stdout: "True\n"}, res)
	res = Run(t, sim, "status-set", "active", "ready")
	assert.Equal(t, toolsim.Result{}, res)
	m, err := sim.Model()
	require.NoError(t, err)
	assert.Equal(t, &toolsim.Status{Status: "active", Message: "ready"}, m.Status)

	// Outside the hook the tool has no model to answer from.
	res = RunEnv(t, []string{"PATH=" + sim.Dir}, filepath.Join(sim.Dir, "is-leader"))
	assert.NotEqual(t, 0, res.ExitCode)
	assert.Contains(t, res.Stderr, "TOOLSIM_MODEL")
}
