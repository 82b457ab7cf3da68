package hooktools

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v2"
)

// TestYAMLRoundTrip decodes what SetLocalData sends the way Juju's
// relation-set --file does (yaml.v2 into map[string]string) and expects
// every value back byte for byte.
func TestYAMLRoundTrip(t *testing.T) {
	values := map[string]string{
		"newlines":  "line one\nline two\n",
		"crlf":      "a\r\nb",
		"equals":    "a=b=c",
		"quotes":    `say "hi" it's`,
		"backslash": `C:\path\n`,
		"yes":       "yes",
		"no":        "no",
		"on":        "on",
		"y":         "y",
		"octal":     "0755",
		"float":     "1.50",
		"null":      "null",
		"tilde":     "~",
		"empty":     "",
		"spaces":    "  lead and trail  ",
		"tab":       "\tx\t",
		"dash":      "- item",
		"comment":   "# not a comment",
		"colon":     "a: b",
		"flow":      "{x: [1, 2]}",
		"anchor":    "&a *b !tag %p @q `r`",
		"html":      "<a href='x'>&amp;</a>",
		"json":      `[{"hostname": "172.20.2.200", "port": 80}]`,
		"unicode":   "é 日本 🙂",
		"separator": "a\u2028b\u2029c\u0085d",
		"control":   "\x00\x01\x07\x1b\x7f\u0080\u009f\ufeff\ufffe",
		"docstart":  "---\n...",
		"big":       strings.Repeat("0123456789abcdef", 100*1024/16),
	}
	keys := slices.Sorted(maps.Keys(values))
	out := encodeYAMLMap(keys, values)
	var got map[string]string
	require.NoError(t, yaml.Unmarshal(out, &got))
	assert.Equal(t, values, got)
	assert.Len(t, got["big"], 100*1024)
}

func TestYAMLEmptyMap(t *testing.T) {
	var got map[string]string
	require.NoError(t, yaml.Unmarshal(encodeYAMLMap(nil, nil), &got))
	assert.Empty(t, got)
}

func TestSetLocalDataSendsYAML(t *testing.T) {
	r := answer(map[string]string{"relation-set -r=website:3 --file -": ""})
	data := map[string]string{"port": "8080", "note": "a\nb=c", "flag": "yes", "gone": ""}
	require.NoError(t, newAccessor(r).SetLocalData(context.Background(), "website:3", data))
	calls := r.seen()
	require.Len(t, calls, 1)
	var got map[string]string
	require.NoError(t, yaml.Unmarshal(calls[0].Stdin, &got))
	assert.Equal(t, data, got)
	assert.Equal(t, "\"flag\": \"yes\"\n\"gone\": \"\"\n\"note\": \"a\\nb=c\"\n\"port\": \"8080\"\n", string(calls[0].Stdin))
}
