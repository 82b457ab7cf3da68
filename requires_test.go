package httprelation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/scenarios")

// endpoint is the requires endpoint every scenario under testdata uses.
const endpoint = "reverseproxy"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// captureLog returns a logger and a function decoding what it logged.
func captureLog(t *testing.T) (*slog.Logger, func() []map[string]any) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, nil)), func() []map[string]any {
		var records []map[string]any
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var r map[string]any
			require.NoError(t, dec.Decode(&r))
			records = append(records, r)
		}
		return records
	}
}

func TestServicesGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.json"))
	require.NoError(t, err)
	var scenarios []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			scenarios = append(scenarios, f)
		}
	}
	require.GreaterOrEqual(t, len(scenarios), 8)
	for _, path := range scenarios {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			m, err := httprelationtest.Load(path)
			require.NoError(t, err)
			services, err := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
			require.NoError(t, err)
			got, err := json.MarshalIndent(services, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, ".json") + ".golden.json"
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), string(got))
		})
	}
}

// web is relation reverseproxy:1 to application web with these units.
func web(units map[string]map[string]string) map[string]toolsim.Relation {
	return map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web", Units: units}}
}

// proxy is the requirer unit haproxy/0 with these relations.
func proxy(rels map[string]toolsim.Relation) *toolsim.Model {
	return &toolsim.Model{Unit: "haproxy/0", Relations: rels}
}

func services(t *testing.T, acc httprelation.Accessor) []httprelation.Service {
	t.Helper()
	got, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
	require.NoError(t, err)
	return got
}

func TestServicesEmpty(t *testing.T) {
	for name, s := range map[string]*toolsim.Model{
		"no relation":   proxy(nil),
		"no port yet":   proxy(web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1"}})),
		"no units":      proxy(web(nil)),
		"only bad data": proxy(web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "http"}})),
	} {
		t.Run(name, func(t *testing.T) {
			r := httprelation.NewRequires(httprelationtest.New(t, s), endpoint, httprelation.WithLogger(quiet))
			got, err := r.Services(context.Background())
			require.NoError(t, err)
			require.NotNil(t, got)
			b, err := json.Marshal(got)
			require.NoError(t, err)
			assert.Equal(t, "[]", string(b))
			ok, err := r.Available(context.Background())
			require.NoError(t, err)
			assert.False(t, ok)
		})
	}
}

func TestAvailableClearsWhenLastPortLeaves(t *testing.T) {
	m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2"},
	})))
	r := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(quiet))
	assert.Equal(t, endpoint, r.Endpoint())
	ok, err := r.Available(context.Background())
	require.NoError(t, err)
	assert.True(t, ok)

	require.NoError(t, m.RemoveUnit("reverseproxy:1", "web/0"))
	ok, err = r.Available(context.Background())
	require.NoError(t, err)
	assert.False(t, ok, "web/1 remains but serves nothing")
}

func TestServicesDedupesPortNumberAndString(t *testing.T) {
	m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "8080",
			"extended_data": `[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":"8080"}]`},
		"web/1": {"private-address": "10.0.0.2", "port": "8080", "extended_data": `[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]`},
	})))
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 8080), h("10.0.0.2", "10.0.0.2", 8080)}}}, services(t, m))
}

func TestServicesSortedAndStable(t *testing.T) {
	units := map[string]map[string]string{}
	for i, a := range []string{"10.0.0.9", "10.0.0.10", "10.0.0.1"} {
		units["web/"+string(rune('0'+i))] = map[string]string{"private-address": a, "port": "80"}
	}
	m := httprelationtest.New(t, proxy(map[string]toolsim.Relation{
		"reverseproxy:12": {RemoteApp: "zeta", Units: map[string]map[string]string{"zeta/0": {"private-address": "10.0.1.1", "port": "81"}}},
		"reverseproxy:3":  {RemoteApp: "web", Units: units},
		"reverseproxy:4": {RemoteApp: "alpha", Units: map[string]map[string]string{"alpha/0": {"private-address": "10.0.2.1", "port": "443",
			"extended_data": `[{"private-address":"10.0.2.1","port":80},{"hostname":"a.internal","private-address":"10.0.2.1","port":80}]`}}},
	}))
	want := []httprelation.Service{
		{Name: "alpha", Hosts: []httprelation.Host{h("10.0.2.1", "10.0.2.1", 80), h("10.0.2.1", "10.0.2.1", 443), h("a.internal", "10.0.2.1", 80)}},
		{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80), h("10.0.0.10", "10.0.0.10", 80), h("10.0.0.9", "10.0.0.9", 80)}},
		{Name: "zeta", Hosts: []httprelation.Host{h("10.0.1.1", "10.0.1.1", 81)}},
	}
	for range 20 {
		require.Equal(t, want, services(t, m))
	}
}

