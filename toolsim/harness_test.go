package toolsim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
)

// Many simulator processes at once, as the accessor's parallel reads and a
// charm's concurrent writes produce: no write may be lost, no reader may
// see a torn model, no log line may be torn.
func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	s := Start(t, baseModel(t), map[string]string{"JUJU_RELATION_ID": "site:2"})
	const writers = 20
	var wg sync.WaitGroup
	results := make(chan result, 3*writers)
	for i := range writers {
		wg.Add(3)
		go func() {
			defer wg.Done()
			results <- runProcess(t, s, nil, "relation-set", fmt.Sprintf("key%02d=value %d", i, i))
		}()
		go func() {
			defer wg.Done()
			results <- runProcess(t, s, ptr(fmt.Sprintf("s%02d: \"%d\"\n", i, i)), "state-set", "--file", "-")
		}()
		go func() {
			defer wg.Done()
			r := runProcess(t, s, nil, "relation-get", "--format=json", "-", "lb/0")
			var bag map[string]string
			if json.Unmarshal([]byte(r.stdout), &bag) != nil || bag["private-address"] != "172.20.0.5" {
				r.exit = -1 // a torn or partial model
			}
			results <- r
		}()
	}
	wg.Wait()
	close(results)
	for r := range results {
		assert.Equal(t, 0, r.exit, r.stderr)
	}

	m, err := s.Model()
	require.NoError(t, err)
	for i := range writers {
		assert.Equal(t, fmt.Sprintf("value %d", i), m.Relations["site:2"].Local[fmt.Sprintf("key%02d", i)])
		assert.Equal(t, fmt.Sprint(i), m.State[fmt.Sprintf("s%02d", i)])
	}
	calls, err := calllog.Read(s.LogPath)
	require.NoError(t, err)
	assert.Len(t, calls, 3*writers)
}

func TestCallLog(t *testing.T) {
	t.Parallel()
	s := Start(t, baseModel(t), map[string]string{"JUJU_RELATION_ID": "site:2"})
	before := time.Now()
	runProcess(t, s, nil, "relation-ids", "--format=json", "site")
	runProcess(t, s, ptr("a: b\n"), "relation-set", "--file", "-")
	runProcess(t, s, ptr("ignored"), "relation-get", "-", "other/0")

	calls, err := calllog.Read(s.LogPath)
	require.NoError(t, err)
	require.Len(t, calls, 3)
	assert.Equal(t, "relation-ids", calls[0].Tool)
	assert.Equal(t, []string{"--format=json", "site"}, calls[0].Args)
	assert.Nil(t, calls[0].Stdin, "a tool that reads no input logs none")
	assert.Equal(t, `["site:2"]`+"\n", calls[0].Stdout)
	assert.Equal(t, ptr("a: b\n"), calls[1].Stdin)
	assert.Equal(t, 1, calls[2].Exit)
	assert.Equal(t, "ERROR permission denied\n", calls[2].Stderr)
	for i, c := range calls {
		assert.False(t, c.Start.Before(before.Add(-time.Second)), "call %d start", i)
		assert.Positive(t, c.Duration, "call %d duration", i)
		if i > 0 {
			assert.False(t, c.Start.Before(calls[i-1].Start), "calls in order")
		}
	}

	// A damaged line costs only itself.
	f, err := os.OpenFile(s.LogPath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("{torn\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	runProcess(t, s, nil, "is-leader")
	calls, err = calllog.Read(s.LogPath)
	assert.ErrorContains(t, err, "call log line 4")
	require.Len(t, calls, 4)
	assert.Equal(t, "is-leader", calls[3].Tool)
}

func TestHookSequence(t *testing.T) {
	t.Parallel()
	s := Start(t, baseModel(t), map[string]string{
		"JUJU_HOOK_NAME": "backends-relation-changed", "JUJU_RELATION_ID": "backends:4",
		"JUJU_REMOTE_UNIT": "shop/3", "JUJU_REMOTE_APP": "shop",
	})
	assert.Equal(t, "shop/0\nshop/3\n", runProcess(t, s, nil, "relation-list").stdout)

	s.SetHookEnv(map[string]string{
		"JUJU_HOOK_NAME": "backends-relation-departed", "JUJU_RELATION_ID": "backends:4",
		"JUJU_REMOTE_UNIT": "shop/3", "JUJU_REMOTE_APP": "shop", "JUJU_DEPARTING_UNIT": "shop/3",
	})
	assert.Equal(t, "shop/0\n", runProcess(t, s, nil, "relation-list").stdout)
	assert.Equal(t, "172.20.1.13\n", runProcess(t, s, nil, "relation-get", "private-address").stdout)

	s.SetHookEnv(map[string]string{
		"JUJU_HOOK_NAME": "backends-relation-broken", "JUJU_RELATION_ID": "backends:4", "JUJU_REMOTE_APP": "shop",
	})
	assert.Equal(t, result{"", "", 0}, runProcess(t, s, nil, "relation-list"))
	assert.Equal(t, "backends:11\nbackends:4\n", runProcess(t, s, nil, "relation-ids").stdout)
}

func TestEnviron(t *testing.T) {
	t.Setenv("JUJU_REMOTE_UNIT", "leaked/0")
	t.Setenv("TOOLSIM_LATENCY_MS", "0")
	s := Start(t, baseModel(t), map[string]string{"JUJU_UNIT_NAME": "lb/0", "JUJU_RELATION_ID": "site:2"})
	env := s.Environ()
	assert.Contains(t, env, "JUJU_UNIT_NAME=lb/0")
	assert.Contains(t, env, "JUJU_RELATION_ID=site:2")
	assert.Contains(t, env, "TOOLSIM_MODEL="+s.ModelPath)
	assert.Contains(t, env, "TOOLSIM_LOG="+s.LogPath)
	assert.Contains(t, env, "TOOLSIM_LATENCY_MS=0", "other settings pass through")
	assert.NotContains(t, env, "JUJU_REMOTE_UNIT=leaked/0")
	var path string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	assert.True(t, strings.HasPrefix(path, s.Dir+string(os.PathListSeparator)), path)

	// The tools are found through PATH, as a charm finds them.
	var tool string
	for _, dir := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(dir, "relation-list")); err == nil {
			tool = filepath.Join(dir, "relation-list")
			break
		}
	}
	require.NotEmpty(t, tool, "relation-list on %s", path)
	cmd := exec.Command(tool, "--format=json")
	cmd.Env = env
	out, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, `["edge/0"]`+"\n", string(out))
}

func TestNewSimAndBuild(t *testing.T) {
	t.Parallel()
	_, err := NewSim("/nonexistent", t.TempDir(), nil, nil)
	require.Error(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bin, err := build(ctx, t.TempDir())
	require.NoError(t, err)
	s, err := NewSim(bin, t.TempDir(), baseModel(t), nil)
	require.NoError(t, err)
	assert.Equal(t, result{"False\n", "", 0}, runProcess(t, s, nil, "is-leader"))
	m, err := s.Model()
	require.NoError(t, err)
	assert.Equal(t, "lb/0", m.Unit)
}
