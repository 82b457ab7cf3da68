package httprelation_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/toolsim"
)

// The warnings Services logs about remote data: one per problem, naming
// relation, unit and key, with the value shown so that it cannot forge a
// line, bounded per unit and per read, and logged once per hook.

func TestServicesWarnings(t *testing.T) {
	long := "a" + strings.Repeat("-", 200) + "\n"
	_, acc := serve(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2", "port": "http", "hostname": long},
		"web/2": {"private-address": "10.0.0.3", "port": "80", "extended_data": `[{"hostname":"10.0.0.30","port":"0"},{"hostname":"10.0.0.31","port":81}]`},
	})))
	logger, logged := captureLog(t)
	got, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{
		h("10.0.0.1", "10.0.0.1", 80), h("10.0.0.3", "10.0.0.3", 80), h("10.0.0.31", "10.0.0.31", 81)}}}, got)

	records := logged()
	require.Len(t, records, 3, "one warning per problem")
	byKey := map[string]map[string]any{}
	for _, r := range records {
		assert.Equal(t, "WARN", r["level"])
		assert.Equal(t, "reverseproxy:1", r["relation"])
		byKey[r["unit"].(string)+" "+r["key"].(string)] = r
	}
	port := byKey["web/1 port"]
	require.NotNil(t, port)
	assert.Equal(t, "http", port["value"])
	assert.Contains(t, port["error"], "invalid port")
	assert.NotContains(t, port, "index")

	hostname := byKey["web/1 hostname"]
	require.NotNil(t, hostname)
	assert.True(t, strings.HasPrefix(hostname["value"].(string), "a---"))
	assert.Contains(t, hostname["value"], "...(202 bytes)", "cut to 64 bytes")
	assert.NotContains(t, hostname["value"], "\n")
	assert.Contains(t, hostname["error"], "invalid address")

	ext := byKey["web/2 extended_data"]
	require.NotNil(t, ext)
	assert.Equal(t, `{"hostname":"10.0.0.30","port":"0"}`, ext["value"])
	assert.EqualValues(t, 0, ext["index"])
	assert.Contains(t, ext["error"], "invalid port")
}

// TestWarningsTellEscapesFromBackslashes: a warning shows a remote value
// escaped, not quoted, so a newline and a backslash followed by "n" must
// still read differently, and a value that merely ends like a cut must
// not gain a length.
func TestWarningsTellEscapesFromBackslashes(t *testing.T) {
	_, acc := serve(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2", "port": "8\n0"},
		"web/2": {"private-address": "10.0.0.3", "port": `8\n0`},
		"web/3": {"private-address": "10.0.0.4", "port": `\\x1b`},
		"web/4": {"private-address": "10.0.0.5", "port": "80...(9000 bytes)"},
	})))
	logger, logged := captureLog(t)
	_, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
	require.NoError(t, err)
	shown := map[string]any{}
	for _, r := range logged() {
		shown[r["unit"].(string)] = r["value"]
	}
	assert.Equal(t, map[string]any{
		"web/1": `8\n0`,
		"web/2": `8\\n0`,
		"web/3": `\\\\x1b`,
		"web/4": "80...(9000 bytes)",
	}, shown)
}

