package calllog

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	start := time.Unix(1700000000, 123456789)
	in := "a: b\n"
	require.NoError(t, Append(path, Call{Tool: "relation-ids", Start: start, Duration: time.Millisecond, Stdout: "x\n"}))
	require.NoError(t, Append(path, Call{Tool: "relation-set", Args: []string{"--file", "-"}, Stdin: &in, Exit: 2, Stderr: "ERROR no\n"}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"args":[],"stdin":null`, "no arguments log as [], no input as null")

	calls, err := Read(path)
	require.NoError(t, err)
	require.Len(t, calls, 2)
	assert.Equal(t, "relation-ids", calls[0].Tool)
	assert.Equal(t, []string{}, calls[0].Args)
	assert.Nil(t, calls[0].Stdin)
	assert.True(t, start.Equal(calls[0].Start))
	assert.Equal(t, time.Millisecond, calls[0].Duration)
	assert.Equal(t, "x\n", calls[0].Stdout)
	assert.Equal(t, []string{"--file", "-"}, calls[1].Args)
	assert.Equal(t, &in, calls[1].Stdin)
	assert.Equal(t, 2, calls[1].Exit)
	assert.Equal(t, "ERROR no\n", calls[1].Stderr)
}

// Lines appended at once by many processes never interleave.
func TestAppendConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, Append(path, Call{Tool: "is-leader", Stdout: string(make([]byte, 4096))}))
		}()
	}
	wg.Wait()
	calls, err := Read(path)
	require.NoError(t, err)
	assert.Len(t, calls, 50)
}

// A damaged line costs only itself; a missing log is an error.
func TestReadTornLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	require.NoError(t, Append(path, Call{Tool: "is-leader"}))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("{torn\n\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, Append(path, Call{Tool: "relation-ids"}))

	names, err := ToolNames(path)
	assert.ErrorContains(t, err, "call log line 2")
	assert.Equal(t, []string{"is-leader", "relation-ids"}, names)

	require.NoError(t, os.Remove(path))
	names, err = ToolNames(path)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Empty(t, names)
}
