package hooktools

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoalState(t *testing.T) {
	out := `{"units":{"web/0":{"status":"active","since":"2024-05-01 10:00:00Z"},"web/1":{"status":"waiting"}},` +
		`"relations":{"website":{"haproxy":{"status":"joined","since":"2024-05-01 10:01:02Z"},` +
		`"haproxy/0":{"status":"joining","since":"2024-05-01 10:01:03Z"}},"peers":{}}}` + "\n"
	r := answer(map[string]string{"goal-state --format=json": out})
	got, err := toolsOver(t, r, "").GoalState(context.Background())
	require.NoError(t, err)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm
	}
	assert.Equal(t, GoalState{
		Units: map[string]GoalStatus{
			"web/0": {Status: "active", Since: at("2024-05-01T10:00:00Z")},
			"web/1": {Status: "waiting"},
		},
		Relations: map[string]map[string]GoalStatus{
			"website": {
				"haproxy":   {Status: "joined", Since: at("2024-05-01T10:01:02Z")},
				"haproxy/0": {Status: "joining", Since: at("2024-05-01T10:01:03Z")},
			},
			"peers": {},
		},
	}, got)
	assert.Equal(t, time.UTC, got.Units["web/0"].Since.Location())
}

func TestGoalStateRefusesMalformedOutput(t *testing.T) {
	for _, out := range []string{
		"", "null", "[]", `{}`, `{"units":{}}`, `{"relations":{}}`, `{"units":null,"relations":{}}`,
		`{"units":{"web/0":{}},"relations":{}}`,
		`{"units":{"web/0":{"status":1}},"relations":{}}`,
		`{"units":{"web/0":{"status":"active","since":"yesterday"}},"relations":{}}`,
		`{"units":{"web/0":{"status":"active","since":"2024-05-01T10:00:00Z"}},"relations":{}}`,
		`{"units":{},"relations":{"website":null}}`,
		`{"units":{},"relations":{"website":{"haproxy":{"since":"2024-05-01 10:00:00Z"}}}}`,
		`{"units":{},"relations":{"website":{"haproxy":{"status":"joined","since":"\u001b[2J"}}}}`,
	} {
		r := answer(map[string]string{"goal-state --format=json": out})
		_, err := toolsOver(t, r, "").GoalState(context.Background())
		require.ErrorIs(t, err, ErrBadOutput, "%q", out)
		assertPrintable(t, err.Error())
	}
}
