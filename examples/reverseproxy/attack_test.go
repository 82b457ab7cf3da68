package main

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigErrorsQuoteTheValue (class 10): a bad option value reaches
// the hook's error quoted, whatever its type, so an escape code or a
// newline in config cannot reach the log raw.
func TestConfigErrorsQuoteTheValue(t *testing.T) {
	for _, out := range []string{
		`{"frontend-port":"80\nERROR forged"}`,
		`{"frontend-port":"\u001b[2J"}`,
		`{"frontend-port":"8\u202e0"}`,
		`{"frontend-port":["\n"]}`,
		`{"frontend-port":{"a\nb":1}}`,
		`{"bind-address":"\u001b[2J"}`,
		`{"bind-address":["\n"]}`,
		`{"haproxy-config":"x\u202ey"}`,
		`{"haproxy-config":{"\n":1}}`,
	} {
		_, err := parseSettings([]byte(out))
		require.ErrorIs(t, err, errBadConfig, out)
		for _, r := range err.Error() {
			assert.True(t, r == ' ' || unicode.IsPrint(r), "%q holds %U", err, r)
		}
		assert.False(t, strings.Contains(err.Error(), "\n"), out)
	}
}