func TestServicesMergesRelationsToOneApp(t *testing.T) {
	m := httprelationtest.New(t, proxy(map[string]toolsim.Relation{
		"reverseproxy:1": {RemoteApp: "web", Units: map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}}},
		"reverseproxy:2": {RemoteApp: "web", Units: map[string]map[string]string{"web/1": {"private-address": "10.0.0.2", "port": "80"}}},
		"website:3":      {RemoteApp: "web", Units: map[string]map[string]string{"web/2": {"private-address": "10.0.0.3", "port": "80"}}},
	}))
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80), h("10.0.0.2", "10.0.0.2", 80)}}}, services(t, m))
}

func TestServicesIPv6(t *testing.T) {
	m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "fd00::10", "port": "8080"},
	})))
	got := services(t, m)
	require.Len(t, got, 1)
	require.Len(t, got[0].Hosts, 1)
	assert.Equal(t, "[fd00::10]:8080", got[0].Hosts[0].Addr())
}

// oldTooling answers relation-list as Juju before 3 did: the unit leaving
// in a relation-departed hook, and the units of a relation whose
// relation-broken hook runs, are still listed.
type oldTooling struct {
	*httprelationtest.Model
	extra map[string][]string
}

func (o oldTooling) RelationUnits(ctx context.Context, id string) ([]string, error) {
	units, err := o.Model.RelationUnits(ctx, id)
	return append(units, o.extra[id]...), err
}

func TestServicesHookRules(t *testing.T) {
	rels := func() map[string]toolsim.Relation {
		return map[string]toolsim.Relation{
			"reverseproxy:4": {RemoteApp: "shop", Units: map[string]map[string]string{
				"shop/0": {"private-address": "172.20.1.10", "port": "8000"},
				"shop/3": {"private-address": "172.20.1.13", "port": "8000"},
			}},
			"reverseproxy:11": {RemoteApp: "blog", Units: map[string]map[string]string{
				"blog/1": {"private-address": "172.20.2.11", "port": "80"},
			}},
		}
	}
	shop0 := httprelation.Service{Name: "shop", Hosts: []httprelation.Host{h("172.20.1.10", "172.20.1.10", 8000)}}
	both := httprelation.Service{Name: "shop", Hosts: []httprelation.Host{h("172.20.1.10", "172.20.1.10", 8000), h("172.20.1.13", "172.20.1.13", 8000)}}
	blogs := httprelation.Service{Name: "blog", Hosts: []httprelation.Host{h("172.20.2.11", "172.20.2.11", 80)}}
	departed := toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "shop/3"}
	broken := toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: "reverseproxy:11"}
	tests := []struct {
		name  string
		hook  toolsim.Hook
		extra map[string][]string
		want  []httprelation.Service
	}{
		{name: "changed", hook: toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3"},
			want: []httprelation.Service{blogs, both}},
		{name: "departed, juju 3", hook: departed, want: []httprelation.Service{blogs, shop0}},
		{name: "departed, still listed", hook: departed, extra: map[string][]string{"reverseproxy:4": {"shop/3"}}, want: []httprelation.Service{blogs, shop0}},
		{name: "departed, other relation keeps its units", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:11", RemoteUnit: "blog/1", DepartingUnit: "blog/1"},
			want: []httprelation.Service{both}},
		// The local unit leaving: Juju drops the hook's remote unit, one per departed hook.
		{name: "local unit departing", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "haproxy/0"},
			want: []httprelation.Service{blogs, shop0}},
		{name: "local unit departing, still listed", hook: toolsim.Hook{Name: "reverseproxy-relation-departed", RelationID: "reverseproxy:4", RemoteUnit: "shop/3", DepartingUnit: "haproxy/0"},
			extra: map[string][]string{"reverseproxy:4": {"shop/3"}}, want: []httprelation.Service{blogs, shop0}},
		{name: "broken, juju 3", hook: broken, want: []httprelation.Service{both}},
		{name: "broken, still listed", hook: broken, extra: map[string][]string{"reverseproxy:11": {"blog/1"}}, want: []httprelation.Service{both}},
		{name: "broken by number only", hook: toolsim.Hook{Name: "reverseproxy-relation-broken", RelationID: "11"},
			extra: map[string][]string{"reverseproxy:11": {"blog/1"}}, want: []httprelation.Service{both}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := proxy(rels())
			model.Hook = tt.hook
			m := httprelationtest.New(t, model)
			assert.Equal(t, tt.want, services(t, oldTooling{Model: m, extra: tt.extra}))
		})
	}
}

