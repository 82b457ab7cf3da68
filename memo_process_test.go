package httprelation_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/toolsim"
)

// helperCharmEnv makes the test binary run helperCharm instead of the
// tests, so that a test can run a charm of this package as a hook
// process under the simulator without building another binary.
const helperCharmEnv = "HTTPRELATION_TEST_CHARM"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperCharmEnv); mode != "" {
		os.Exit(helperCharm(mode))
	}
	os.Exit(m.Run())
}

// helperCharm is the README's requirer with its warnings sent to
// juju-log: Services, then UpdateFlags, then Save. In mode "two" it reads
// through two Requires values, which is what one did before it kept its
// read for the hook.
func helperCharm(mode string) int {
	ctx := context.Background()
	acc, err := hooktools.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logger := slog.New(hooktools.NewLogHandler(hooktools.ExecRunner{}))
	proxy := httprelation.NewRequires(acc, "reverseproxy", httprelation.WithLogger(logger))
	flagger := proxy
	if mode == "two" {
		flagger = httprelation.NewRequires(acc, "reverseproxy", httprelation.WithLogger(logger))
	}
	err = func() error {
		if _, err := proxy.Services(ctx); err != nil {
			return err
		}
		flags, err := httprelation.NewRegistry(ctx, hooktools.NewStateStore(hooktools.ExecRunner{}))
		if err != nil {
			return err
		}
		if err := flagger.UpdateFlags(ctx, flags); err != nil {
			return err
		}
		return flags.Save(ctx)
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestOneWarningPerBadEntryPerHook runs the README's requirer as a hook
// process three times over two bad remote entries: six juju-log calls,
// one per bad entry per hook, where reading again in UpdateFlags made
// twelve.
func TestOneWarningPerBadEntryPerHook(t *testing.T) {
	t.Parallel()
	for mode, want := range map[string]int{"one": 6, "two": 12} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := &toolsim.Model{
				Unit: "haproxy/0", PrivateAddress: "10.0.0.9", State: map[string]string{},
				Relations: map[string]toolsim.Relation{"reverseproxy:1": {
					RemoteApp: "web", RemoteEndpoint: "website", Local: map[string]string{},
					Units: map[string]map[string]string{
						"web/0": {"private-address": "10.0.0.1", "port": "80"},
						"web/1": {"private-address": "10.0.0.2", "port": "http"},
						"web/2": {"private-address": "10.0.0.3", "port": "80", "hostname": "bad host"},
					},
				}},
			}
			sim := toolsim.Start(t, m, nil)
			hooks := []map[string]string{
				{"JUJU_HOOK_NAME": "reverseproxy-relation-changed", "JUJU_RELATION_ID": "reverseproxy:1", "JUJU_REMOTE_UNIT": "web/1"},
				{"JUJU_HOOK_NAME": "reverseproxy-relation-changed", "JUJU_RELATION_ID": "reverseproxy:1", "JUJU_REMOTE_UNIT": "web/2"},
				{"JUJU_HOOK_NAME": "config-changed"},
			}
			for _, h := range hooks {
				h["JUJU_UNIT_NAME"] = "haproxy/0"
				h[helperCharmEnv] = mode
				sim.SetHookEnv(h)
				res, err := sim.Run(context.Background(), os.Args[0])
				require.NoError(t, err)
				require.Equal(t, 0, res.ExitCode, "stderr: %s", res.Stderr)
			}
			names, err := calllog.ToolNames(sim.LogPath)
			require.NoError(t, err)
			logs := 0
			for _, n := range names {
				if n == "juju-log" {
					logs++
				}
			}
			assert.Equal(t, want, logs)
			model, err := sim.Model()
			require.NoError(t, err)
			assert.Equal(t, "1", model.State["flag.reverseproxy.available"])
		})
	}
}
