package hooktools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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
		bags, errs, err := readAll(context.Background(), New(f, tc.opts...), refs)
		require.NoError(t, err)
		assert.Equal(t, tc.bound, f.max, "bound %d", tc.bound)
		assert.Equal(t, tc.refs, f.calls)
		for i, ref := range refs {
			require.NoError(t, errs[i])
			assert.Equal(t, map[string]string{"unit": ref.Unit}, bags[i], "results in order")
		}
	}
}

// TestReadUnitsHandsOverEveryResult: a failed read is fn's to judge; as
// long as fn accepts, every ref reaches it once, good or bad.
func TestReadUnitsHandsOverEveryResult(t *testing.T) {
	f := &inFlight{}
	refs := []httprelation.UnitRef{
		{RelationID: "web:1", Unit: "web/0"},
		{RelationID: "web:1", Unit: "web/bad"},
		{RelationID: "web:1", Unit: "-bad"},
		{RelationID: "web:1", Unit: "web/2"},
		{RelationID: "web:1", Unit: "web/0"},
	}
	bags, errs, err := readAll(context.Background(), New(f), refs)
	require.NoError(t, err)
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
	f := &inFlight{}
	err := New(f).ReadUnits(context.Background(), nil, func(int, map[string]string, error) error {
		t.Fatal("fn called without refs")
		return nil
	})
	assert.NoError(t, err)
	assert.Zero(t, f.calls)
}

func TestReadUnitsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &inFlight{}
	_, errs, err := readAll(ctx, New(f), unitRefs(4))
	assert.ErrorIs(t, err, context.Canceled)
	for _, e := range errs {
		if e != nil {
			assert.ErrorIs(t, e, context.Canceled)
		}
	}
	assert.Zero(t, f.calls)
}

// TestReadUnitsCallsFnOneAtATime: fn may use plain maps and slices.
func TestReadUnitsCallsFnOneAtATime(t *testing.T) {
	var now, most atomic.Int32
	err := New(&inFlight{}, WithConcurrency(8)).ReadUnits(context.Background(), unitRefs(40),
		func(int, map[string]string, error) error {
			most.Store(max(most.Load(), now.Add(1)))
			time.Sleep(time.Millisecond)
			now.Add(-1)
			return nil
		})
	require.NoError(t, err)
	assert.Equal(t, int32(1), most.Load())
}

// hanging answers relation-get of units named ".../fail" with a failure
// after a pause, and hangs every other call until its context ends,
// counting the calls that started and the ones that saw their context
// end.
type hanging struct {
	started, cancelled atomic.Int32
}

func (h *hanging) Run(ctx context.Context, _ string, args []string, _ []byte) ([]byte, error) {
	h.started.Add(1)
	if strings.HasSuffix(args[len(args)-1], "/fail") {
		time.Sleep(20 * time.Millisecond)
		return nil, &ToolError{Tool: "relation-get", Args: args, ExitCode: 1, Message: "connection is shut down"}
	}
	<-ctx.Done()
	h.cancelled.Add(1)
	return nil, ctx.Err()
}

// TestReadUnitsStopsAtFirstError (issue 9, class 9): the first error fn
// returns cancels the reads in flight and starts no more; ReadUnits
// returns it long before any per-call deadline, whatever the number of
// units and where among the reads in flight the failing one is.
func TestReadUnitsStopsAtFirstError(t *testing.T) {
	for _, tc := range []struct {
		units, failing, concurrency int
	}{
		{1, 0, 8},
		{3, 2, 8},
		{24, 5, 8},
		{1000, 7, 8},
		{1000, 0, 1},
		{50, 49, 50},
	} {
		t.Run(fmt.Sprintf("%d units, #%d fails, %d at once", tc.units, tc.failing, tc.concurrency), func(t *testing.T) {
			refs := unitRefs(tc.units)
			refs[tc.failing].Unit = "web/fail"
			h := &hanging{}
			acc := New(h, WithConcurrency(tc.concurrency), WithTimeout(time.Minute))
			boom := errors.New("boom")
			start := time.Now()
			err := acc.ReadUnits(context.Background(), refs, func(_ int, _ map[string]string, err error) error {
				if err != nil {
					return fmt.Errorf("%w: %w", boom, err)
				}
				return nil
			})
			require.ErrorIs(t, err, boom)
			assert.Less(t, time.Since(start), 10*time.Second, "no read waited for its deadline")
			// Every read that started and did not fail was cancelled.
			assert.Equal(t, h.started.Load()-1, h.cancelled.Load())
			assert.LessOrEqual(t, int(h.started.Load()), tc.concurrency+1, "no read started after the failure")
		})
	}
}

// TestReadUnitsDeadline: ctx ending in the middle stops the reads; the
// error is ctx's.
func TestReadUnitsDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	h := &hanging{}
	_, _, err := readAll(ctx, New(h), unitRefs(100))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, h.started.Load(), h.cancelled.Load())
	assert.LessOrEqual(t, int(h.started.Load()), DefaultConcurrency)
}

// TestReadUnitsAllHanging (issue 9, class 9): with every read hanging,
// the first per-call deadline ends them all, for 1 unit or 1000.
func TestReadUnitsAllHanging(t *testing.T) {
	const deadline = 200 * time.Millisecond
	for _, units := range []int{1, 8, 9, 1000} {
		t.Run(fmt.Sprint(units), func(t *testing.T) {
			h := &hanging{}
			start := time.Now()
			err := New(h, WithTimeout(deadline)).ReadUnits(context.Background(), unitRefs(units),
				func(_ int, _ map[string]string, err error) error { return err })
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), deadline+5*time.Second)
			assert.Equal(t, h.started.Load(), h.cancelled.Load())
			assert.LessOrEqual(t, int(h.started.Load()), DefaultConcurrency)
		})
	}
}
