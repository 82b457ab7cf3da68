package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/statefile"
	"github.com/charmkit/httprelation/toolsim"
)

// hostileViewText is a stored view of about size bytes whose lines are
// valid but name hosts a full read does not give: used, they would show
// in the answer.
func hostileViewText(size int) string {
	var b strings.Builder
	b.WriteString("httprelation-view 1 0 kept\n")
	for u := 0; b.Len() < size; u++ {
		fmt.Fprintf(&b, "3 web/%d 10.99.%d.%d,8080\n", u, u>>8&255, u&255)
	}
	return b.String()
}

// hostileViewParts is n values of exactly size bytes under the view's
// keys.
func hostileViewParts(n, size int) map[string]string {
	text := hostileViewText(size)[:size]
	parts := map[string]string{}
	for i := range n {
		parts[fmt.Sprintf("view.reverseproxy.%d", i)] = text
	}
	return parts
}

// unitsView is a stored view of n units, none of them listed.
func unitsView(n int) map[string]string {
	var b strings.Builder
	b.WriteString("httprelation-view 1 0 kept\n")
	for u := range n {
		fmt.Fprintf(&b, "3 gone/%d\n", u)
	}
	return map[string]string{"view.reverseproxy.0": b.String()}
}

// flagKeys is a state of n flags.
func flagKeys(n int) map[string]string {
	state := make(map[string]string, n)
	for i := range n {
		state[fmt.Sprintf("flag.f%d", i)] = "1"
	}
	return state
}

func jsonText(t *testing.T, state map[string]string) string {
	t.Helper()
	out, err := json.Marshal(state)
	require.NoError(t, err)
	return string(out)
}

