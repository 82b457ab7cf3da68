package hooktools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/charmkit/httprelation"
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

// TestClass8DepartureIsJujusOwnAnswer: only relation-get's answer for a
// unit whose settings are gone, as Juju gives it (exit status 1, one
// error line ending `unit "U": settings not found`, U the unit asked
// for), counts as a unit that left. Any other wording, another unit,
// another exit status or a second error fails the read.
func TestClass8DepartureIsJujusOwnAnswer(t *testing.T) {
	const juju = `ERROR cannot read settings for unit "web/2" in relation "lb:backends web:website": unit "web/2": settings not found`
	args := []string{"--format=json", "-r=backends:3", "-", "web/2"}
	for _, tc := range []struct {
		name   string
		exit   int
		stderr string
		args   []string
		left   bool
	}{
		{"juju's answer", 1, juju + "\n", args, true},
		{"without a trailing newline", 1, juju, args, true},
		{"with CRLF", 1, juju + "\r\n", args, true},
		{"after a warning line", 1, "WARNING agent slow\n" + juju + "\n", args, true},
		{"exit status 2", 2, juju + "\n", args, false},
		{"exit status 127", 127, juju + "\n", args, false},
		{"another unit named", 1, strings.ReplaceAll(juju, "web/2", "web/3") + "\n", args, false},
		{"the unit as a prefix of another", 1, strings.ReplaceAll(juju, `"web/2"`, `"web/22"`) + "\n", args, false},
		{"no unit named", 1, "ERROR connection is shut down: settings not found\n", args, false},
		{"bare", 1, "ERROR settings not found\n", args, false},
		{"upper case", 1, strings.ToUpper(juju) + "\n", args, false},
		{"more after it", 1, juju + " (retrying)\n", args, false},
		{"a second line after it", 1, juju + "\nconnection is shut down\n", args, false},
		{"a second error after it", 1, juju + "\nERROR connection is shut down\n", args, false},
		{"a second error before it", 1, "ERROR connection is shut down\n" + juju + "\n", args, false},
		{"permission denied", 1, "ERROR permission denied\n", args, false},
		{"no arguments known", 1, juju + "\n", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := &ToolError{Tool: "relation-get", Args: tc.args, ExitCode: tc.exit, Message: toolMessage(tc.stderr)}
			assert.Equal(t, tc.left, errors.Is(fmt.Errorf("read: %w", err), httprelation.ErrUnitNotFound))
		})
	}
}
