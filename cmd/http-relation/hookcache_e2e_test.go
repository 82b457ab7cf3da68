package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// entryOf is a hook cache file of context id, holding entries.
func entryOf(t *testing.T, id string, entries map[string]string) string {
	t.Helper()
	file := map[string]string{"context": id}
	for k, v := range entries {
		file[k] = v
	}
	data, err := json.Marshal(file)
	require.NoError(t, err)
	return string(data)
}

// TestHookCacheDamaged damages the hook cache between the commands of a
// hook (services, then flags, then services again) in every way it can
// be: a file that does not decode or is too large, an entry that does
// not decode strictly or holds what the library would never return, an
// unsafe path, a lock that cannot be taken, another hook's entry naming
// other hosts. No command
// fails, and none prints what the file holds: each answers as a full
// read does, at the cost of a read and at most one warning. A damaged
// file or entry is replaced by the next command, so the last one reads
// nothing; an unsafe path is left as it is, and each command then reads.
func TestHookCacheDamaged(t *testing.T) {
	t.Parallel()
	const id = "haproxy/0-reverseproxy-relation-changed-7"
	forged := `{"read":"full","services":[{"service_name":"web","hosts":[{"hostname":"10.99.0.1","private-address":"10.99.0.1","port":80}]}]}`
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		// warn is in the flags command's one warning about the cache;
		// empty: it gives none.
		warn string
		// relation-get calls of flags and of the last services.
		flagsGets, lastGets int
		// unsafe: the path is left as it is; every command warns.
		unsafe bool
	}{{
		name:   "not JSON",
		damage: writeFile("{"),
		warn:   "hook cache damaged, removed; reading instead", flagsGets: 3,
	}, {
		name: "larger than statefile.MaxFileSize",
		damage: func(t *testing.T, path string) {
			writeFile(`{"context":"`+strings.Repeat("x", statefile.MaxFileSize)+`"}`)(t, path)
		},
		warn: "hook cache damaged, removed", flagsGets: 3,
	}, {
		name: "entry not JSON",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": "[{"}))(t, path)
		},
		warn: `hook cache entry not used; reading instead" err="reverseproxy: unexpected EOF"`, flagsGets: 3,
	}, {
		name: "entry with an unknown field",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": `{"read":"full","services":[],"extra":1}`}))(t, path)
		},
		warn: `unknown field \"extra\"`, flagsGets: 3,
	}, {
		name: "entry of null services",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": `{"read":"full","services":null}`}))(t, path)
		},
		warn: "reverseproxy: no services", flagsGets: 3,
	}, {
		name: "entry of an unknown read",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": `{"read":"view-etcd","services":[]}`}))(t, path)
		},
		warn: `unknown read \"view-etcd\"`, flagsGets: 3,
	}, {
		name: "entry of an address the library would spell otherwise",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": strings.Replace(forged, `"hostname":"10.99.0.1"`, `"hostname":"WEB.EXAMPLE"`, 1)}))(t, path)
		},
		warn: `address \"WEB.EXAMPLE\": not one the library returns`, flagsGets: 3,
	}, {
		name: "entry of an address the library refuses",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": strings.Replace(forged, `"private-address":"10.99.0.1"`, `"private-address":"localhost"`, 1)}))(t, path)
		},
		warn: `address \"localhost\"`, flagsGets: 3,
	}, {
		name: "entry of hosts out of order",
		damage: func(t *testing.T, path string) {
			twice := strings.Replace(forged, `"port":80}`, `"port":80},{"hostname":"10.99.0.1","private-address":"10.99.0.1","port":79}`, 1)
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": twice}))(t, path)
		},
		warn: "hosts out of order or repeated", flagsGets: 3,
	}, {
		name: "entry of a port out of range",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"requires.reverseproxy": strings.Replace(forged, `"port":80`, `"port":0`, 1)}))(t, path)
		},
		warn: "0 is outside 1..65535", flagsGets: 3,
	}, {
		name: "provides entry not JSON",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, id, map[string]string{"provides.website": "yes"}))(t, path)
		},
		warn: "website: invalid character", flagsGets: 3,
	}, {
		name: "another hook's entry naming other hosts",
		damage: func(t *testing.T, path string) {
			writeFile(entryOf(t, "haproxy/0-update-status-3", map[string]string{"requires.reverseproxy": forged}))(t, path)
		},
		flagsGets: 3,
	}, {
		name: "a symbolic link",
		damage: func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			require.NoError(t, os.Rename(path, target))
			require.NoError(t, os.Symlink(target, path))
		},
		warn: "hook cache not used; reading instead", flagsGets: 3, lastGets: 3, unsafe: true,
	}, {
		name: "a FIFO",
		damage: func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, syscall.Mkfifo(path, 0o600))
		},
		warn: "unsafe state path", flagsGets: 3, lastGets: 3, unsafe: true,
	}, {
		// flags reads only the website endpoint, and cannot share it.
		name: "a lock file that is a symbolic link",
		damage: func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path+".lock"))
			require.NoError(t, os.Symlink(filepath.Join(t.TempDir(), "elsewhere.lock"), path+".lock"))
		},
		warn: "hook cache not written; the hook's later commands read again",
	}, {
		name: "a directory open to others",
		damage: func(t *testing.T, path string) {
			require.NoError(t, os.Chmod(filepath.Dir(path), 0o755))
		},
		warn: "has mode 0755, open to group or others", flagsGets: 3, lastGets: 3, unsafe: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := charmDir(t, "haproxy")
			sim := toolsim.Start(t, oneReadWorld(), nil)
			h := changedWeb0
			h.contextID = id
			path := hookCachePath(dir)

			first := runHook(t, sim, dir, h, servicesFull)
			require.Empty(t, first.cacheLines)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			di, err := os.Stat(filepath.Dir(path))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

			tt.damage(t, path)
			before, err := os.Lstat(path)
			require.NoError(t, err)

			flags := runHook(t, sim, dir, h, flagsFull)
			assert.Equal(t, []string{`["reverseproxy.available","website.available"]` + "\n"}, flags.stdout)
			assert.Equal(t, tt.flagsGets, flags.calls["relation-get"])
			assert.Equal(t, 1, flags.calls["relation-list"]-boolInt(tt.flagsGets > 0), "website listed once, reverseproxy as read")
			if tt.warn == "" {
				assert.Empty(t, flags.cacheLines)
			} else if assert.Len(t, flags.cacheLines, 1) {
				assert.Contains(t, flags.cacheLines[0], tt.warn)
				assert.True(t, strings.HasPrefix(flags.cacheLines[0], "level=WARN "), flags.cacheLines[0])
			}

			last := runHook(t, sim, dir, h, servicesFull)
			assert.Equal(t, first.stdout, last.stdout, "a full read's answer")
			assert.NotContains(t, last.stdout[0], "10.99.0.1")
			assert.Equal(t, tt.lastGets, last.calls["relation-get"])
			assert.Len(t, last.cacheLines, boolInt(tt.unsafe))
			after, err := os.Lstat(path)
			require.NoError(t, err)
			if tt.unsafe {
				assert.Equal(t, before.Mode(), after.Mode(), "left as it is")
				assert.True(t, os.SameFile(before, after), "left as it is")
				return
			}
			assert.Equal(t, id, readStateFile(t, path)["context"])
		})
	}
}