// TestIncrementalHostileStoredState runs `http-relation services
// --incremental` over stored state this library never writes, in both
// stores. A load past the store's cap fails the hook, naming the limit,
// with nothing printed or saved and the state file left alone. A view the
// store loads but the view would never write (a value past 60 KiB, more
// than 512 KiB in all, more than 5000 units) is refused before it is
// decoded: one warning naming the bound, every unit read, the answer of a
// full read, and a view of its own saved in its place, every other part
// deleted; the next hook reads only its unit.
func TestIncrementalHostileStoredState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		store string
		// state is what the store holds; fault, for the state store,
		// what state-get prints instead (what Juju would not print).
		state map[string]string
		fault string
		// err, for a refused load: what stderr says. reason, for a
		// refused view: what its warning says.
		err, reason string
		deletes     int // state-delete calls of the replacing save
	}{
		{name: "state: one view value of 15 MiB", store: storeState,
			fault: jsonText(t, map[string]string{"view.reverseproxy.0": hostileViewText(15 << 20)}),
			err:   fmt.Sprintf("more than %d bytes (hooktools.MaxStateOutput)", hooktools.MaxStateOutput)},
		{name: "state: a value past Juju's 64 KiB", store: storeState, fault: jsonText(t, hostileViewParts(1, 64<<10+1)),
			err: "65537 bytes, and Juju keeps at most 65536"},
		{name: "state: more keys than MaxStateKeys", store: storeState, fault: jsonText(t, flagKeys(hooktools.MaxStateKeys+1)),
			err: "more than 16384 (hooktools.MaxStateKeys)"},
		{name: "state: a view value of Juju's 64 KiB", store: storeState, state: hostileViewParts(1, 64<<10),
			reason: "part 0 is 65536 bytes, at most 61440"},
		{name: "state: nine view values of 60 KiB", store: storeState, state: hostileViewParts(9, 60<<10),
			reason: "552960 bytes, at most 524288", deletes: 8},
		{name: "state: 5001 units", store: storeState, state: unitsView(5001), reason: "more than 5000 units"},
		{name: "file: one view value of 15 MiB", store: storeFile,
			state: map[string]string{"view.reverseproxy.0": hostileViewText(15 << 20)},
			err:   fmt.Sprintf("more than %d (statefile.MaxFileSize)", statefile.MaxFileSize)},
		{name: "file: more keys than MaxKeys", store: storeFile, state: flagKeys(statefile.MaxKeys + 1),
			err: "more than 16384 keys (statefile.MaxKeys)"},
		{name: "file: a view value of 64 KiB", store: storeFile, state: hostileViewParts(1, 64<<10),
			reason: "part 0 is 65536 bytes, at most 61440"},
		{name: "file: twelve view values of 60 KiB", store: storeFile, state: hostileViewParts(12, 60<<10),
			reason: "12 parts, at most 10"},
		{name: "file: 5001 units", store: storeFile, state: unitsView(5001), reason: "more than 5000 units"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := requirerModel(map[string]toolsim.Relation{"reverseproxy:3": relation("web", proxyAddr, map[string]map[string]string{
				"web/0": backend("10.0.0.1", "80"), "web/1": backend("10.0.0.2", "80"), "web/2": backend("10.0.0.3", "80"),
			})})
			h := hook{name: "reverseproxy-relation-changed", relation: "reverseproxy:3", remoteUnit: "web/1", remoteApp: "web"}
			dir := charmDir(t, "haproxy")
			path := filepath.Join(dir, ".httprelation", "state.json")
			switch {
			case tc.fault != "":
				m.Faults = map[string]toolsim.Fault{"state-get": {Stdout: tc.fault + "\n"}}
			case tc.store == storeState:
				m.State = tc.state
			default:
				require.NoError(t, os.Mkdir(filepath.Dir(path), 0o700))
				require.NoError(t, os.WriteFile(path, []byte(jsonText(t, tc.state)), 0o600))
			}
			sim := toolsim.Start(t, m, h.env(m.Unit, dir))
			res := runSim(t, sim, "services", "--incremental", "--store", tc.store, "reverseproxy")
			calls := countCalls(t, sim)

			if tc.err != "" {
				require.Equal(t, 1, res.ExitCode, res.Stderr)
				assert.Contains(t, res.Stderr, tc.err)
				assert.Contains(t, res.Stderr, "too large")
				assert.Empty(t, res.Stdout)
				assert.Zero(t, calls["state-set"]+calls["state-delete"], "nothing saved")
				if tc.store == storeFile {
					data, err := os.ReadFile(path)
					require.NoError(t, err)
					assert.Equal(t, jsonText(t, tc.state), string(data), "the file is left alone")
				}
				return
			}
			require.Equal(t, 0, res.ExitCode, res.Stderr)
			now, err := sim.Model()
			require.NoError(t, err)
			assert.Equal(t, fullReadJSON(t, now, h), libraryJSON(t, res.Stdout), "a full read's answer, not the stored hosts")
			assert.Equal(t, 3, calls["relation-get"], "every unit read")
			warnings := 0
			for _, line := range strings.Split(res.Stderr, "\n") {
				if strings.Contains(line, "stored view unusable") {
					warnings++
					assert.Contains(t, line, tc.reason)
				}
			}
			assert.Equal(t, 1, warnings, res.Stderr)
			assert.Equal(t, tc.deletes, calls["state-delete"])

			// The view saved in its place, alone, is used by the next hook.
			state := now.State
			if tc.store == storeFile {
				state, err = statefile.New(path).Load(context.Background())
				require.NoError(t, err)
			}
			assert.Equal(t, []string{"view.reverseproxy.0"}, viewKeyNames(state))
			assert.Contains(t, state["view.reverseproxy.0"], "\n3 web/0 10.0.0.1,80\n")
			res = runSim(t, sim, "services", "--incremental", "--store", tc.store, "reverseproxy")
			require.Equal(t, 0, res.ExitCode, res.Stderr)
			assert.NotContains(t, res.Stderr, "stored view unusable")
			assert.Equal(t, 4, countCalls(t, sim)["relation-get"], "one more read: the hook's unit")
		})
	}
}

// viewKeyNames lists the view's keys in state.
func viewKeyNames(state map[string]string) []string {
	var names []string
	for k := range state {
		if strings.HasPrefix(k, "view.") {
			names = append(names, k)
		}
	}
	return names
}
