package hooktools

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTranscriptReads replays every recorded read that the accessor
// makes and checks it returns what the recorded bytes say.
func TestTranscriptReads(t *testing.T) {
	for _, name := range transcriptNames {
		t.Run(name, func(t *testing.T) {
			tr := loadTranscript(t, name)
			checked := 0
			for _, c := range tr.Calls {
				acc := newAccessor(newReplay(tr), WithEnv(tr.env()))
				ctx := context.Background()
				if checkRecordedRead(t, ctx, acc, c) {
					checked++
				}
			}
			assert.GreaterOrEqual(t, checked, 15)
		})
	}
}

// checkRecordedRead makes the accessor call that a recorded read stands
// for and checks it against the recording: the decoded stdout, or the
// exit code and message of a failed call. It reports false for calls that
// are not reads the accessor makes.
func checkRecordedRead(t *testing.T, ctx context.Context, acc *accessor, c recordedCall) bool {
	t.Helper()
	var got, want any
	var err error
	switch {
	case isCall(c, "relation-ids", "--format=json", "*"):
		got, err = acc.RelationIDs(ctx, c.Args[2])
		want = &[]string{}
	case isCall(c, "relation-list", "--format=json", "-r", "*"):
		got, err = acc.RelationUnits(ctx, c.Args[3])
		want = &[]string{}
	case isCall(c, "relation-get", "--format=json", "-r", "*", "-", "*"):
		got, err = acc.UnitData(ctx, c.Args[3], c.Args[5])
		want = &map[string]string{}
	default:
		return false
	}
	if c.Exit != 0 {
		var te *ToolError
		require.ErrorAs(t, err, &te, "%q", c.Args)
		assert.Equal(t, c.Exit, te.ExitCode, "%q", c.Args)
		assert.Equal(t, c.Args[0], te.Tool)
		recorded := strings.TrimSuffix(strings.TrimPrefix(c.Stderr, "ERROR "), "\n")
		// The recording passed "-r ID"; the accessor passes "-r=ID", whose
		// value Juju's parser keeps with its "=" and quotes so.
		spelled := strings.Replace(recorded, `invalid value "`, `invalid value "=`, 1)
		assert.Contains(t, []string{recorded, spelled}, te.Message)
		return true
	}
	require.NoError(t, err, "%q", c.Args)
	require.NoError(t, json.Unmarshal([]byte(c.Stdout), want))
	assert.Equal(t, deref(want), got, "%q", c.Args)
	return true
}

// isCall matches recorded args against a pattern where "*" is any value.
func isCall(c recordedCall, pattern ...string) bool {
	if len(c.Args) != len(pattern) {
		return false
	}
	for i, p := range pattern {
		if p != "*" && p != c.Args[i] {
			return false
		}
	}
	return true
}

func deref(v any) any {
	switch p := v.(type) {
	case *[]string:
		return *p
	case *map[string]string:
		return *p
	}
	return v
}

// TestTranscriptHooks checks what each recorded hook looks like through
// the accessor, with the errors typed.
func TestTranscriptHooks(t *testing.T) {
	shop := map[string][]string{
		"changed":  {"shop/0", "shop/3"},
		"departed": {"shop/0"},
		"broken":   {"shop/0", "shop/3"},
	}
	blog := map[string][]string{"changed": {"blog/1"}, "departed": {"blog/1"}, "broken": {}}
	for _, name := range transcriptNames {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tr := loadTranscript(t, name)
			replay := newReplay(tr)
			acc := newAccessor(replay, WithEnv(tr.env()))

			ids, err := acc.RelationIDs(ctx, "backends")
			require.NoError(t, err)
			assert.Equal(t, []string{"backends:11", "backends:4"}, ids)
			ids, err = acc.RelationIDs(ctx, "nosuch")
			require.NoError(t, err)
			assert.NotNil(t, ids)
			assert.Empty(t, ids)

			units, err := acc.RelationUnits(ctx, "backends:4")
			require.NoError(t, err)
			assert.Equal(t, shop[name], units)
			units, err = acc.RelationUnits(ctx, "backends:11")
			require.NoError(t, err)
			assert.Equal(t, blog[name], units)

			app, err := acc.RemoteApp(ctx, "backends:4")
			require.NoError(t, err)
			assert.Equal(t, "shop", app)
			assert.Zero(t, countArgs(replay, "--app"), "app derived from units")

			_, err = acc.RelationUnits(ctx, "backends:99")
			assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
			_, err = acc.RelationUnits(ctx, "bogus")
			var te *ToolError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, 2, te.ExitCode)
			assert.Equal(t, `invalid value "bogus" for option -r: invalid relation id`, te.Message)
			assert.NotErrorIs(t, err, httprelation.ErrRelationNotFound)

			_, err = acc.UnitData(ctx, "backends:4", "shop/9")
			assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)
			_, err = acc.UnitData(ctx, "backends:4", "other/0")
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "permission denied", te.Message)
			assert.NotErrorIs(t, err, httprelation.ErrUnitNotFound)

			bag, err := acc.UnitData(ctx, "backends:4", "shop/0")
			require.NoError(t, err)
			assert.Equal(t, "8000", bag["port"])
			assert.Equal(t, "172.20.1.10", bag["hostname"])

			addr, err := acc.IngressAddress(ctx, "site:2")
			require.NoError(t, err)
			assert.Equal(t, "172.20.0.5", addr)

			hc, err := acc.HookContext(ctx)
			require.NoError(t, err)
			assert.Equal(t, "lb/0", hc.Unit)
			assert.Equal(t, tr.HookEnv["JUJU_HOOK_NAME"], hc.HookName)
			assert.Equal(t, tr.HookEnv["JUJU_RELATION_ID"], hc.RelationID)
			assert.Equal(t, tr.HookEnv["JUJU_REMOTE_APP"], hc.RemoteApp)
		})
	}
}

