package hooktools

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseErrorsNameTheCharacter: tool output that is not JSON
// is reported naming the offending character as the rune it is, or as a
// hex byte, never as the Latin-1 reading of one byte of it.
func TestParseErrorsNameTheCharacter(t *testing.T) {
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
			acc := newAccessor(r)
			var err error
			switch tc.tool {
			case "relation-get":
				_, err = acc.UnitData(ctx, "backends:1", "web/0")
			case "relation-list":
				_, err = acc.RelationUnits(ctx, "backends:1")
			case "relation-ids":
				_, err = acc.RelationIDs(ctx, "backends")
			case "state-get":
				_, err = newStateStore(r).Load(ctx)
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

// TestDecodeRefusesRepeatsAndOtherSpellings: Juju prints each relation id,
// unit and key once, and relation numbers without leading zeros. A list
// with a repeat, a map with a key given twice (by any spelling of it,
// escapes included) or a relation id Juju would not spell so is a
// ParseError, not read by a guess (which of two values wins, or whether
// "backends:03" is the relation of a relation-broken hook "backends:3").
func TestDecodeRefusesRepeatsAndOtherSpellings(t *testing.T) {
	ctx := context.Background()
	reads := map[string]func(acc *accessor) (any, error){
		"relation-ids":  func(acc *accessor) (any, error) { return acc.RelationIDs(ctx, "backends") },
		"relation-list": func(acc *accessor) (any, error) { return acc.RelationUnits(ctx, "backends:3") },
		"relation-get":  func(acc *accessor) (any, error) { return acc.UnitData(ctx, "backends:3", "web/0") },
		"state-get":     func(acc *accessor) (any, error) { return newStateStore(acc.call.runner).Load(ctx) },
	}
	for _, tc := range []struct {
		tool, out string
		want      any // nil: a ParseError naming what repeats
		repeated  string
	}{
		{"relation-ids", `["backends:3","backends:3"]`, nil, `"backends:3"`},
		{"relation-ids", `["backends:3","backends:12","backends:3"]`, nil, `"backends:3"`},
		{"relation-ids", `["backends:03"]`, nil, `"backends:03"`},
		{"relation-ids", `["backends:00"]`, nil, `"backends:00"`},
		{"relation-ids", `["backends:0","backends:10"]`, []string{"backends:0", "backends:10"}, ""},
		{"relation-list", `["web/0","web/0"]`, nil, `"web/0"`},
		{"relation-list", `["web/0","web/1","web/2","web/1"]`, nil, `"web/1"`},
		{"relation-list", `["web/0","web/00"]`, []string{"web/0", "web/00"}, ""}, // the library checks unit names
		{"relation-get", `{"port":"80","port":"81"}`, nil, `"port"`},
		{"relation-get", `{"port":"80","p\u006frt":"81"}`, nil, `"port"`},
		{"relation-get", `{"port":"80","hostname":"a","port":80}`, nil, `"port"`},
		{"relation-get", `{"port":"80","PORT":"81"}`, map[string]string{"port": "80", "PORT": "81"}, ""},
		{"relation-get", `{"port":"80","x":"{\"port\":1,\"port\":2}"}`, map[string]string{"port": "80", "x": `{"port":1,"port":2}`}, ""},
		{"state-get", `{"flag.a":"1","flag.a":"1"}`, nil, `"flag.a"`},
		{"state-get", `{"flag.a":"1","flag.b":"1"}`, map[string]string{"flag.a": "1", "flag.b": "1"}, ""},
	} {
		t.Run(tc.tool+" "+tc.out, func(t *testing.T) {
			r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
				return []byte(tc.out), nil
			}}
			got, err := reads[tc.tool](newAccessor(r))
			if tc.want != nil {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			pe := requireParseError(t, err, tc.tool)
			assert.Contains(t, pe.Err.Error(), tc.repeated)
			assertPrintable(t, err.Error())
		})
	}
}

// listOfSize is a JSON list of distinct names made by name, size bytes
// long in all (padded with spaces, which JSON allows).
func listOfSize(size int, name func(i int) string) string {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; ; i++ {
		item := `"` + name(i) + `"`
		if i > 0 {
			item = "," + item
		}
		if b.Len()+len(item)+1 > size {
			break
		}
		b.WriteString(item)
	}
	b.WriteString(strings.Repeat(" ", size-b.Len()-1))
	b.WriteString("]")
	return b.String()
}
