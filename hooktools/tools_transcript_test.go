package hooktools

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestToolsTranscript makes, for each call of charm-tools.json that a
// Tools method makes, that method's call over a replay of the recording,
// and checks what it returns against the recorded bytes: the decoded
// answer, or the failed tool's exit code and message. Each recorded call
// starts from no ports open and no status set.
func TestToolsTranscript(t *testing.T) {
	tr := loadTranscript(t, "charm-tools")
	ctx := context.Background()
	made := 0
	var notMade []string
	for _, c := range tr.Calls {
		replay := newReplay(tr)
		tools := toolsOver(t, replay, "")
		var got any
		var err error
		switch {
		case isCall(c, "application-version-set", "*"):
			err = tools.SetWorkloadVersion(ctx, c.Args[1])
		case isCall(c, "open-port", "*") && strings.Contains(c.Args[1], "/") && c.Exit == 0:
			p, perr := parsePort(c.Args[1])
			require.NoError(t, perr, c.Args[1])
			err = tools.OpenPort(ctx, p)
		case isCall(c, "open-port", "icmp"):
			err = tools.OpenPort(ctx, Port{Protocol: "icmp"})
		case isCall(c, "close-port", "8080/tcp"):
			err = tools.ClosePort(ctx, Port{Protocol: "tcp", Number: 8080})
		case isCall(c, "opened-ports", "--format=json"):
			got, err = tools.OpenedPorts(ctx)
			if err == nil {
				assert.Equal(t, []Port{}, got)
			}
		case isCall(c, "status-get", "--format=json", "--include-data"):
			got, err = tools.Status(ctx)
			if err == nil {
				assert.Equal(t, WorkloadStatus{}, got, "no status set yet")
			}
		case isCall(c, "status-set", "--application", "active", "all good"):
			err = tools.SetApplicationStatus(ctx, WorkloadStatus{Status: "active", Message: "all good"})
		case isCall(c, "goal-state", "--format=json"):
			got, err = tools.GoalState(ctx)
			if err == nil {
				assert.Equal(t, GoalState{Units: map[string]GoalStatus{}, Relations: map[string]map[string]GoalStatus{}}, got)
			}
		case isCall(c, "leader-get", "--format=json"):
			got, err = tools.LeaderSettings(ctx)
			if err == nil {
				assert.Equal(t, map[string]string{}, got)
			}
		case isCall(c, "is-leader", "--format=json"):
			got, err = tools.IsLeader(ctx)
			if err == nil {
				assert.Equal(t, false, got)
			}
		default:
			notMade = append(notMade, strings.Join(c.Args, " "))
			continue
		}
		made++
		require.Len(t, replay.made(), 1, "%q", c.Args)
		assert.Equal(t, canonicalArgs(c.Args), canonicalArgs(replay.made()[0]), "the recorded call, made by the method")
		if c.Exit != 0 {
			var te *ToolError
			require.ErrorAs(t, err, &te, "%q", c.Args)
			assert.Equal(t, c.Exit, te.ExitCode)
			assert.Equal(t, strings.TrimSuffix(strings.TrimPrefix(c.Stderr, "ERROR "), "\n"), te.Message)
			continue
		}
		require.NoError(t, err, "%q", c.Args)
	}
	assert.Equal(t, 11, made)
	// What no method makes: other output formats and flags, calls without
	// their argument, and arguments no Port or WorkloadStatus spells
	// (those are refused before any tool runs: TestToolsTranscriptRefusals).
	assert.Equal(t, []string{
		"application-version-set",
		"open-port 8080",
		"open-port 70000",
		"open-port 80/xyz",
		"open-port --endpoints website 443/tcp",
		"close-port abc",
		"opened-ports",
		"opened-ports --format=json --endpoints",
		"status-get --format=json",
		"status-get --format=json --application",
		"status-set bogus msg",
		"goal-state --format=yaml",
		"leader-get --format=json missing",
		"unit-get --format=json public-address",
		"unit-get --format=json private-address",
		"juju-log --log-level TRACE -- -dash",
		"config-get --format=json port",
	}, notMade)
}

// TestToolsTranscriptRefusals: what the recorded open-port and
// status-set refused, Tools refuses before running anything, saying
// what Juju says where it can.
func TestToolsTranscriptRefusals(t *testing.T) {
	tr := loadTranscript(t, "charm-tools")
	recorded := map[string]string{}
	for _, c := range tr.Calls {
		recorded[strings.Join(c.Args, " ")] = strings.TrimSuffix(strings.TrimPrefix(c.Stderr, "ERROR "), "\n")
	}
	ctx := context.Background()
	replay := newReplay(tr)
	tools := toolsOver(t, replay, "")

	err := tools.SetStatus(ctx, WorkloadStatus{Status: "bogus", Message: "msg"})
	require.Error(t, err)
	require.NotEmpty(t, recorded["status-set bogus msg"])
	assert.Contains(t, err.Error(), recorded["status-set bogus msg"])

	err = tools.OpenPort(ctx, Port{Protocol: "xyz", Number: 80})
	require.Error(t, err)
	require.NotEmpty(t, recorded["open-port 80/xyz"])
	assert.Contains(t, err.Error(), recorded["open-port 80/xyz"])

	err = tools.OpenPort(ctx, Port{Number: 70000})
	assert.ErrorContains(t, err, "invalid port 70000/tcp")
	assert.Empty(t, replay.made())
}

// TestConfigTranscript reads the recorded config-get --all of
// options.json, whose model sets port 8080.
func TestConfigTranscript(t *testing.T) {
	tr := loadTranscript(t, "options")
	replay := newReplay(tr)
	cfg, err := toolsOver(t, replay, "").Config(context.Background())
	require.NoError(t, err)
	port, err := cfg.Int("port")
	require.NoError(t, err)
	assert.Equal(t, 8080, port)
	assert.Equal(t, [][]string{{"config-get", "--format=json", "--all"}}, replay.made())
}
