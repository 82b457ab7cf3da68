package hooktools

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// hangingRunner hangs every call of the tools in hang until its context
// ends, and answers the others from answers.
func hangingRunner(answers map[string]string, hang ...string) *funcRunner {
	answered := answer(answers)
	return &funcRunner{fn: func(ctx context.Context, c call) ([]byte, error) {
		for _, tool := range hang {
			if c.Tool == tool {
				<-ctx.Done()
				return nil, fmt.Errorf("%s: %w", c.Tool, ctx.Err())
			}
		}
		return answered.fn(ctx, c)
	}}
}

// countTool counts the calls of tool that r saw.
func countTool(r *funcRunner, tool string) int {
	n := 0
	for _, c := range r.seen() {
		if c.Tool == tool {
			n++
		}
	}
	return n
}

// TestStalledToolIsNotRunAgain: a tool that runs into the per-call
// deadline is not run again by the same unit: a later call, the same
// read again or another, fails at once with an error wrapping
// context.DeadlineExceeded that says why. Other tools still run, and
// another unit (the next hook) tries the tool again.
func TestStalledToolIsNotRunAgain(t *testing.T) {
	const deadline = 100 * time.Millisecond
	r := hangingRunner(map[string]string{"relation-list --format=json -r=website:1": `["lb/0"]`}, "relation-ids", "relation-set")
	acc := newAccessor(r, WithTimeout(deadline))
	ctx := context.Background()

	start := time.Now()
	_, err := acc.RelationIDs(ctx, "website")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, errStalled, "the first call ran")
	assert.GreaterOrEqual(t, time.Since(start), deadline)

	for _, endpoint := range []string{"website", "reverseproxy"} {
		start = time.Now()
		_, err = acc.RelationIDs(ctx, endpoint)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, errStalled)
		assert.EqualError(t, err, "relation-ids: not run: an earlier call of this tool in the hook ran past the per-call deadline: context deadline exceeded")
		assert.Less(t, time.Since(start), deadline, "not waited on again")
	}
	assert.Equal(t, 1, countTool(r, "relation-ids"))

	units, err := acc.RelationUnits(ctx, "website:1")
	require.NoError(t, err, "another tool still runs")
	assert.Equal(t, []string{"lb/0"}, units)

	// A write stalls as a read does: the next relation is not waited on.
	for range 3 {
		err = acc.SetLocalData(ctx, "website:1", map[string]string{"port": "80"})
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Equal(t, 1, countTool(r, "relation-set"))

	_, err = newAccessor(r, WithTimeout(deadline)).RelationIDs(ctx, "website")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, errStalled, "a new unit runs the tool again")
	assert.Equal(t, 2, countTool(r, "relation-ids"))
}

// TestStallIsNotTheCallersContext: a call that its caller's context
// ends, cancelled or past the caller's own, shorter deadline, is no
// stall, and neither is a tool that fails otherwise: the next call runs
// the tool.
func TestStallIsNotTheCallersContext(t *testing.T) {
	r := hangingRunner(nil, "relation-ids")
	acc := newAccessor(r, WithTimeout(time.Hour))

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	_, err := acc.RelationIDs(ctx, "website")
	require.ErrorIs(t, err, context.Canceled)

	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	_, err = acc.RelationIDs(short, "website")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, errStalled)

	short, cancelShort = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	_, err = acc.RelationIDs(short, "website")
	assert.NotErrorIs(t, err, errStalled, "the caller's deadline is no stall")
	assert.Equal(t, 3, countTool(r, "relation-ids"), "every call ran the tool")

	failing := answer(nil) // every tool exits 1
	acc = newAccessor(failing, WithTimeout(time.Hour))
	for range 2 {
		_, err = acc.RelationIDs(context.Background(), "website")
		var te *ToolError
		require.ErrorAs(t, err, &te)
	}
	assert.Equal(t, 2, countTool(failing, "relation-ids"), "a failure that is not a stall is tried again")
}

// TestUnitToolsShareStalls: the accessor, state store and logger of one
// unit, and the loggers derived from it, share what stalled; two units
// do not.
func TestUnitToolsShareStalls(t *testing.T) {
	unit := func() httprelation.Unit {
		u, err := NewUnit(WithRunner(answer(nil)), WithEnv(Env{Unit: "web/0"}))
		require.NoError(t, err)
		return u
	}
	stalls := func(u httprelation.Unit) []*stallSet {
		h := u.Logger.With("k", "v").WithGroup("g").Handler().(*logHandler)
		return []*stallSet{u.Accessor.(*accessor).call.stalls, u.Store.(*stateStore).call.stalls, h.call.stalls}
	}
	a, b := stalls(unit()), stalls(unit())
	require.NotNil(t, a[0])
	assert.Same(t, a[0], a[1])
	assert.Same(t, a[0], a[2])
	assert.NotSame(t, a[0], b[0])
}

// TestStateStoreStallsOnce: a Save that deletes several keys waits on a
// hanging state-delete once, and a later Save of the unit not at all.
func TestStateStoreStallsOnce(t *testing.T) {
	const deadline = 100 * time.Millisecond
	r := hangingRunner(nil, "state-delete")
	store := newStateStore(r, WithTimeout(deadline))
	changes := map[string]string{"flag.a": "", "flag.b": "", "flag.c": ""}
	start := time.Now()
	require.ErrorIs(t, store.Save(context.Background(), changes), context.DeadlineExceeded)
	err := store.Save(context.Background(), changes)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, errStalled)
	assert.Less(t, time.Since(start), 2*deadline)
	assert.Equal(t, 1, countTool(r, "state-delete"))
}
