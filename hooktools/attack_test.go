package hooktools

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestClass10ParseErrorsNameTheCharacter: tool output that is not JSON
// is reported naming the offending character as the rune it is, or as a
// hex byte, never as the Latin-1 reading of one byte of it.
func TestClass10ParseErrorsNameTheCharacter(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		tool, out, want string
	}{
		{"relation-get", `{"port":"80",é}`, `invalid character 'é' (U+00E9) looking for beginning of object key string`},
		{"relation-get", "\ufeff{}", `invalid character '\ufeff' (U+FEFF) looking for beginning of value`},
		{"relation-get", "{\"port\":\"80\"}\u202e", `invalid character '\u202e' (U+202E) after top-level value`},
		{"relation-get", "{\"port\":\xff}", `invalid character byte 0xff looking for beginning of value`},
		{"relation-list", `["web/0",日]`, `invalid character '日' (U+65E5) looking for beginning of value`},
		{"relation-ids", "[\"backends:1\"]\x1b[2J", `invalid character '\x1b' (U+001B) after top-level value`},
		{"state-get", `{"a":"b"🙂`, `invalid character '🙂' (U+1F642) after object key:value pair`},
	} {
		t.Run(tc.tool+" "+strings.ToValidUTF8(tc.out, "?"), func(t *testing.T) {
			r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
				return []byte(tc.out), nil
			}}
			acc := New(r)
			var err error
			switch tc.tool {
			case "relation-get":
				_, err = acc.UnitData(ctx, "backends:1", "web/0")
			case "relation-list":
				_, err = acc.RelationUnits(ctx, "backends:1")
			case "relation-ids":
				_, err = acc.RelationIDs(ctx, "backends")
			case "state-get":
				_, err = NewStateStore(r).Load(ctx)
			}
			pe := requireParseError(t, err, tc.tool)
			assert.Equal(t, tc.want, pe.Err.Error())
			assertPrintable(t, err.Error())
			for _, latin1 := range []string{"Ã", "ï", "â", "ÿ", "æ", "ð"} {
				assert.NotContains(t, err.Error(), latin1)
			}
		})
	}
}
