package toolsim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
)

// TestFaultAnswers: a faulted call prints exactly what the fault says,
// exits with its status, leaves the model alone and is logged; calls the
// fault does not match answer as usual.
func TestFaultAnswers(t *testing.T) {
	m := baseModel(t)
	m.Faults = map[string]Fault{
		"relation-get shop/3":  {Exit: 1, Stderr: "ERROR permission denied\n"},
		"relation-get":         {Stdout: "tool-wide fault"},
		"relation-ids":         {Stdout: "not json\n"},
		"relation-list":        {},
		"relation-set site:2":  {Exit: 2, Stdout: "partial", Stderr: "ERROR boom\n"},
		"state-delete flag.x":  {Exit: 1},
		"network-get backends": {Exit: 0, Stdout: `{"ingress-addresses": 5}`},
		"unit-get":             {Stdout: `"`, Fill: 5, StdoutEnd: `"` + "\n"},
		"config-get":           {Stdout: "only", Fill: 0, StdoutEnd: " dropped without a fill"},
	}
	p := newInProc(t, m, map[string]string{"JUJU_RELATION_ID": "backends:4", "JUJU_REMOTE_UNIT": "shop/0"})

	tests := []struct {
		argv []string
		want result
	}{
		{[]string{"relation-get", "--format=json", "-r", "backends:4", "-", "shop/3"}, result{"", "ERROR permission denied\n", 1}},
		{[]string{"relation-ids", "--format=json", "backends"}, result{"not json\n", "", 0}},
		{[]string{"relation-list", "--format=json", "-r", "backends:4"}, result{"", "", 0}},
		{[]string{"relation-set", "-r", "site:2", "k=v"}, result{"partial", "ERROR boom\n", 2}},
		// An option's value in one argument matches the same fault.
		{[]string{"relation-set", "-r=site:2", "k=v"}, result{"partial", "ERROR boom\n", 2}},
		{[]string{"relation-get", "--format=json", "-r=backends:4", "-", "shop/3"}, result{"", "ERROR permission denied\n", 1}},
		{[]string{"state-delete", "flag.x"}, result{"", "", 1}},
		{[]string{"network-get", "--format=json", "-r", "backends:4", "backends"}, result{`{"ingress-addresses": 5}`, "", 0}},
		// A fill between stdout and its end; none without a fill.
		{[]string{"unit-get", "--format=json", "private-address"}, result{`"xxxxx"` + "\n", "", 0}},
		{[]string{"config-get", "--format=json"}, result{"only", "", 0}},
		// Not matched: the real answers.
		{[]string{"relation-set", "-r", "backends:4", "k=v"}, result{"", "", 0}},
		{[]string{"state-delete", "other"}, result{"", "", 0}},
		{[]string{"network-get", "--format=json", "-r", "site:2", "site", "--ingress-address"}, result{`"172.20.0.5"` + "\n", "", 0}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, p.run(nil, tc.argv...), "%q", tc.argv)
	}
	// relation-get of another unit matches the tool-wide fault.
	assert.Equal(t, result{"tool-wide fault", "", 0},
		p.run(nil, "relation-get", "--format=json", "-r", "backends:4", "-", "shop/0"))

	after := p.model(t)
	assert.NotContains(t, after.Relations["site:2"].Local, "k", "a faulted write changes nothing")
	assert.Equal(t, "v", after.Relations["backends:4"].Local["k"])

	calls := p.calls(t)
	require.Len(t, calls, len(tests)+1)
	assert.Equal(t, "relation-set", calls[3].Tool)
	assert.Equal(t, 2, calls[3].Exit)
	assert.Equal(t, "ERROR boom\n", calls[3].Stderr)
}

// TestFaultEnv: TOOLSIM_FAULTS is laid over the model's faults, key by
// key, and a malformed value is reported, not ignored.
func TestFaultEnv(t *testing.T) {
	m := baseModel(t)
	m.Faults = map[string]Fault{
		"unit-get":  {Exit: 1, Stderr: "ERROR from model\n"},
		"is-leader": {Exit: 1, Stderr: "ERROR from model\n"},
	}
	p := newInProc(t, m, nil)
	p.env["TOOLSIM_FAULTS"] = `{"unit-get": {"exit": 2, "stderr": "ERROR from env\n"}}`
	assert.Equal(t, result{"", "ERROR from env\n", 2}, p.run(nil, "unit-get", "private-address"))
	assert.Equal(t, result{"", "ERROR from model\n", 1}, p.run(nil, "is-leader"))

	p.env["TOOLSIM_FAULTS"] = `{"unit-get": 1}`
	r := p.run(nil, "unit-get", "private-address")
	assert.Equal(t, 1, r.exit)
	assert.Contains(t, r.stderr, "ERROR invalid TOOLSIM_FAULTS: ")

	// Faults survive the model's round trip through its file.
	assert.Equal(t, m.Faults, p.model(t).Faults)
}

// TestFaultHangAndKill runs real tool processes: a hanging tool runs
// until its caller's deadline kills it, and a killed tool dies of SIGKILL.
func TestFaultHangAndKill(t *testing.T) {
	t.Parallel()
	m := baseModel(t)
	m.Faults = map[string]Fault{
		"relation-list": {Hang: true},
		"relation-get":  {Kill: true},
	}
	s := Start(t, m, map[string]string{"JUJU_RELATION_ID": "backends:4"})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	cmd := s.command(ctx, "relation-list", "--format=json")
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	require.Error(t, err)
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)

	cmd = s.command(context.Background(), "relation-get", "--format=json", "-", "shop/0")
	var out strings.Builder
	cmd.Stdout = &out
	err = cmd.Run()
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "%v", err)
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.True(t, status.Signaled())
	assert.Equal(t, syscall.SIGKILL, status.Signal())
	assert.Empty(t, out.String())

	// Neither call got as far as the log; the others still answer.
	r := runProcess(t, s, nil, "relation-ids", "--format=json", "backends")
	assert.Equal(t, result{`["backends:11","backends:4"]` + "\n", "", 0}, r)
	calls, err := calllog.Read(s.LogPath)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	assert.Equal(t, "relation-ids", calls[0].Tool)
}

// TestFaultSpawn: a hanging tool with Spawn starts a child that hangs on
// its output and names it in the pid file; killing the tool's process
// group ends both.
func TestFaultSpawn(t *testing.T) {
	t.Parallel()
	m := baseModel(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	m.Faults = map[string]Fault{"relation-list": {Hang: true, Spawn: pidFile}}
	s := Start(t, m, map[string]string{"JUJU_RELATION_ID": "backends:4"})

	cmd := s.command(context.Background(), "relation-list", "--format=json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	var pid int
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(pidFile)
		if err != nil || len(data) == 0 {
			return false
		}
		pid, err = strconv.Atoi(string(data))
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, syscall.Kill(pid, 0), "the child runs")
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL))
	_ = cmd.Wait()
	assert.Eventually(t, func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(stat), ") Z ")
	}, 5*time.Second, 10*time.Millisecond, "the child %d outlived its group", pid)
}
