package toolsim

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/internal/calllog"
)

// Every recorded call, replayed in order from the recorded model with the
// recorded hook environment, must give Juju's bytes and exit status.
func TestTranscriptReplayInProcess(t *testing.T) {
	for _, name := range transcriptNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := loadTranscript(t, name)
			p := newInProc(t, tr.model(t), tr.HookEnv)
			for i, c := range tr.Calls {
				if freshEachCall[name] {
					require.NoError(t, tr.model(t).WriteFile(p.env["TOOLSIM_MODEL"]))
				}
				got := p.run(c.Stdin, c.Args...)
				assert.Equal(t, c.Stdout, got.stdout, "call %d %q: stdout", i, c.Args)
				assert.Equal(t, c.Stderr, got.stderr, "call %d %q: stderr", i, c.Args)
				assert.Equal(t, c.Exit, got.exit, "call %d %q: exit", i, c.Args)
			}

			calls := p.calls(t)
			require.Len(t, calls, len(tr.Calls))
			for i, c := range tr.Calls {
				assert.Equal(t, c.Args[0], calls[i].Tool)
				assert.Equal(t, c.Args[1:], calls[i].Args)
				assert.Equal(t, c.Stdin, calls[i].Stdin)
				assert.Equal(t, c.Stdout, calls[i].Stdout)
				assert.Equal(t, c.Stderr, calls[i].Stderr)
				assert.Equal(t, c.Exit, calls[i].Exit)
			}
		})
	}
}

// The same replay through real processes: the binary, the symlinks, the
// environment and the model file on disk.
func TestTranscriptReplayProcesses(t *testing.T) {
	for _, name := range transcriptNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := loadTranscript(t, name)
			s := Start(t, tr.model(t), tr.HookEnv)
			for i, c := range tr.Calls {
				if freshEachCall[name] {
					require.NoError(t, tr.model(t).WriteFile(s.ModelPath))
				}
				got := runProcess(t, s, c.Stdin, c.Args...)
				assert.Equal(t, c.Stdout, got.stdout, "call %d %q: stdout", i, c.Args)
				assert.Equal(t, c.Stderr, got.stderr, "call %d %q: stderr", i, c.Args)
				assert.Equal(t, c.Exit, got.exit, "call %d %q: exit", i, c.Args)
			}
			calls, err := calllog.Read(s.LogPath)
			require.NoError(t, err)
			assert.Len(t, calls, len(tr.Calls))
		})
	}
}

// runProcess runs one tool of s as a child process.
func runProcess(t testing.TB, s *Sim, stdin *string, argv ...string) result {
	t.Helper()
	ctx := context.Background()
	cmd := s.command(ctx, argv[0], argv[1:]...)
	if stdin != nil {
		cmd.Stdin = strings.NewReader(*stdin)
	}
	res, err := run(ctx, cmd)
	require.NoError(t, err)
	return result{res.Stdout, res.Stderr, res.ExitCode}
}
