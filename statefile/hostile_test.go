//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package statefile_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/charmkit/httprelation/statefile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otherUID is a user the tests give files to; only root can.
const otherUID = 65534

// hostileLayout prepares a File path that File must refuse.
// dir is the state directory (not yet created unless the case creates
// it), outside a directory beside it that a redirect could point to.
type hostileLayout struct {
	name string
	// setup makes the layout; it returns the paths whose presence and
	// content must be unchanged afterwards.
	setup func(t *testing.T, dir, outside string) (untouched []string)
	// loadOK: Load never touches what this layout spoils (the lock file).
	loadOK   bool
	needRoot bool
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), perm))
	require.NoError(t, os.Chmod(path, perm))
}

// hostileLayouts returns every layout File must refuse.
func hostileLayouts() []hostileLayout {
	layouts := []hostileLayout{
		{name: "state file is a symlink to a file", setup: func(t *testing.T, dir, outside string) []string {
			target := filepath.Join(outside, "victim.json")
			writeFile(t, target, `{"flag.a":"1"}`, 0o600)
			require.NoError(t, os.Symlink(target, filepath.Join(dir, "state.json")))
			return []string{target}
		}},
		{name: "state file is a dangling symlink", setup: func(t *testing.T, dir, outside string) []string {
			require.NoError(t, os.Symlink(filepath.Join(outside, "created"), filepath.Join(dir, "state.json")))
			return []string{filepath.Join(outside, "created")}
		}},
		{name: "state file is a symlink to a directory", setup: func(t *testing.T, dir, outside string) []string {
			require.NoError(t, os.Symlink(outside, filepath.Join(dir, "state.json")))
			return nil
		}},
		{name: "state file is a FIFO", setup: func(t *testing.T, dir, _ string) []string {
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "state.json"), 0o600))
			return nil
		}},
		{name: "state file is a directory", setup: func(t *testing.T, dir, _ string) []string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "state.json"), 0o700))
			return nil
		}},
		{name: "state file of another user", needRoot: true, setup: func(t *testing.T, dir, _ string) []string {
			path := filepath.Join(dir, "state.json")
			writeFile(t, path, `{"flag.a":"1"}`, 0o600)
			require.NoError(t, os.Chown(path, otherUID, otherUID))
			return []string{path}
		}},
		{name: "lock file is a symlink", loadOK: true, setup: func(t *testing.T, dir, outside string) []string {
			target := filepath.Join(outside, "victim.lock")
			writeFile(t, target, "precious", 0o600)
			require.NoError(t, os.Symlink(target, filepath.Join(dir, "state.json.lock")))
			return []string{target}
		}},
		{name: "lock file is a dangling symlink", loadOK: true, setup: func(t *testing.T, dir, outside string) []string {
			require.NoError(t, os.Symlink(filepath.Join(outside, "created.lock"), filepath.Join(dir, "state.json.lock")))
			return []string{filepath.Join(outside, "created.lock")}
		}},
		{name: "lock file is a FIFO", loadOK: true, setup: func(t *testing.T, dir, _ string) []string {
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "state.json.lock"), 0o600))
			return nil
		}},
		{name: "lock file is a directory", loadOK: true, setup: func(t *testing.T, dir, _ string) []string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "state.json.lock"), 0o700))
			return nil
		}},
		{name: "lock file of another user", loadOK: true, needRoot: true, setup: func(t *testing.T, dir, _ string) []string {
			path := filepath.Join(dir, "state.json.lock")
			writeFile(t, path, "", 0o600)
			require.NoError(t, os.Chown(path, otherUID, otherUID))
			return nil
		}},
		{name: "state directory is a symlink", setup: func(t *testing.T, dir, outside string) []string {
			require.NoError(t, os.Remove(dir))
			require.NoError(t, os.Chmod(outside, 0o700))
			require.NoError(t, os.Symlink(outside, dir))
			return []string{filepath.Join(outside, "state.json")}
		}},
		{name: "state directory is a file", setup: func(t *testing.T, dir, _ string) []string {
			require.NoError(t, os.Remove(dir))
			writeFile(t, dir, "not a directory", 0o600)
			return []string{dir}
		}},
		{name: "state directory of another user", needRoot: true, setup: func(t *testing.T, dir, _ string) []string {
			writeFile(t, filepath.Join(dir, "state.json"), `{"flag.a":"1"}`, 0o600)
			require.NoError(t, os.Chown(dir, otherUID, otherUID))
			return []string{filepath.Join(dir, "state.json")}
		}},
	}
	// State directory modes open to group or others.
	for _, mode := range []os.FileMode{0o755, 0o750, 0o711, 0o701, 0o770, 0o707, 0o777, 0o777 | os.ModeSticky} {
		layouts = append(layouts, hostileLayout{
			name: "state directory mode " + mode.String(),
			setup: func(t *testing.T, dir, _ string) []string {
				writeFile(t, filepath.Join(dir, "state.json"), `{"flag.a":"1"}`, 0o600)
				require.NoError(t, os.Chmod(dir, mode))
				return []string{filepath.Join(dir, "state.json")}
			},
		})
	}
	return layouts
}

