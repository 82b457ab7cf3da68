package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAttackUsageErrorsEscapeTheCommandLine (class 10): what the command
// line holds reaches a usage message escaped, never raw: the flag package
// prints an unknown flag's name as given, so an escape code, a bidi
// override, an invalid byte or a newline forging a second line went to
// stderr as it was.
func TestAttackUsageErrorsEscapeTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"services", "--\x1b[2J"}, `http-relation services: flag provided but not defined: -\x1b[2J` + "\n"},
		{[]string{"services", "reverseproxy", "--x\u202ey"}, `http-relation services: flag provided but not defined: -x\u202ey` + "\n"},
		{[]string{"--\xff"}, `http-relation: flag provided but not defined: -\xff` + "\n"},
		{[]string{"services", "-\nERROR forged"}, `http-relation services: flag provided but not defined: -\nERROR forged` + "\n"},
		{[]string{"configure", "website", "--port", "80", "---\r"}, `http-relation configure: bad flag syntax: ---\r` + "\n"},
		{[]string{"flags", "--é\u0301"}, "http-relation flags: flag provided but not defined: -é\u0301\n"}, // printable text stays as it is
	} {
		t.Run(strings.ToValidUTF8(tc.args[len(tc.args)-1], "?"), func(t *testing.T) {
			t.Parallel()
			res := runInProcess(t, map[string]string{"JUJU_UNIT_NAME": "haproxy/0"}, tc.args...)
			assert.Equal(t, 2, res.ExitCode)
			line, _, _ := strings.Cut(res.Stderr, "\n")
			assert.Equal(t, tc.want, line+"\n")
			assert.Equal(t, 2, strings.Count(res.Stderr, "\n"), "the message and the hint, nothing forged: %q", res.Stderr)
		})
	}
}