func countArgs(r *replayRunner, arg string) int {
	n := 0
	for _, c := range r.made() {
		for _, a := range c {
			if a == arg {
				n++
			}
		}
	}
	return n
}

func TestTranscriptBroken(t *testing.T) {
	tr := loadTranscript(t, "broken")
	acc := newAccessor(newReplay(tr), WithEnv(tr.env()))
	ctx := context.Background()
	_, err := acc.UnitData(ctx, "backends:11", "blog/1")
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)
	hc, err := acc.HookContext(ctx)
	require.NoError(t, err)
	assert.True(t, hc.IsBroken("backends:11"))
	assert.Empty(t, hc.RemoteUnit)
}

func TestTranscriptDeparted(t *testing.T) {
	tr := loadTranscript(t, "departed")
	hc, err := newAccessor(newReplay(tr), WithEnv(tr.env())).HookContext(context.Background())
	require.NoError(t, err)
	assert.True(t, hc.IsDeparting("backends:4", "shop/3"))
	assert.Equal(t, "shop/3", hc.DepartingUnit)
}

// TestTranscriptWrites replays the recorded writes: relation-set on stdin
// (matched by YAML content) and, through the goops adapter, as key=value
// arguments; state-set and juju-log likewise.
func TestTranscriptWrites(t *testing.T) {
	ctx := context.Background()
	tr := loadTranscript(t, "changed")
	replay := newReplay(tr)
	acc := newAccessor(replay, WithEnv(tr.env()))
	require.NoError(t, acc.SetLocalData(ctx, "site:2", map[string]string{
		"hostname": "172.20.0.5", "port": "8080", "private-address": "172.20.0.5",
	}))
	require.NoError(t, acc.SetLocalData(ctx, "site:2", map[string]string{
		"note": "line one\nline two\n", "flag": "yes",
	}))

	goops := FromGoops(goopsReplay{replay})
	gacc := newAccessor(goops, WithEnv(tr.env()))
	require.NoError(t, gacc.SetLocalData(ctx, "site:2", map[string]string{
		"extended_data": `[{"hostname": "a", "port": 1}]`,
	}))
	require.NoError(t, gacc.SetLocalData(ctx, "site:2", map[string]string{"port": ""}))

	bag, err := acc.UnitData(ctx, "site:2", "lb/0")
	require.NoError(t, err)
	assert.Equal(t, "line one\nline two\n", bag["note"])
	assert.Equal(t, "yes", bag["flag"])
	assert.Equal(t, `[{"hostname": "a", "port": 1}]`, bag["extended_data"])

	store := newStateStore(goops)
	state, err := store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{}, state)
	require.NoError(t, store.Save(ctx, map[string]string{"available": "true"}))
	state, err = store.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"available": "true"}, state)

	slog.New(newLogHandler(replay)).Warn("hello")
	assert.Equal(t, 1, replay.count("juju-log"))

	for _, c := range replay.made() {
		assert.NotContains(t, c, "--app", "no application data is used")
	}
}