// snapshot records what is at each path: its content, or that it is
// missing.
func snapshot(t *testing.T, paths []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			out[p] = "<missing>"
			continue
		}
		require.NoError(t, err)
		out[p] = string(data)
	}
	return out
}

// TestRefusesHostilePaths: a state file, lock file or state
// directory that another user could redirect, read or replace, or that is
// not a regular file, is statefile.ErrUnsafe naming the path, for Load and
// Save alike; nothing is followed, read, created or replaced, and no call
// hangs.
func TestRefusesHostilePaths(t *testing.T) {
	for _, tc := range hostileLayouts() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needRoot && os.Geteuid() != 0 {
				t.Skip("giving a file to another user needs root")
			}
			base := privateDir(t)
			dir := filepath.Join(base, "state")
			outside := filepath.Join(base, "outside")
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Mkdir(outside, 0o755))
			untouched := tc.setup(t, dir, outside)
			before := snapshot(t, untouched)
			dirInfo, err := os.Lstat(dir)
			require.NoError(t, err)

			s := statefile.New(filepath.Join(dir, "state.json"))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, loadErr := s.Load(ctx)
			saveErr := s.Save(ctx, map[string]string{"flag.b": "1"})
			require.NoError(t, ctx.Err(), "no call may hang")

			if tc.loadOK {
				assert.NoError(t, loadErr)
			} else {
				require.ErrorIs(t, loadErr, statefile.ErrUnsafe)
				assert.Contains(t, loadErr.Error(), dir)
			}
			require.ErrorIs(t, saveErr, statefile.ErrUnsafe)
			assert.Contains(t, saveErr.Error(), dir)
			assert.NotErrorIs(t, saveErr, statefile.ErrCorrupt)

			assert.Equal(t, before, snapshot(t, untouched), "nothing outside was read into or written")
			after, err := os.Lstat(dir)
			require.NoError(t, err)
			assert.Equal(t, dirInfo.Mode(), after.Mode(), "the directory is refused, not changed")
			entries, err := os.ReadDir(outside)
			require.NoError(t, err)
			for _, e := range entries {
				assert.NotContains(t, e.Name(), ".tmp", "no temporary file through a redirect")
			}
		})
	}
}

// TestTightensLooseFiles: a state or lock file open to group or
// others, inside a private directory, is tightened to 0600 and used.
func TestTightensLooseFiles(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o666, 0o604, 0o640, 0o777} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			dir := privateDir(t)
			path := filepath.Join(dir, "state.json")
			writeFile(t, path, `{"flag.a":"1"}`, mode)
			writeFile(t, path+".lock", "", mode)

			data, err := statefile.New(path).Load(ctx)
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"flag.a": "1"}, data)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "Load tightens the state file")

			require.NoError(t, statefile.New(path).Save(ctx, map[string]string{"flag.b": "1"}))
			for _, p := range []string{path, path + ".lock"} {
				fi, err := os.Stat(p)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
			}
		})
	}
}

// TestCreatesPrivateDirectories: missing directories are made
// 0700.
func TestCreatesPrivateDirectories(t *testing.T) {
	base := privateDir(t)
	path := filepath.Join(base, "a", "b", "state.json")
	require.NoError(t, statefile.New(path).Save(context.Background(), map[string]string{"k": "v"}))
	for _, d := range []string{filepath.Join(base, "a"), filepath.Join(base, "a", "b")} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), d)
	}
}
