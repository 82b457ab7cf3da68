package badchar

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDescribe(t *testing.T) {
	for in, want := range map[string]string{
		"é":            `'é' (U+00E9)`,
		"\xff":         "byte 0xff",
		"\xe2\x82":     "byte 0xe2",
		"\u202e":       `'\u202e' (U+202E)`,
		"\ufffd":       `'�' (U+FFFD)`,
		"\x00rest":     `'\x00' (U+0000)`,
		"\xed\xa0\x80": "byte 0xed",
	} {
		assert.Equal(t, want, Describe(in), "%q", in)
	}
}

// TestJSONKeepsOtherErrors: only a syntax error naming a character is
// rewritten; the result still unwraps to the *json.SyntaxError.
func TestJSONKeepsOtherErrors(t *testing.T) {
	data := []byte(`[é]`)
	err := json.Unmarshal(data, new(any))
	got := JSON(err, data)
	var se *json.SyntaxError
	require.ErrorAs(t, got, &se)
	assert.Equal(t, se.Offset, int64(2))
	assert.Equal(t, `invalid character 'é' (U+00E9) looking for beginning of value`, got.Error())

	for _, tc := range []struct {
		data []byte
		err  error
	}{
		{[]byte(`[1`), json.Unmarshal([]byte(`[1`), new(any))},   // unexpected end: no character
		{[]byte(`"x"`), json.Unmarshal([]byte(`"x"`), new(int))}, // a type error
		{[]byte(`[é]`), errors.New("not from json")},             // not a syntax error
		{[]byte(`x`), &json.SyntaxError{Offset: 5}},              // an offset past the data
		{[]byte(`[x]`), json.Unmarshal([]byte(`[é]`), new(any))}, // the text disagrees with the data
	} {
		assert.Same(t, tc.err, JSON(tc.err, tc.data), "%v", tc.err)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, 'quoted' and \"double\"": "plain text, 'quoted' and \"double\"",
		"wéb 日本 🙂 é\u0301":                    "wéb 日本 🙂 é\u0301",
		"a\x1b[2Jb":                           `a\x1b[2Jb`,
		"line\nERROR forged\r":                `line\nERROR forged\r`,
		"x\u202ey\u2028z\ufeff":               `x\u202ey\u2028z\ufeff`,
		"\xff\xc3 and \ufffd":                 `\xff\xc3 and ` + "\ufffd",
		"\x00\x7f\u0085":                      `\x00\x7f\u0085`,
		"":                                    "",
	} {
		assert.Equal(t, want, Escape(in), "%q", in)
		assert.Equal(t, Escape(in), Escape(Escape(in)), "escaping twice changes nothing more: %q", in)
	}
	s := "nothing to escape"
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = Escape(s) }))
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exact", 5, "exact"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},                              // é is 2 bytes: not split
		{"aébc", 3, "aé"},                           // the cut falls after é
		{"a€", 3, "a"},                              // € is 3 bytes
		{"a😀", 4, "a"},                              // 😀 is 4 bytes: back off 3
		{"😀😀", 5, "😀"},                              // the second rune is cut after its first byte
		{"\x81\x81\x81\x81\x81", 3, "\x81\x81\x81"}, // continuation bytes only: cut where n falls
		{"ab\xff\xfe", 3, "ab\xff"},                 // invalid bytes are runes of their own
		{"abc", 0, ""},
		{"ab\x80c", 2, "ab"},           // a stray continuation byte after n: nothing before it is split
		{"a\u00e9\x80x", 3, "a\u00e9"}, // the same after a whole two-byte rune
		{"ab\xe2\x82", 3, "ab\xe2"},    // a rune cut short in s itself is no rune: cut where n falls
	}
	for _, tt := range tests {
		got := Prefix(tt.s, tt.n)
		assert.Equal(t, tt.want, got, "Prefix(%q, %d)", tt.s, tt.n)
		assert.LessOrEqual(t, len(got), tt.n)
		assert.True(t, strings.HasPrefix(tt.s, got))
	}
}

func TestQuote(t *testing.T) {
	assert.Equal(t, `"web\nevil"`, Quote("web\nevil"))
	long := Quote(strings.Repeat("x", 1000))
	assert.Equal(t, `"`+strings.Repeat("x", 64)+`"...(1000 bytes)`, long)
	assert.NotContains(t, Quote("a\r\nb\x00"), "\n")
}
