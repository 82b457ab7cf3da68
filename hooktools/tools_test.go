package hooktools

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// toolsOver returns the Tools of a unit that NewUnit wires to r, in the
// charm directory dir ("" for none).
func toolsOver(t *testing.T, r Runner, dir string, opts ...UnitOption) *Tools {
	t.Helper()
	unit, err := NewUnit(append([]UnitOption{WithRunner(r), WithEnv(Env{Unit: "lb/0", CharmDir: dir})}, opts...)...)
	require.NoError(t, err)
	return ToolsOf(unit)
}

// toolsCall is one method of Tools, made with valid arguments.
type toolsCall struct {
	tool string
	call func(context.Context, *Tools) error
}

// everyToolsCall makes each method of Tools once.
var everyToolsCall = []toolsCall{
	{"config-get", func(ctx context.Context, t *Tools) error { _, err := t.Config(ctx); return err }},
	{"status-set", func(ctx context.Context, t *Tools) error {
		return t.SetStatus(ctx, WorkloadStatus{Status: "active", Message: "ready"})
	}},
	{"status-set", func(ctx context.Context, t *Tools) error {
		return t.SetApplicationStatus(ctx, WorkloadStatus{Status: "active"})
	}},
	{"status-get", func(ctx context.Context, t *Tools) error { _, err := t.Status(ctx); return err }},
	{"open-port", func(ctx context.Context, t *Tools) error { return t.OpenPort(ctx, Port{Number: 80}) }},
	{"close-port", func(ctx context.Context, t *Tools) error { return t.ClosePort(ctx, Port{Number: 80}) }},
	{"opened-ports", func(ctx context.Context, t *Tools) error { _, err := t.OpenedPorts(ctx); return err }},
	{"application-version-set", func(ctx context.Context, t *Tools) error { return t.SetWorkloadVersion(ctx, "1.0") }},
	{"is-leader", func(ctx context.Context, t *Tools) error { _, err := t.IsLeader(ctx); return err }},
	{"leader-get", func(ctx context.Context, t *Tools) error { _, err := t.LeaderSettings(ctx); return err }},
	{"leader-set", func(ctx context.Context, t *Tools) error {
		return t.SetLeaderSettings(ctx, map[string]string{"k": "v"})
	}},
	{"goal-state", func(ctx context.Context, t *Tools) error { _, err := t.GoalState(ctx); return err }},
}

func TestToolsArguments(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func(*Tools) error
		want []string
	}{
		{"Config", func(tl *Tools) error { _, err := tl.Config(ctx); return err }, []string{"config-get", "--format=json", "--all"}},
		{"SetStatus", func(tl *Tools) error {
			return tl.SetStatus(ctx, WorkloadStatus{Status: "active", Message: "serving on :80"})
		},
			[]string{"status-set", "active", "serving on :80"}},
		{"SetStatus empty message", func(tl *Tools) error { return tl.SetStatus(ctx, WorkloadStatus{Status: "maintenance"}) },
			[]string{"status-set", "maintenance", ""}},
		{"SetStatus message like a flag", func(tl *Tools) error {
			return tl.SetStatus(ctx, WorkloadStatus{Status: "blocked", Message: "-1 backends"})
		},
			[]string{"status-set", "--", "blocked", "-1 backends"}},
		{"SetApplicationStatus", func(tl *Tools) error {
			return tl.SetApplicationStatus(ctx, WorkloadStatus{Status: "waiting", Message: "--x"})
		},
			[]string{"status-set", "--application", "--", "waiting", "--x"}},
		{"Status", func(tl *Tools) error { _, err := tl.Status(ctx); return err }, []string{"status-get", "--format=json", "--include-data"}},
		{"OpenPort", func(tl *Tools) error { return tl.OpenPort(ctx, Port{Number: 8080}) }, []string{"open-port", "8080/tcp"}},
		{"OpenPort range", func(tl *Tools) error { return tl.OpenPort(ctx, Port{Protocol: "udp", Number: 8000, To: 8099}) },
			[]string{"open-port", "8000-8099/udp"}},
		{"OpenPort icmp", func(tl *Tools) error { return tl.OpenPort(ctx, Port{Protocol: "icmp"}) }, []string{"open-port", "icmp"}},
		{"ClosePort", func(tl *Tools) error { return tl.ClosePort(ctx, Port{Protocol: "tcp", Number: 443}) }, []string{"close-port", "443/tcp"}},
		{"OpenedPorts", func(tl *Tools) error { _, err := tl.OpenedPorts(ctx); return err }, []string{"opened-ports", "--format=json"}},
		{"SetWorkloadVersion", func(tl *Tools) error { return tl.SetWorkloadVersion(ctx, "1.2.3") }, []string{"application-version-set", "1.2.3"}},
		{"SetWorkloadVersion like a flag", func(tl *Tools) error { return tl.SetWorkloadVersion(ctx, "-rc1") },
			[]string{"application-version-set", "--", "-rc1"}},
		{"IsLeader", func(tl *Tools) error { _, err := tl.IsLeader(ctx); return err }, []string{"is-leader", "--format=json"}},
		{"LeaderSettings", func(tl *Tools) error { _, err := tl.LeaderSettings(ctx); return err }, []string{"leader-get", "--format=json"}},
		{"SetLeaderSettings", func(tl *Tools) error { return tl.SetLeaderSettings(ctx, map[string]string{"b": "x=1 y", "a": ""}) },
			[]string{"leader-set", "a=", "b=x=1 y"}},
		{"GoalState", func(tl *Tools) error { _, err := tl.GoalState(ctx); return err }, []string{"goal-state", "--format=json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, errors.New("recorded") }}
			_ = tc.call(toolsOver(t, r, ""))
			calls := r.seen()
			require.Len(t, calls, 1)
			assert.Equal(t, tc.want, append([]string{calls[0].Tool}, calls[0].Args...))
			assert.Nil(t, calls[0].Stdin)
		})
	}
}

