package hooktools

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestToolKilledWithItsGroup: a tool that started a child and hangs is
// killed with that child when its deadline passes, when its context is
// cancelled, and when a requirer's read stops at another unit's failure;
// the child does not outlive it.
func TestToolKilledWithItsGroup(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spawnOnly string // the unit whose read spawns and hangs; "" for all
		run       func(t *testing.T, r ExecRunner, pidFile string) error
	}{
		{"deadline", "", func(t *testing.T, r ExecRunner, _ string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := r.Run(ctx, "relation-get", nil, nil)
			return err
		}},
		{"per-call timeout", "", func(t *testing.T, r ExecRunner, _ string) error {
			_, err := newAccessor(r, WithTimeout(300*time.Millisecond)).UnitData(context.Background(), "web:1", "web/0")
			return err
		}},
		{"cancelled", "", func(t *testing.T, r ExecRunner, _ string) error {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			_, err := r.Run(ctx, "relation-get", nil, nil)
			return err
		}},
		{"read stopped by another unit's failure", "web/0", func(t *testing.T, r ExecRunner, pidFile string) error {
			// web/1's read answers nothing at once, a ParseError, once
			// web/0's hangs with its child; that failure stops it.
			acc := twoUnits{newAccessor(r, WithTimeout(time.Minute)), func() { readPID(t, pidFile) }}
			_, err := httprelation.NewRequires(acc, "web").Services(context.Background())
			require.ErrorIs(t, err, ErrBadOutput)
			return context.Canceled
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := toolDir(t, "relation-get")
			pidFile := filepath.Join(t.TempDir(), "child.pid")
			r := ExecRunner{Env: fakeEnv(dir, "FAKE_MODE=spawn", "FAKE_PIDFILE="+pidFile, "FAKE_SPAWN_ONLY="+tc.spawnOnly)}
			start := time.Now()
			err := tc.run(t, r, pidFile)
			require.Error(t, err)
			assert.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled), "%v", err)
			assert.Less(t, time.Since(start), 5*time.Second)
			pid := readPID(t, pidFile)
			assert.Eventually(t, func() bool { return processGone(pid) }, 5*time.Second, 20*time.Millisecond,
				"the tool's child %d outlived it", pid)
		})
	}
}

// readPID reads the pid the spawning fake tool wrote.
func readPID(t *testing.T, path string) int {
	t.Helper()
	var data []byte
	require.Eventually(t, func() bool {
		var err error
		data, err = os.ReadFile(path)
		return err == nil && len(data) > 0
	}, 5*time.Second, 10*time.Millisecond, "the tool never started its child")
	pid, err := strconv.Atoi(string(data))
	require.NoError(t, err)
	return pid
}

// processGone reports whether pid is no longer running: absent, or a
// zombie that only waits for its new parent to reap it.
func processGone(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	fields := strings.Fields(rest)
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// twoUnits is a hook of relation web:1 listing web/0 and web/1, whose
// bags acc reads; web/1's read waits for before to return.
type twoUnits struct {
	*accessor
	before func()
}

func (twoUnits) HookContext(context.Context) (httprelation.HookContext, error) {
	return httprelation.HookContext{Unit: "lb/0"}, nil
}

func (twoUnits) RelationIDs(context.Context, string) ([]string, error) { return []string{"web:1"}, nil }

func (twoUnits) RelationUnits(context.Context, string) ([]string, error) {
	return []string{"web/0", "web/1"}, nil
}

func (u twoUnits) UnitData(ctx context.Context, relationID, unit string) (map[string]string, error) {
	if unit == "web/1" {
		u.before()
	}
	return u.accessor.UnitData(ctx, relationID, unit)
}