// writeFile replaces a file's content with data.
func writeFile(data string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	}
}

// TestHookCacheNeedsContextAndCharmDir: without JUJU_CONTEXT_ID, or
// without JUJU_CHARM_DIR, nothing is shared or written: the second
// command reads again, as before sharing. A context id of a juju exec
// run (no hook name) shares like a hook's.
func TestHookCacheNeedsContextAndCharmDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		h        hook
		noCharm  bool
		gets     int
		fileMade bool
	}{
		{name: "no context id", h: changedWeb0, gets: 6},
		{name: "no charm directory", h: hook{name: changedWeb0.name, relation: "reverseproxy:3", remoteUnit: "web/0", contextID: "x-1"}, noCharm: true, gets: 6},
		{name: "juju exec", h: hook{contextID: "haproxy/0-run-commands-5"}, gets: 3, fileMade: true},
		{name: "hook", h: hook{name: changedWeb0.name, relation: "reverseproxy:3", remoteUnit: "web/0", contextID: "x-2"}, gets: 3, fileMade: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := charmDir(t, "haproxy")
			sim := toolsim.Start(t, oneReadWorld(), nil)
			env := tt.h.env("haproxy/0", dir)
			if tt.noCharm {
				delete(env, "JUJU_CHARM_DIR")
			}
			sim.SetHookEnv(env)
			var outs []string
			for range 2 {
				res := runSim(t, sim, servicesFull...)
				require.Equal(t, 0, res.ExitCode, res.Stderr)
				outs = append(outs, res.Stdout)
			}
			assert.Equal(t, outs[0], outs[1])
			assert.Equal(t, tt.gets, countCalls(t, sim)["relation-get"])
			_, err := os.Lstat(hookCachePath(dir))
			assert.Equal(t, tt.fileMade, err == nil, "%v", err)
		})
	}
}
