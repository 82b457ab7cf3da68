package hooktools

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

func TestLeaderSettings(t *testing.T) {
	for out, want := range map[string]map[string]string{
		"{}\n":                               {},
		`{"peer-secret":"s3","backends":""}`: {"peer-secret": "s3", "backends": ""},
	} {
		r := answer(map[string]string{"leader-get --format=json": out})
		got, err := toolsOver(t, r, "").LeaderSettings(context.Background())
		require.NoError(t, err, out)
		assert.Equal(t, want, got)
	}
	for _, out := range []string{"", "null", "[]", `{"a":1}`, `{"a":"1","a":"2"}`, `"x"`} {
		r := answer(map[string]string{"leader-get --format=json": out})
		_, err := toolsOver(t, r, "").LeaderSettings(context.Background())
		require.ErrorIs(t, err, ErrBadOutput, "%q", out)
	}
}

func TestIsLeader(t *testing.T) {
	for out, want := range map[string]bool{"true\n": true, "false\n": false} {
		got, err := toolsOver(t, answer(map[string]string{"is-leader --format=json": out}), "").IsLeader(context.Background())
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, out := range []string{"", "null", `"true"`, "True", "1", "true false"} {
		got, err := toolsOver(t, answer(map[string]string{"is-leader --format=json": out}), "").IsLeader(context.Background())
		require.ErrorIs(t, err, ErrBadOutput, "%q", out)
		assert.False(t, got)
	}
}

func TestSetLeaderSettingsChecksBeforeWriting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"key with =", map[string]string{"a=b": "1"}, `leader-set: invalid relation data key: "a=b"`},
		{"key like a flag", map[string]string{"-a": "1"}, `leader-set: invalid relation data key: "-a" starts with '-'`},
		{"empty key", map[string]string{"": "1"}, "leader-set: invalid relation data key: empty"},
		{"NUL in value", map[string]string{"a": "x\x00"}, `leader-set: "a"=... holds a NUL byte`},
		{"value not UTF-8", map[string]string{"a": "\xff"}, `leader-set: "a"=... is not valid UTF-8`},
		{"value too long", map[string]string{"a": strings.Repeat("x", maxArgLen)}, "leader-set: argument too long for the command line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := answer(nil)
			err := toolsOver(t, r, "").SetLeaderSettings(context.Background(), tc.settings)
			assert.ErrorContains(t, err, tc.want)
			assert.Empty(t, r.seen())
		})
	}
	err := toolsOver(t, answer(nil), "").SetLeaderSettings(context.Background(), map[string]string{"a b": "1"})
	assert.ErrorIs(t, err, httprelation.ErrInvalidKey)
	err = toolsOver(t, answer(nil), "").SetLeaderSettings(context.Background(), map[string]string{"a": strings.Repeat("x", maxArgLen-2)})
	assert.ErrorIs(t, err, ErrArgTooLong, `"a=" and the value reach the limit`)

	r := answer(nil)
	require.NoError(t, toolsOver(t, r, "").SetLeaderSettings(context.Background(), nil))
	assert.Empty(t, r.seen(), "nothing to write, nothing run")
}
