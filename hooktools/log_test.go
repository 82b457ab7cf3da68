package hooktools

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogHandler(t *testing.T) {
	r := answer(map[string]string{})
	r.fn = func(context.Context, call) ([]byte, error) { return nil, nil }
	logger := slog.New(NewLogHandler(r, WithLogLevel(slog.LevelDebug)))

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
	logger := slog.New(NewLogHandler(r))
	logger.Debug("hidden")
	logger.Info("shown")
	require.Len(t, r.seen(), 1)
	assert.Equal(t, []string{"-l", "INFO", "shown"}, r.seen()[0].Args)

	h := NewLogHandler(r, WithLogLevel(slog.LevelError), WithLogLevel(nil))
	assert.False(t, h.Enabled(context.Background(), slog.LevelWarn))
	assert.True(t, h.Enabled(context.Background(), slog.LevelError))
}

func TestLogHandlerReportsFailure(t *testing.T) {
	r := &funcRunner{fn: func(_ context.Context, c call) ([]byte, error) {
		return nil, &ToolError{Tool: c.Tool, ExitCode: 1, Message: "no agent"}
	}}
	err := NewLogHandler(r).Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "x", 0))
	var te *ToolError
	assert.ErrorAs(t, err, &te)
}

func TestLogHandlerTruncates(t *testing.T) {
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) { return nil, nil }}
	slog.New(NewLogHandler(r)).Info(strings.Repeat("é", maxArgLen))
	msg := r.seen()[0].Args[2]
	assert.Less(t, len(msg), maxArgLen)
	assert.True(t, strings.HasSuffix(msg, "é..."))
}
