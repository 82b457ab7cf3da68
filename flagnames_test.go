//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package httprelation_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// flagNamesKept are names Registry.Set must accept, chosen to trip every
// layer a stored key passes: YAML (quotes, ':', '#', '&', '*', '!', '%',
// '@', '`', '|', '>', '?', '[', '{', ',', '~', "yes", "null", "0755"),
// hook-tool arguments (a leading '-', "--"), MongoDB field names ('.',
// '$'), JSON ('\\', '<', '&') and the length limits at their edges.
var flagNamesKept = []string{
	"website.available",
	"a",
	"a:b", ":", "a:", "#comment", "x#y",
	"-", "--", "-leading", "--file", "-r",
	`"quoted"`, `'single'`, `a"b'c`, `back\slash`, `\n`, `\u0041`,
	"yes", "no", "null", "~", "0755", "1e3", ".inf", "0x10",
	"&anchor", "*alias", "!tag", "!!str", "%YAML", "@at", "`tick`",
	"|", ">", "?", "[a]", "{b:c}", "a,b", "<script>&amp;",
	"$HOME", "$", "x$y", "$(id)", ";rm", "a|b",
	".", "..", "a.b.c.", "__proto__",
	strings.Repeat("x", 200),
	// 200 bytes with 24 dots: flag. and the name count 5+2+200+48 = 255
	// bytes with Juju's escaping.
	strings.Repeat("x.", 24) + strings.Repeat("x", 152),
	// 83 bytes of which 83 count thrice, plus the prefix: 7+249 = 256.
	strings.Repeat("$", 83),
}

// flagNamesRefused are names some store could not keep unchanged.
var flagNamesRefused = []string{
	"",
	"a=b", "=", "a=", "=a", "flag=1",
	"a b", " a", "a\tb", "a\n", "a\r", "\x00", "a\x7f", "\x1b[31m",
	"é", "sité.available", "a\u2028b", "\xff",
	strings.Repeat("x", 201),
	strings.Repeat("x.", 25) + strings.Repeat("x", 150), // 200 bytes, 25 dots: 257
	strings.Repeat("$", 84),                             // 7+252 = 259
	strings.Repeat(".", 100),                            // 100 bytes, 307 escaped
	strings.Repeat("a.", 100),                           // 200 bytes, 407 escaped
}

// flagStores opens, for one test, each kind of Store the module has;
// each call of an opener returns a store over the same data.
func flagStores(t *testing.T) map[string]func() httprelation.Store {
	t.Helper()
	sim := toolsim.Start(t, &toolsim.Model{Unit: "lb/0"}, nil)
	path := filepath.Join(t.TempDir(), "state", "state.json")
	mem := &httprelation.MemoryStore{}
	return map[string]func() httprelation.Store{
		"memory": func() httprelation.Store { return mem },
		"file":   func() httprelation.Store { return statefile.New(path) },
		// state-set --file - with a YAML map on stdin.
		"state-set yaml": func() httprelation.Store {
			return unitStore(t, hooktools.ExecRunner{Env: sim.Environ()})
		},
		// state-set key=value arguments, the path of a runner that cannot
		// feed stdin.
		"state-set args": func() httprelation.Store {
			return unitStore(t, hooktools.FromGoops(simGoops{sim}))
		},
	}
}

// unitStore is the Store of a unit whose tools r runs: Juju's charm
// state, through state-get, state-set and state-delete.
func unitStore(t *testing.T, r hooktools.Runner) httprelation.Store {
	unit, err := hooktools.NewUnit(hooktools.WithRunner(r), hooktools.WithEnv(hooktools.Env{Unit: "lb/0"}))
	require.NoError(t, err)
	return unit.Store
}

// simGoops runs the simulator's tools the way goops's runner does: no
// stdin, no context.
type simGoops struct{ sim *toolsim.Sim }

func (g simGoops) Run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(g.sim.Dir, name), args...)
	cmd.Env = g.sim.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("command %s failed: %s: %w", name, stderr.String(), err)
	}
	return out, nil
}

// TestFlagNamesEveryStoreKeeps: every name Registry.Set accepts survives
// Set, Changed, Save and a fresh Load in every store, as a flag and as a
// change-detector key, and can be cleared again.
func TestFlagNamesEveryStoreKeeps(t *testing.T) {
	ctx := context.Background()
	for storeName, open := range flagStores(t) {
		t.Run(storeName, func(t *testing.T) {
			for _, name := range flagNamesKept {
				r, err := httprelation.NewRegistry(ctx, open())
				require.NoError(t, err)
				require.NoError(t, r.Set(name), "%q", name)
				changed, err := r.Changed(name, []string{"v", name})
				require.NoError(t, err, "%q", name)
				require.True(t, changed, "%q", name)
				require.NoError(t, r.Save(ctx), "%q", name)

				stored, err := open().Load(ctx)
				require.NoError(t, err, "%q", name)
				assert.Equal(t, "1", stored["flag."+name], "%q is stored under its own key", name)
				assert.Len(t, stored["hash."+name], 64, "%q", name)

				again, err := httprelation.NewRegistry(ctx, open())
				require.NoError(t, err)
				assert.Equal(t, []string{name}, again.List(), "%q reads back as itself", name)
				changed, err = again.Changed(name, []string{"v", name})
				require.NoError(t, err)
				assert.False(t, changed, "%q: the hash reads back", name)

				require.NoError(t, again.Clear(name))
				require.NoError(t, again.Save(ctx), "%q", name)
				cleared, err := httprelation.NewRegistry(ctx, open())
				require.NoError(t, err)
				assert.Empty(t, cleared.List(), "%q is cleared", name)
				// The next name starts from an empty store.
				require.NoError(t, open().Save(ctx, map[string]string{"hash." + name: ""}))
			}
		})
	}
}

// countingStore counts Saves, so that a test can tell that nothing was
// written.
type countingStore struct {
	httprelation.Store
	saves int
}

func (c *countingStore) Save(ctx context.Context, changes map[string]string) error {
	c.saves++
	return c.Store.Save(ctx, changes)
}

// TestFlagNamesRefusedBeforeSave: every name some store could not keep is
// refused by Set, Clear, Changed and a handler's condition with
// ErrInvalidFlag, so that Save has nothing to write.
func TestFlagNamesRefusedBeforeSave(t *testing.T) {
	ctx := context.Background()
	for storeName, open := range flagStores(t) {
		t.Run(storeName, func(t *testing.T) {
			store := &countingStore{Store: open()}
			r, err := httprelation.NewRegistry(ctx, store)
			require.NoError(t, err)
			for _, name := range flagNamesRefused {
				require.ErrorIs(t, r.Set(name), httprelation.ErrInvalidFlag, "%q", name)
				require.ErrorIs(t, r.Clear(name), httprelation.ErrInvalidFlag, "%q", name)
				_, err := r.Changed(name, 1)
				require.ErrorIs(t, err, httprelation.ErrInvalidFlag, "%q", name)
				require.ErrorIs(t, r.When(name).Do("h", func(context.Context) error { return nil }),
					httprelation.ErrInvalidFlag, "%q", name)
				assert.False(t, r.Has(name), "%q", name)
			}
			require.NoError(t, r.Save(ctx))
			assert.Zero(t, store.saves, "nothing to save")
			stored, err := open().Load(ctx)
			require.NoError(t, err)
			assert.Empty(t, stored)
		})
	}
}
