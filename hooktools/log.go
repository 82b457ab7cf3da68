package hooktools

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmkit/httprelation/internal/badchar"
)

// logHandler is an slog.Handler that sends each record to Juju's log
// through juju-log, so that a charm's and the library's messages land in
// `juju debug-log` with the unit's name. Each record costs one tool call.
type logHandler struct {
	call  caller
	level slog.Leveler
	// prefix qualifies attribute keys with the open groups ("g.h.").
	prefix string
	// attrs holds the attributes from WithAttrs, already formatted.
	attrs string
}

var _ slog.Handler = (*logHandler)(nil)

// logHandler returns a handler that logs as c says, from slog.LevelInfo
// up unless WithLogLevel says otherwise. The handlers
// WithAttrs and WithGroup derive share its caller, and with it the
// Unit's stalls: once juju-log has run into the per-call deadline, it is
// not waited on again, so a hung juju-log costs a hook one deadline, not
// one per warning. Records are then dropped with an error wrapping
// errStalled, which slog.Logger discards; the next hook's Unit tries
// juju-log again.
func (c config) logHandler() *logHandler {
	return &logHandler{call: c.caller(), level: c.logLevel}
}

// Enabled implements slog.Handler.
func (h *logHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// Handle implements slog.Handler with one juju-log call.
func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if err := h.call.stalls.check("juju-log"); err != nil {
		// Not worth formatting.
		return err
	}
	var b strings.Builder
	// No argument can carry a NUL byte.
	b.WriteString(strings.ReplaceAll(r.Message, "\x00", `\x00`))
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	msg := truncate(b.String(), maxArgLen-1)
	args := []string{"-l", jujuLevel(r.Level)}
	if strings.HasPrefix(msg, "-") {
		// juju-log would take the message for a flag.
		args = append(args, "--")
	}
	_, err := h.call.run(ctx, "juju-log", append(args, msg), nil)
	return err
}

// WithAttrs implements slog.Handler.
func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	h2 := *h
	h2.attrs = b.String()
	return &h2
}

// WithGroup implements slog.Handler.
func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix += name + "."
	return &h2
}

// jujuLevel maps slog levels onto juju-log's.
func jujuLevel(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	default:
		return "ERROR"
	}
}

// appendAttr writes " key=value", flattening groups into dotted keys.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendAttr(b, prefix, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(quoteIfNeeded(prefix + a.Key))
	b.WriteByte('=')
	b.WriteString(quoteIfNeeded(a.Value.String()))
}

// quoteIfNeeded quotes strings that would not read back as one token.
func quoteIfNeeded(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return r == '=' || r == '"' || r == utf8.RuneError || !unicode.IsPrint(r) || unicode.IsSpace(r)
	}) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// truncate cuts s to at most n bytes without splitting a rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "..."
	return badchar.Prefix(s, n-len(more)) + more
}
