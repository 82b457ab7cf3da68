package readme

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/hooktools"
)

// goopsRunner stands for goops' command runner: it answers relation-ids
// and records the calls.
type goopsRunner struct{ calls [][]string }

func (r *goopsRunner) Run(name string, args ...string) ([]byte, error) {
	r.calls = append(r.calls, append([]string{name}, args...))
	return []byte(`["website:3"]` + "\n"), nil
}

// The README's goops line, run: the unit reads through goops' runner.
func TestREADMEGoopsRunner(t *testing.T) {
	t.Setenv("JUJU_UNIT_NAME", "web/0")
	runner := &goopsRunner{}
	unit, err := hooktools.NewUnit(hooktools.WithRunner(hooktools.FromGoops(runner)))
	require.NoError(t, err)
	ids, err := unit.Accessor.RelationIDs(context.Background(), "website")
	require.NoError(t, err)
	assert.Equal(t, []string{"website:3"}, ids)
	require.Len(t, runner.calls, 1)
	assert.Equal(t, "relation-ids", runner.calls[0][0])
}
