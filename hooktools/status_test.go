package hooktools

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusReadsStatusGet(t *testing.T) {
	for out, want := range map[string]WorkloadStatus{
		`{"message":"","status":"","status-data":{}}` + "\n":                       {},
		`{"message":"serving on :80","status":"active","status-data":{"a":1}}`:     {Status: "active", Message: "serving on :80"},
		`{"message":"hook failed: \"install\"","status":"error","status-data":{}}`: {Status: "error", Message: `hook failed: "install"`},
	} {
		r := answer(map[string]string{"status-get --format=json --include-data": out})
		got, err := toolsOver(t, r, "").Status(context.Background())
		require.NoError(t, err, out)
		assert.Equal(t, want, got, out)
	}
}

func TestStatusRefusesMalformedOutput(t *testing.T) {
	for _, out := range []string{"", "null", `"active"`, `{"status":"active"}`, `{"message":"m"}`,
		`{"status":1,"message":""}`, `{"status":"active","message":null}`, `{`} {
		r := answer(map[string]string{"status-get --format=json --include-data": out})
		_, err := toolsOver(t, r, "").Status(context.Background())
		require.ErrorIs(t, err, ErrBadOutput, "%q", out)
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "status-get", pe.Tool)
	}
}

func TestSetStatusRefusesWhatStatusSetWould(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   WorkloadStatus
		want string
	}{
		{"unknown status", WorkloadStatus{Status: "bogus"}, `status-set: invalid status "bogus", expected one of [maintenance blocked waiting active]`},
		{"status Juju sets itself", WorkloadStatus{Status: "error"}, `invalid status "error"`},
		{"no status", WorkloadStatus{Message: "ready"}, `invalid status ""`},
		{"NUL in message", WorkloadStatus{Status: "active", Message: "a\x00b"}, "status-set: message holds a NUL byte"},
		{"message not UTF-8", WorkloadStatus{Status: "active", Message: "a\xffb"}, "status-set: message is not valid UTF-8"},
		{"message too long", WorkloadStatus{Status: "active", Message: strings.Repeat("x", maxArgLen)}, "status-set: argument too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := answer(nil)
			tools := toolsOver(t, r, "")
			for _, set := range []func(context.Context, WorkloadStatus) error{tools.SetStatus, tools.SetApplicationStatus} {
				err := set(context.Background(), tc.st)
				assert.ErrorContains(t, err, tc.want)
			}
			assert.Empty(t, r.seen(), "refused before any tool runs")
		})
	}
	err := toolsOver(t, answer(nil), "").SetStatus(context.Background(), WorkloadStatus{Status: "active", Message: strings.Repeat("x", maxArgLen)})
	assert.ErrorIs(t, err, ErrArgTooLong)
}

func TestSetStatusTakesEveryStatusACharmSets(t *testing.T) {
	for _, status := range []string{"maintenance", "blocked", "waiting", "active"} {
		r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
		tools := toolsOver(t, r, "")
		require.NoError(t, tools.SetStatus(context.Background(), WorkloadStatus{Status: status, Message: "m\nmore"}))
		require.NoError(t, tools.SetApplicationStatus(context.Background(), WorkloadStatus{Status: status}))
		calls := r.seen()
		require.Len(t, calls, 2)
		assert.Equal(t, []string{status, "m\nmore"}, calls[0].Args)
		assert.Equal(t, []string{"--application", status, ""}, calls[1].Args)
	}
}
