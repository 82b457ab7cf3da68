package hooktools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/charmkit/httprelation/internal/juju"
)

// maxArgLen is Linux's MAX_ARG_STRLEN (32 pages of 4 KiB, counting the
// terminating NUL): execve fails with E2BIG for a longer argument.
const maxArgLen = 128 * 1024

// caller runs tools with the per-call deadline applied, and does not
// run again a tool that ran into it (see stallSet).
type caller struct {
	runner  Runner
	timeout time.Duration
	stalls  *stallSet
}

func (c caller) run(ctx context.Context, tool string, args []string, stdin []byte) ([]byte, error) {
	return c.runLimited(ctx, tool, args, stdin, MaxOutput)
}

// runLimited runs a tool whose output must not pass limit bytes.
func (c caller) runLimited(ctx context.Context, tool string, args []string, stdin []byte, limit int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", tool, err)
	}
	if err := c.stalls.check(tool); err != nil {
		return nil, err
	}
	callCtx := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var (
		out []byte
		err error
	)
	if lr, ok := c.runner.(limitedRunner); ok {
		out, err = lr.runLimited(callCtx, tool, args, stdin, limit)
	} else if out, err = c.runner.Run(callCtx, tool, args, stdin); err == nil && len(out) > limit {
		out, err = nil, errOutputTooLarge(tool, limit)
	}
	if err != nil && ctx.Err() == nil && errors.Is(callCtx.Err(), context.DeadlineExceeded) {
		// The per-call deadline ended the call, not the caller's context.
		c.stalls.note(tool)
	}
	return out, err
}

// runJSON runs a tool with --format=json output and decodes it into v.
// null is not an answer: Juju's tools print [] or {} for none, and the
// ones that may print null are read with their own decoders.
func (c caller) runJSON(ctx context.Context, tool string, args []string, v any) error {
	out, err := c.run(ctx, tool, args, nil)
	if err != nil {
		return err
	}
	return decodeJSON(tool, out, v)
}

// decodeJSON decodes a tool's JSON output into v; blank output and null
// are *ParseErrors.
func decodeJSON(tool string, out []byte, v any) error {
	if err := checkNotBlank(tool, out); err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(out), []byte("null")) {
		return newParseError(tool, out, errors.New("null"))
	}
	if err := json.Unmarshal(out, v); err != nil {
		return newParseError(tool, out, err)
	}
	return nil
}

// runString runs a tool whose JSON output is one string.
func (c caller) runString(ctx context.Context, tool string, args ...string) (string, error) {
	var s string
	if err := c.runJSON(ctx, tool, args, &s); err != nil {
		return "", err
	}
	return s, nil
}

// runList runs a tool whose JSON output is a list of strings, of at most
// MaxListOutput bytes.
func (c caller) runList(ctx context.Context, tool string, args ...string) ([]string, error) {
	out, err := c.runLimited(ctx, tool, args, nil, MaxListOutput)
	if err != nil {
		return nil, err
	}
	return decodeList(tool, out)
}

// setValues runs a relation-set-like tool: values go as a YAML map on
// stdin, or as key=value arguments when the runner cannot feed stdin.
func (c caller) setValues(ctx context.Context, tool string, args []string, values map[string]string) error {
	for k, v := range values {
		if err := juju.CheckKey(k); err != nil {
			return fmt.Errorf("%s: %w", tool, err)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("%s: value of %q is not valid UTF-8", tool, k)
		}
	}
	keys := slices.Sorted(maps.Keys(values))
	_, err := c.run(ctx, tool, append(slices.Clip(args), "--file", "-"), encodeYAMLMap(keys, values))
	if !errors.Is(err, ErrStdinUnsupported) {
		return err
	}
	kvArgs, err := keyValueArgs(tool, keys, values)
	if err != nil {
		return fmt.Errorf("%w; use a runner that feeds stdin", err)
	}
	_, err = c.run(ctx, tool, append(slices.Clip(args), kvArgs...), nil)
	return err
}

// encodeYAMLMap writes values as a YAML block map in the order of keys.
// Every key and value is a double-quoted scalar, which YAML reads as a
// string whatever it holds: newlines, '=', quotes, "yes", "0755".
// Invalid UTF-8 must be rejected before: no scalar can carry it.
func encodeYAMLMap(keys []string, values map[string]string) []byte {
	var b bytes.Buffer
	for _, k := range keys {
		writeYAMLQuoted(&b, k)
		b.WriteString(": ")
		writeYAMLQuoted(&b, values[k])
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		b.WriteString("{}\n")
	}
	return b.Bytes()
}

// writeYAMLQuoted writes s as a YAML double-quoted scalar. JSON quoting
// is not enough: YAML forbids raw DEL and C1 controls, and YAML 1.1 folds
// NEL, U+2028 and U+2029 as line breaks, so those are escaped too.
func writeYAMLQuoted(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case yamlPrintable(r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(b, `\u%04X`, r)
		}
	}
	b.WriteByte('"')
}

// yamlPrintable reports runes that YAML 1.1 and 1.2 both take literally
// inside a double-quoted scalar; every other rune is in the BMP, so a
// \uXXXX escape can carry it.
func yamlPrintable(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return r != 0x2028 && r != 0x2029
	case r >= 0xE000 && r <= 0xFFFD:
		return r != 0xFEFF
	}
	return r >= 0x10000 && r <= 0x10FFFF
}
