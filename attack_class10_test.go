package httprelation_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// TestExtendedDataSyntaxErrorNamesTheCharacter (class 10): an
// extended_data value that is not JSON is reported naming the offending
// character as the rune it is, or as a hex byte when it is not UTF-8, as
// CheckAddress names one: encoding/json's own message reads one byte of a
// multi-byte rune as a Latin-1 character ('Ã' for 'é', 'ï' for a BOM).
func TestExtendedDataSyntaxErrorNamesTheCharacter(t *testing.T) {
	for _, tc := range []struct {
		ext, want string
	}{
		{`[é]`, `invalid character 'é' (U+00E9) looking for beginning of value`},
		{"\ufeff[]", `invalid character '\ufeff' (U+FEFF) looking for beginning of value`},
		{"[\u202e]", `invalid character '\u202e' (U+202E) looking for beginning of value`},
		{"[\xff]", `invalid character byte 0xff looking for beginning of value`},
		{"[\xc3]", `invalid character byte 0xc3 looking for beginning of value`},
		{`[{"port":80}] 日本`, `invalid character '日' (U+65E5) after top-level value`},
		{`[{"port":80,"hostname":"a` + "\x1b" + `"}]`, `invalid character '\x1b' (U+001B) in string literal`},
		{`[{"port":8🙂}]`, `invalid character '🙂' (U+1F642) after object key:value pair`},
		{`[{'port':80}]`, `invalid character '\'' (U+0027) looking for beginning of object key string`},
		{`[tru]`, `invalid character ']' (U+005D) in literal true (expecting 'e')`},
		{`[{"port":80}`, `unexpected end of JSON input`},
	} {
		t.Run(strings.ToValidUTF8(tc.ext, "?"), func(t *testing.T) {
			_, problems := httprelation.ParseUnitData(map[string]string{httprelation.KeyExtendedData: tc.ext})
			require.Len(t, problems, 1)
			require.ErrorIs(t, problems[0], httprelation.ErrInvalidExtendedData)
			msg := problems[0].Err.Error()
			assert.Equal(t, "invalid extended_data: not a JSON array: "+tc.want, msg)
			for _, latin1 := range []string{"Ã", "ï", "â", "ÿ", "ð"} {
				assert.NotContains(t, msg, latin1, "a byte of a multi-byte rune is not a character")
			}
		})
	}
}
