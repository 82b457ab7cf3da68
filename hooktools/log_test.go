package hooktools

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogHandler(t *testing.T) {
	r := answer(map[string]string{})
	r.fn = func(context.Context, call) ([]byte, error) { return nil, nil }
	logger := slog.New(newLogHandler(r, WithLogLevel(slog.LevelDebug)))

	logger.Debug("d")
	logger.Info("listening", "port", 8080, "addr", "10.0.0.1")
	logger.With("unit", "web/0").WithGroup("http").Warn("bad host", "value", "a b=c", "n", "")
	logger.Error("-starts with dash", slog.Group("g", "k", true), slog.Group("", "inline", 1))
	logger.Log(context.Background(), slog.LevelError+4, "fatal\x00ish", "err", errors.New("boom"))

	var got [][]string
	for _, c := range r.seen() {
		require.Equal(t, "juju-log", c.Tool)
		got = append(got, c.Args)
	}
	assert.Equal(t, [][]string{
		{"-l", "DEBUG", "d"},
		{"-l", "INFO", "listening port=8080 addr=10.0.0.1"},
		{"-l", "WARNING", `bad host unit=web/0 http.value="a b=c" http.n=""`},
		{"-l", "ERROR", "--", "-starts with dash g.k=true inline=1"},
		{"-l", "ERROR", `fatal\x00ish err=boom`},
	}, got)
}

func TestLogHandlerLevel(t *testing.T) {
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
	logger := slog.New(newLogHandler(r))
	logger.Debug("hidden")
	logger.Info("shown")
	require.Len(t, r.seen(), 1)
	assert.Equal(t, []string{"-l", "INFO", "shown"}, r.seen()[0].Args)

	h := newLogHandler(r, WithLogLevel(slog.LevelError), WithLogLevel(nil))
	assert.False(t, h.Enabled(context.Background(), slog.LevelWarn))
	assert.True(t, h.Enabled(context.Background(), slog.LevelError))
}

func TestLogHandlerReportsFailure(t *testing.T) {
	r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
		return nil, &ToolError{Tool: c.Tool, ExitCode: 1, Message: "no agent"}
	}}
	err := newLogHandler(r).Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "x", 0))
	var te *ToolError
	assert.ErrorAs(t, err, &te)
}

func TestLogHandlerTruncates(t *testing.T) {
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
	slog.New(newLogHandler(r)).Info(strings.Repeat("é", maxArgLen))
	msg := r.seen()[0].Args[2]
	assert.Less(t, len(msg), maxArgLen)
	assert.True(t, strings.HasSuffix(msg, "é..."))
}

// TestLogHandlerQuotesHostileAttrs: the library hands untrusted keys and
// values to the logger unquoted, so this handler is what keeps them one
// token of one line. Each must come back whole through strconv.Unquote.
func TestLogHandlerQuotesHostileAttrs(t *testing.T) {
	hostile := []string{
		"a\nlevel=ERROR forged",
		"x\r\n",
		"\x1b[2J\x1b[31mred",
		"trailing space ",
		"k=v",
		`"already quoted"`,
		`back\slash"`,
		"bidi \u202egnp.exe",
		"zero\u200bwidth",
		"nbsp\u00a0here",
		"bad \xff utf8",
		"tab\tin",
		"",
	}
	for _, v := range hostile {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
			slog.New(newLogHandler(r)).Warn("m", slog.String(v, v))
			msg := r.seen()[0].Args[2]
			require.NotContains(t, msg, "\n")
			require.NotContains(t, msg, "\r")
			require.NotContains(t, msg, "\x1b")
			attr, ok := strings.CutPrefix(msg, "m ")
			require.True(t, ok, msg)
			quoted := strconv.Quote(v)
			assert.Equal(t, quoted+"="+quoted, attr, "key and value each quoted")
		})
	}
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
	slog.New(newLogHandler(r)).Warn("m", "key", "plain-value.1")
	assert.Equal(t, "m key=plain-value.1", r.seen()[0].Args[2], "plain text stays as it is")
}

// TestLogHandlerStopsWaitingOnAStalledJujuLog: a juju-log that hangs costs
// the hook one per-call deadline, not one per record, across the handlers
// a logger derives; the hook's own context ending is not a stall.
func TestLogHandlerStopsWaitingOnAStalledJujuLog(t *testing.T) {
	hang := &funcRunner{fn: func(ctx context.Context, c call) ([]byte, error) {
		<-ctx.Done()
		return nil, fmt.Errorf("%s: %w", c.Tool, ctx.Err())
	}}
	h := newLogHandler(hang, WithTimeout(20*time.Millisecond))
	logger := slog.New(h).With("unit", "web/0").WithGroup("g")
	for i := range 5 {
		logger.Warn("bad entry", "i", i)
	}
	assert.Len(t, hang.seen(), 1, "juju-log is run once, then not waited on")
	err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelWarn, "again", 0))
	require.ErrorIs(t, err, errStalled)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, hang.seen(), 1)

	h = newLogHandler(hang, WithTimeout(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = h.Handle(ctx, slog.NewRecord(time.Now(), slog.LevelWarn, "hook ended", 0))
	require.ErrorIs(t, err, context.Canceled)
	ok := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
	h.call.runner = ok
	require.NoError(t, h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelWarn, "still sent", 0)))
	assert.Len(t, ok.seen(), 1, "a cancelled hook context is no stall")
}