// TestServicesWarningsAreBounded: the warnings about remote data of one
// read are capped, at 8 per unit and 64 in all, the first ones in unit
// order, then one warning counting those left out, whatever order the
// reads end in. Each warning costs a
// juju-log call in a charm that logs to Juju: 100 units of 256 bad
// extended_data entries made 25,600 of them in every hook. A key is cut
// to 64 bytes in a warning, so a unit's 1 MiB key is not logged, or held
// until the read ends, whole.
func TestServicesWarningsAreBounded(t *testing.T) {
	badExt := func(n int) string {
		entries := make([]string, n)
		for i := range entries {
			entries[i] = fmt.Sprintf(`{"hostname":"bad host %d","port":80}`, i)
		}
		return "[" + strings.Join(entries, ",") + "]"
	}
	badTop := map[string]string{"hostname": "a b", "private-address": "c d", "port": "http"}
	bigKey := strings.Repeat("k", 1<<20)
	for _, tc := range []struct {
		name    string
		units   int
		bag     func(i int) map[string]string
		answer  *readAnswer // for every unit, instead of its bag
		logged  int         // warnings about units, before the count
		leftOut int         // 0: no counting warning
	}{
		{"one unit of 256 bad entries", 1, func(int) map[string]string {
			return map[string]string{"private-address": "10.0.0.1", "port": "80", "extended_data": badExt(256)}
		}, nil, 8, 248},
		{"one unit of 8 bad entries: all logged", 1, func(int) map[string]string {
			return map[string]string{"private-address": "10.0.0.1", "port": "80", "extended_data": badExt(8)}
		}, nil, 8, 0},
		{"100 units of 3 bad keys", 100, func(int) map[string]string { return badTop }, nil, 64, 236},
		{"100 units of 256 bad entries", 100, func(int) map[string]string {
			return map[string]string{"private-address": "10.0.0.1", "port": "80", "extended_data": badExt(256)}
		}, nil, 64, 100*256 - 64},
		{"21 units of 3 bad keys: 63 logged", 21, func(int) map[string]string { return badTop }, nil, 63, 0},
		{"a 1 MiB key whose value is not a string", 3, nil, &readAnswer{
			map[string]string{"private-address": "10.0.0.1", "port": "80"},
			&httprelation.PartialBagError{Problems: []*httprelation.EntryError{notString(bigKey, "1", "number")}},
		}, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var byReader [2][]map[string]any
			for b, reversed := range []bool{false, true} {
				units := map[string]map[string]string{}
				answers := map[string]readAnswer{}
				for i := range tc.units {
					unit := fmt.Sprintf("web/%d", i)
					if tc.answer != nil {
						units[unit] = map[string]string{}
						answers[unit] = *tc.answer
					} else {
						units[unit] = tc.bag(i)
					}
				}
				_, records, err := servicesRead(t, httprelationtest.New(t, proxy(web(units))), answers, reversed)
				require.NoError(t, err)
				byReader[b] = records
				for _, r := range byReader[b] {
					delete(r, "time")
				}
			}
			records := byReader[0]
			assert.Equal(t, records, byReader[1], "the same warnings whatever the order reads end in")
			want := tc.logged
			if tc.leftOut > 0 {
				want++
			}
			require.Len(t, records, want)
			perUnit := map[string]int{}
			for i, r := range records[:tc.logged] {
				assert.Equal(t, "httprelation: ignoring invalid remote data", r["msg"])
				unit := r["unit"].(string)
				if perUnit[unit] > 0 {
					assert.Equal(t, unit, records[i-1]["unit"], "a unit's warnings come together")
				}
				perUnit[unit]++
				assert.LessOrEqual(t, perUnit[unit], 8)
				assert.LessOrEqual(t, len(r["key"].(string)), 90, "the key is cut")
			}
			if tc.leftOut > 0 {
				r := records[tc.logged]
				assert.Equal(t, "httprelation: more warnings about remote data, not logged one by one", r["msg"])
				assert.Equal(t, endpoint, r["endpoint"])
				assert.EqualValues(t, tc.leftOut, r["not_logged"])
			}
		})
	}
}

// TestServicesMalformedNameWarningsAreBounded: unit names that Juju
// cannot produce are warned about one by one up to 64 per read, then
// counted in one warning, as the warnings about remote data are: a tool
// listing thousands of them cannot have every hook write thousands of
// lines.
func TestServicesMalformedNameWarningsAreBounded(t *testing.T) {
	for _, n := range []int{64, 65, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			units := []string{"web/0"}
			for i := range n {
				units = append(units, fmt.Sprintf("WEB/%d", i))
			}
			_, records := servicesListing(t, append(units, "web/1")...)
			logged := min(n, 64)
			for i, r := range records[:logged] {
				assert.Equal(t, "httprelation: skipping remote unit with a malformed name", r["msg"])
				assert.Equal(t, fmt.Sprintf("WEB/%d", i), r["unit"], "in listing order")
			}
			if n == logged {
				require.Len(t, records, logged)
				return
			}
			require.Len(t, records, logged+1)
			assert.Equal(t, "httprelation: more remote units with a malformed name, not logged one by one", records[logged]["msg"])
			assert.EqualValues(t, n-logged, records[logged]["not_logged"])
		})
	}
}

// helperCharmEnv makes the test binary run helperCharm instead of the
// tests, so that a test can run a charm of this package as a hook
// process under the simulator without building another binary.
const helperCharmEnv = "HTTPRELATION_TEST_CHARM"

// helperCharm is the README's requirer with its warnings sent to
// juju-log: Services, then UpdateFlags, then Save. In mode "two" it reads
// through two Requires values of one unit, as a charm that opened the
// endpoint twice would.
func helperCharm(mode string) int {
	ctx := context.Background()
	unit, err := hooktools.NewUnit()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	proxy := httprelation.NewRequires(unit.Accessor, "reverseproxy", httprelation.WithLogger(unit.Logger))
	flagger := proxy
	if mode == "two" {
		flagger = httprelation.NewRequires(unit.Accessor, "reverseproxy", httprelation.WithLogger(unit.Logger))
	}
	err = func() error {
		if _, err := proxy.Services(ctx); err != nil {
			return err
		}
		flags, err := httprelation.NewRegistry(ctx, unit.Store)
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
