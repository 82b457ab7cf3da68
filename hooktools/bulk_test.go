package hooktools

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inFlight is a runner that answers relation-get with the unit's name
// after a pause and records the most calls running at once.
type inFlight struct {
	mu       sync.Mutex
	now, max int
	calls    int
}

func (f *inFlight) Run(_ context.Context, _ string, args []string, _ []byte) ([]byte, error) {
	f.mu.Lock()
	f.now++
	f.calls++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
	time.Sleep(30 * time.Millisecond)
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
	unit := args[len(args)-1]
	if strings.HasSuffix(unit, "/bad") {
		return nil, &ToolError{Tool: "relation-get", Args: args, ExitCode: 1,
			Message: fmt.Sprintf("cannot read settings for unit %q: settings not found", unit)}
	}
	return fmt.Appendf(nil, `{"unit":%q}`, unit), nil
}

func unitRefs(n int) []httprelation.UnitRef {
	refs := make([]httprelation.UnitRef, n)
	for i := range refs {
		refs[i] = httprelation.UnitRef{RelationID: fmt.Sprintf("web:%d", i%3), Unit: fmt.Sprintf("app%d/%d", i%3, i)}
	}
	return refs
}

func TestReadUnitsBound(t *testing.T) {
	for _, tc := range []struct {
		opts  []Option
		refs  int
		bound int
	}{
		{nil, 30, DefaultConcurrency},
		{[]Option{WithConcurrency(3)}, 20, 3},
		{[]Option{WithConcurrency(0)}, 5, 1},
		{[]Option{WithConcurrency(50)}, 12, 12},
	} {
		f := &inFlight{}
		refs := unitRefs(tc.refs)
		bags, errs := New(f, tc.opts...).ReadUnits(context.Background(), refs)
		assert.Equal(t, tc.bound, f.max, "bound %d", tc.bound)
		assert.Equal(t, tc.refs, f.calls)
		for i, ref := range refs {
			require.NoError(t, errs[i])
			assert.Equal(t, map[string]string{"unit": ref.Unit}, bags[i], "results in order")
		}
	}
}

func TestReadUnitsIsolatesFailures(t *testing.T) {
	f := &inFlight{}
	refs := []httprelation.UnitRef{
		{RelationID: "web:1", Unit: "web/0"},
		{RelationID: "web:1", Unit: "web/bad"},
		{RelationID: "web:1", Unit: "-bad"},
		{RelationID: "web:1", Unit: "web/2"},
		{RelationID: "web:1", Unit: "web/0"},
	}
	bags, errs := New(f).ReadUnits(context.Background(), refs)
	require.Len(t, bags, 5)
	require.Len(t, errs, 5)
	assert.Equal(t, map[string]string{"unit": "web/0"}, bags[0])
	assert.ErrorIs(t, errs[1], httprelation.ErrUnitNotFound)
	assert.Nil(t, bags[1])
	assert.Error(t, errs[2])
	assert.Equal(t, map[string]string{"unit": "web/2"}, bags[3])
	assert.Equal(t, bags[0], bags[4])
	assert.NoError(t, errs[4])
	assert.Equal(t, 3, f.calls, "a repeated ref is read once, a bad argument never")
}

func TestReadUnitsEmpty(t *testing.T) {
	bags, errs := New(&inFlight{}).ReadUnits(context.Background(), nil)
	assert.Empty(t, bags)
	assert.Empty(t, errs)
}

func TestReadUnitsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &inFlight{}
	_, errs := New(f).ReadUnits(ctx, unitRefs(4))
	for _, err := range errs {
		assert.ErrorIs(t, err, context.Canceled)
	}
	assert.Zero(t, f.calls)
}