func TestServicesSkipsMalformedUnitNames(t *testing.T) {
	for _, bad := range []string{"Web/0", "web", "web/", "/0", "web/x", "web/-1", "9web/0", "web_app/0", "web/0/1", "wéb/0", "web\n/0"} {
		t.Run(bad, func(t *testing.T) {
			m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
				"web-b/0": {"private-address": "10.0.0.1", "port": "80"}, // "web-2" is no Juju name
				bad:       {"private-address": "10.0.0.2", "port": "80"},
			})))
			logger, logged := captureLog(t)
			got, err := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
			require.NoError(t, err)
			assert.Equal(t, []httprelation.Service{{Name: "web-b", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80)}}}, got)
			records := logged()
			require.Len(t, records, 1)
			assert.Equal(t, "WARN", records[0]["level"])
			assert.Equal(t, wantLogValue(bad), records[0]["unit"])
			assert.Equal(t, "reverseproxy:1", records[0]["relation"])
		})
	}
}

func TestServicesWarnings(t *testing.T) {
	long := "a" + strings.Repeat("-", 200) + "\n"
	m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2", "port": "http", "hostname": long},
		"web/2": {"private-address": "10.0.0.3", "port": "80", "extended_data": `[{"hostname":"10.0.0.30","port":"0"},{"hostname":"10.0.0.31","port":81}]`},
	})))
	logger, logged := captureLog(t)
	got, err := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
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

func TestServicesCallCounts(t *testing.T) {
	rels := web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}, "web/1": {"private-address": "10.0.0.2", "port": "80"}})
	rels["reverseproxy:2"] = toolsim.Relation{RemoteApp: "api", Units: map[string]map[string]string{"api/0": {"private-address": "10.0.1.1", "port": "80"}}}
	rels["website:3"] = toolsim.Relation{RemoteApp: "other", Units: map[string]map[string]string{"other/0": {"private-address": "10.0.2.1", "port": "80"}}}
	model := proxy(rels)
	model.Hook = toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "web/0"}
	m := httprelationtest.New(t, model)
	got := services(t, m)
	require.Len(t, got, 2)
	assert.Equal(t, 1, m.CallCount("HookContext"))
	assert.Equal(t, 1, m.CallCount("RelationIDs"))
	assert.Equal(t, 2, m.CallCount("RelationUnits"))
	assert.Equal(t, 3, m.CallCount("UnitData"))
	assert.Equal(t, 0, m.CallCount("RemoteApp"))
	assert.Len(t, m.Calls(), 1+1+2+3)
	for _, c := range m.Calls()[:4] {
		assert.NotEqual(t, "UnitData", c.Method, "units are listed before bags are read: %v", m.Calls())
	}
}

// TestWarningsTellEscapesFromBackslashes: a warning shows a remote value
// escaped, not quoted, so a newline and a backslash followed by "n" must
// still read differently, and a value that merely ends like a cut must
// not gain a length.
func TestWarningsTellEscapesFromBackslashes(t *testing.T) {
	m := httprelationtest.New(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2", "port": "8\n0"},
		"web/2": {"private-address": "10.0.0.3", "port": `8\n0`},
		"web/3": {"private-address": "10.0.0.4", "port": `\\x1b`},
		"web/4": {"private-address": "10.0.0.5", "port": "80...(9000 bytes)"},
	})))
	logger, logged := captureLog(t)
	_, err := httprelation.NewRequires(m, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
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