func TestToolsReturnToolErrors(t *testing.T) {
	for _, tc := range everyToolsCall {
		t.Run(tc.tool, func(t *testing.T) {
			r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
				return nil, &ToolError{Tool: c.Tool, Args: c.Args, ExitCode: 1, Message: "permission denied"}
			}}
			err := tc.call(context.Background(), toolsOver(t, r, ""))
			var te *ToolError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tc.tool, te.Tool)
			assert.Equal(t, "permission denied", te.Message)
			assert.Len(t, r.seen(), 1, "a failure is not retried")
		})
	}
}

func TestToolsCapOutput(t *testing.T) {
	huge := bytes.Repeat([]byte(" "), MaxOutput+1)
	for _, tc := range everyToolsCall {
		t.Run(tc.tool, func(t *testing.T) {
			r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return huge, nil }}
			err := tc.call(context.Background(), toolsOver(t, r, ""))
			assert.ErrorIs(t, err, ErrOutputTooLarge)
			assert.ErrorContains(t, err, tc.tool)
		})
	}
	t.Run("opened-ports reads a list", func(t *testing.T) {
		list := `["80/tcp"` + strings.Repeat(` `, MaxListOutput) + `]`
		r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return []byte(list), nil }}
		_, err := toolsOver(t, r, "").OpenedPorts(context.Background())
		assert.ErrorIs(t, err, ErrOutputTooLarge)
	})
}

func TestToolsRunNothingOnceTheContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range everyToolsCall {
		t.Run(tc.tool, func(t *testing.T) {
			r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return []byte("{}"), nil }}
			err := tc.call(ctx, toolsOver(t, r, ""))
			assert.ErrorIs(t, err, context.Canceled)
			assert.Empty(t, r.seen())
		})
	}
}

// TestToolsKeepThePerCallDeadline: a tool that hangs is ended at the
// unit's per-call deadline (WithTimeout), not at the caller's context.
func TestToolsKeepThePerCallDeadline(t *testing.T) {
	const deadline = 50 * time.Millisecond
	hang := &funcRunner{fn: func(ctx context.Context, c call) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	for _, tc := range everyToolsCall {
		t.Run(tc.tool, func(t *testing.T) {
			tools := toolsOver(t, hang, "", WithTimeout(deadline)) // a unit of its own: no stall yet
			start := time.Now()
			err := tc.call(context.Background(), tools)
			took := time.Since(start)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.GreaterOrEqual(t, took, deadline)
			assert.Less(t, took, 5*time.Second, "ended by the deadline, not left hanging")

			// The unit does not wait on that tool again in the hook.
			start = time.Now()
			err = tc.call(context.Background(), tools)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), deadline, "a stalled tool fails at once")
		})
	}
}

// foreignAccessor is an httprelation.Accessor that hooktools did not
// make.
type foreignAccessor struct{ httprelation.Accessor }

func TestToolsOfAUnitNewUnitDidNotMake(t *testing.T) {
	for name, tools := range map[string]*Tools{
		"foreign accessor": ToolsOf(httprelation.Unit{Accessor: foreignAccessor{}, CharmDir: "."}),
		"no accessor":      ToolsOf(httprelation.Unit{}),
		"zero Tools":       {},
		"nil Tools":        nil,
	} {
		t.Run(name, func(t *testing.T) {
			for _, tc := range everyToolsCall {
				err := tc.call(context.Background(), tools)
				require.ErrorIs(t, err, ErrNotInHook, tc.tool)
				assert.ErrorContains(t, err, tc.tool)
			}
		})
	}
	err := ToolsOf(httprelation.Unit{Accessor: foreignAccessor{}}).SetStatus(context.Background(), WorkloadStatus{Status: "active"})
	assert.ErrorContains(t, err, "hooktools.foreignAccessor, not one hooktools.NewUnit made")
}

func TestToolsOfReadsTheUnitsCharmDir(t *testing.T) {
	// The charm directory comes from the unit, and else from the hook
	// environment its Accessor was made with.
	unit, err := NewUnit(WithRunner(answer(nil)), WithEnv(Env{Unit: "lb/0", CharmDir: "/charm"}))
	require.NoError(t, err)
	assert.Equal(t, "/charm", ToolsOf(unit).charmDir)
	unit.CharmDir = ""
	assert.Equal(t, "/charm", ToolsOf(unit).charmDir)
	unit.CharmDir = "/other"
	assert.Equal(t, "/other", ToolsOf(unit).charmDir)
}

// TestToolsAreSafeForConcurrentUse runs every call at once over one
// Tools (go test -race checks it).
func TestToolsAreSafeForConcurrentUse(t *testing.T) {
	r := answer(map[string]string{"config-get --format=json --all": "{}"})
	tools := toolsOver(t, r, "")
	var wg sync.WaitGroup
	for range 4 {
		for _, tc := range everyToolsCall {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = tc.call(context.Background(), tools)
			}()
		}
	}
	wg.Wait()
	_, err := tools.Config(context.Background())
	assert.NoError(t, err)
	configGets := 0
	for _, c := range r.seen() {
		if c.Tool == "config-get" {
			configGets++
		}
	}
	assert.Equal(t, 1, configGets, "one config-get for the unit, however many ask at once")
}
