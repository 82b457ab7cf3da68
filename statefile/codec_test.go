//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteStateAsMarshalIndent: Save writes, member by member, the
// bytes json.MarshalIndent and a newline give, which files written before
// hold: keys sorted, HTML characters, U+2028 and control characters
// escaped as encoding/json escapes them.
func TestWriteStateAsMarshalIndent(t *testing.T) {
	for _, state := range []map[string]string{
		{},
		{"a": "1"},
		{"flag.b": "1", "flag.a": "", "hash.x": "ab12", "view.web.0": "httprelation-view 1 5 kept\n1 web/0 10.0.0.1,80\n"},
		{"<tag>": "a&b", "quote\"": "back\\slash", "ctl": "\x00\x1f\t", "sep": "\u2028\u2029", "é": "日本"},
		{"long": strings.Repeat("x", 100_000)},
	} {
		var b bytes.Buffer
		require.NoError(t, writeState(&b, state))
		want, err := json.MarshalIndent(state, "", "  ")
		require.NoError(t, err)
		assert.Equal(t, string(want)+"\n", b.String())
	}
}

// TestWriteStateStopsAtMaxFileSize: past MaxFileSize bytes writeState
// stops with ErrTooLarge, having passed on no more than that.
func TestWriteStateStopsAtMaxFileSize(t *testing.T) {
	var b bytes.Buffer
	err := writeState(&b, map[string]string{"a": strings.Repeat("x", 2*MaxFileSize), "b": "1"})
	require.ErrorIs(t, err, ErrTooLarge)
	assert.LessOrEqual(t, b.Len(), MaxFileSize)
}
