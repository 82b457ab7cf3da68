package httprelation_test

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/scenarios")

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
			model, err := toolsim.ReadModel(path)
			require.NoError(t, err)
			_, acc := serve(t, model)
			got, err := json.MarshalIndent(services(t, acc), "", "  ")
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

func TestServicesEmpty(t *testing.T) {
	for name, s := range map[string]*toolsim.Model{
		"no relation":   proxy(nil),
		"no port yet":   proxy(web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1"}})),
		"no units":      proxy(web(nil)),
		"only bad data": proxy(web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "http"}})),
	} {
		t.Run(name, func(t *testing.T) {
			_, acc := serve(t, s)
			r := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(quiet))
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
	m, acc := serve(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "80"},
		"web/1": {"private-address": "10.0.0.2"},
	})))
	ok, err := httprelation.NewRequires(acc, endpoint, httprelation.WithLogger(quiet)).Available(context.Background())
	require.NoError(t, err)
	assert.True(t, ok)

	require.NoError(t, m.RemoveUnit("reverseproxy:1", "web/0"))
	ok, err = httprelation.NewRequires(m.Unit().Accessor, endpoint, httprelation.WithLogger(quiet)).Available(context.Background())
	require.NoError(t, err)
	assert.False(t, ok, "web/1 remains but serves nothing")
}

func TestServicesDedupesPortNumberAndString(t *testing.T) {
	_, acc := serve(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "10.0.0.1", "port": "8080",
			"extended_data": `[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080},{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":"8080"}]`},
		"web/1": {"private-address": "10.0.0.2", "port": "8080", "extended_data": `[{"hostname":"10.0.0.1","private-address":"10.0.0.1","port":8080}]`},
	})))
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 8080), h("10.0.0.2", "10.0.0.2", 8080)}}}, services(t, acc))
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
		// A unit of its own each time: the reads themselves are repeated.
		require.Equal(t, want, services(t, m.Unit().Accessor))
	}
}

func TestServicesMergesRelationsToOneApp(t *testing.T) {
	_, acc := serve(t, proxy(map[string]toolsim.Relation{
		"reverseproxy:1": {RemoteApp: "web", Units: map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}}},
		"reverseproxy:2": {RemoteApp: "web", Units: map[string]map[string]string{"web/1": {"private-address": "10.0.0.2", "port": "80"}}},
		"website:3":      {RemoteApp: "web", Units: map[string]map[string]string{"web/2": {"private-address": "10.0.0.3", "port": "80"}}},
	}))
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80), h("10.0.0.2", "10.0.0.2", 80)}}}, services(t, acc))
}

func TestServicesIPv6(t *testing.T) {
	_, acc := serve(t, proxy(web(map[string]map[string]string{
		"web/0": {"private-address": "fd00::10", "port": "8080"},
	})))
	got := services(t, acc)
	require.Len(t, got, 1)
	require.Len(t, got[0].Hosts, 1)
	assert.Equal(t, "[fd00::10]:8080", got[0].Hosts[0].Addr())
}

// TestServicesOneTargetOneHost: spellings of one target, in hostname or
// private-address, at the top level or in extended_data, in one relation
// or two, are one host, written canonically.
func TestServicesOneTargetOneHost(t *testing.T) {
	_, acc := serve(t, &toolsim.Model{
		Unit: "lb/0",
		Relations: map[string]toolsim.Relation{
			"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
				"web/0": {"hostname": "WEB.EXAMPLE.COM", "private-address": "10.0.0.5", "port": "80"},
				"web/1": {"hostname": "web.example.com", "private-address": "::ffff:10.0.0.5", "port": "80"},
				"web/2": {"private-address": "2001:DB8:0::1", "port": "8080",
					"extended_data": `[{"hostname":"2001:db8::1","port":8080},{"private-address":"2001:0db8:0:0:0:0:0:1","port":"8080"}]`},
				"web/3": {"private-address": "::FFFF:10.0.0.6", "port": "80",
					"extended_data": `[{"private-address":"10.0.0.6","port":"80"},{"hostname":"::ffff:0a00:0006","port":80}]`},
			}},
			"backends:2": {RemoteApp: "web", Units: map[string]map[string]string{
				"web/4": {"hostname": "Api.Example.ORG", "private-address": "2001:0db8:0000:0000:0000:0000:0000:0002", "port": "443"},
				"web/5": {"hostname": "api.example.org", "private-address": "2001:db8::2", "port": "443",
					"extended_data": `[{"hostname":"WEB.example.com","private-address":"0:0:0:0:0:ffff:a00:5","port":80}]`},
			}},
		},
	})
	got, records, err := hostileServices(t, acc)
	require.NoError(t, err)
	assert.Empty(t, records)
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{
		{Hostname: "10.0.0.6", PrivateAddress: "10.0.0.6", Port: 80},
		{Hostname: "2001:db8::1", PrivateAddress: "2001:db8::1", Port: 8080},
		{Hostname: "api.example.org", PrivateAddress: "2001:db8::2", Port: 443},
		{Hostname: "web.example.com", PrivateAddress: "10.0.0.5", Port: 80},
	}}}, got)
}

// TestServicesCallCounts: one relation-ids, one relation-list per
// relation, one relation-get per unit, all listings before any read.
// HookContext comes from the hook's environment and costs no tool call;
// the application of a unit comes from its name, so relation-list --app
// (RemoteApp) is never asked.
func TestServicesCallCounts(t *testing.T) {
	rels := web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}, "web/1": {"private-address": "10.0.0.2", "port": "80"}})
	rels["reverseproxy:2"] = toolsim.Relation{RemoteApp: "api", Units: map[string]map[string]string{"api/0": {"private-address": "10.0.1.1", "port": "80"}}}
	rels["website:3"] = toolsim.Relation{RemoteApp: "other", Units: map[string]map[string]string{"other/0": {"private-address": "10.0.2.1", "port": "80"}}}
	model := proxy(rels)
	model.Hook = toolsim.Hook{Name: "reverseproxy-relation-changed", RelationID: "reverseproxy:1", RemoteUnit: "web/0"}
	m, acc := serve(t, model)
	got := services(t, acc)
	require.Len(t, got, 2)
	calls := m.Calls()
	assert.Equal(t, map[string]int{"relation-ids": 1, "relation-list": 2, "relation-get": 3}, toolCounts(calls))
	for _, c := range calls {
		assert.NotContains(t, c.Args, "--app", "RemoteApp asked")
	}
	for _, c := range calls[:3] {
		assert.NotEqual(t, "relation-get", c.Tool, "units are listed before bags are read: %v", calls)
	}
}

// failing makes one accessor method fail.
type failing struct {
	httprelation.Accessor
	method string
	err    error
}

func (f failing) HookContext(ctx context.Context) (httprelation.HookContext, error) {
	if f.method == "HookContext" {
		return httprelation.HookContext{}, f.err
	}
	return f.Accessor.HookContext(ctx)
}

func (f failing) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	if f.method == "RelationIDs" {
		return nil, f.err
	}
	return f.Accessor.RelationIDs(ctx, endpoint)
}

func (f failing) RelationUnits(ctx context.Context, id string) ([]string, error) {
	if f.method == "RelationUnits" {
		return nil, f.err
	}
	units, err := f.Accessor.RelationUnits(ctx, id)
	if f.method == "vanish" && len(units) > 0 {
		// A unit of the relation's application listed, then gone before
		// it is read.
		app, _, _ := strings.Cut(units[0], "/")
		units = append(units, app+"/9")
	}
	return units, err
}

func (f failing) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	if f.method == "UnitData" && unit == "web/1" {
		return nil, f.err
	}
	return f.Accessor.UnitData(ctx, id, unit)
}

// twoUnits is web/0 and web/1 in reverseproxy:1, api/0 in reverseproxy:2.
func twoUnits(t *testing.T) httprelation.Accessor {
	rels := web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}, "web/1": {"private-address": "10.0.0.2", "port": "80"}})
	rels["reverseproxy:2"] = toolsim.Relation{RemoteApp: "api", Units: map[string]map[string]string{"api/0": {"private-address": "10.0.1.1", "port": "80"}}}
	_, acc := serve(t, proxy(rels))
	return acc
}

func TestServicesAccessorErrors(t *testing.T) {
	for _, method := range []string{"HookContext", "RelationIDs", "RelationUnits", "UnitData"} {
		t.Run(method, func(t *testing.T) {
			_, err := httprelation.NewRequires(failing{Accessor: twoUnits(t), method: method, err: errBoom}, endpoint).Services(context.Background())
			require.ErrorIs(t, err, errBoom)
			assert.Contains(t, err.Error(), endpoint)
			ok, err := httprelation.NewRequires(failing{Accessor: twoUnits(t), method: method, err: errBoom}, endpoint).Available(context.Background())
			require.ErrorIs(t, err, errBoom)
			assert.False(t, ok)
		})
	}
	t.Run("relation not found", func(t *testing.T) {
		err := fmt.Errorf("relation-list: %w", httprelation.ErrRelationNotFound)
		_, got := httprelation.NewRequires(failing{Accessor: twoUnits(t), method: "RelationUnits", err: err}, endpoint).Services(context.Background())
		require.ErrorIs(t, got, httprelation.ErrRelationNotFound)
		assert.Contains(t, got.Error(), "reverseproxy:1")
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := httprelation.NewRequires(twoUnits(t), endpoint).Services(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("unit vanished after listing", func(t *testing.T) {
		logger, logged := captureLog(t)
		got, err := httprelation.NewRequires(failing{Accessor: twoUnits(t), method: "vanish"}, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
		require.NoError(t, err)
		assert.Equal(t, services(t, twoUnits(t)), got)
		records := logged()
		require.Len(t, records, 2, "one unit gone in each relation")
		for i, unit := range []string{"web/9", "api/9"} {
			assert.Equal(t, unit, records[i]["unit"])
			assert.Equal(t, "httprelation: skipping remote unit that left the relation", records[i]["msg"])
			assert.Contains(t, records[i]["error"], "settings not found", "relation-get's own words")
		}
	})
}

// TestUpdateFlagsNamesFailingEndpoint: a failing listing fails
// UpdateFlags, naming the endpoint.
func TestUpdateFlagsNamesFailingEndpoint(t *testing.T) {
	ctx := context.Background()
	_, acc := serve(t, &toolsim.Model{Unit: "webapp/0"})
	reg, err := httprelation.NewRegistry(ctx, &httprelation.MemoryStore{})
	require.NoError(t, err)
	err = httprelation.NewRequires(failing{Accessor: acc, method: "RelationIDs", err: httprelation.ErrRelationNotFound}, "reverseproxy").UpdateFlags(ctx, reg)
	require.ErrorIs(t, err, httprelation.ErrRelationNotFound)
	assert.Contains(t, err.Error(), "endpoint reverseproxy")
}

// FuzzServices runs Requires.Services over one fuzzed remote unit (name
// and bag) next to good ones. Whatever the unit sends: no panic, no error,
// every host it yields is valid, the good units keep their hosts, each
// problem is one warning that neither forges a log line nor floods it,
// and extended_data gives the same hosts entry by entry as in one piece
// (an entry's fate depends on nothing but itself). FuzzParseUnitData
// (services_test.go) fuzzes the parser alone.
func FuzzServices(f *testing.F) {
	f.Add("web/0", "web.internal", "10.0.0.1", "8080", `[{"hostname":"fd00::1","port":80},{"private-address":"10.0.0.2","port":"81"}]`)
	f.Add("web/0", "", "10.0.0.1", "http", `[{"port":8.5},{"hostname":5},1,null,{"hostname":"10.0.0.3","port":"65535"}]`)
	f.Add("web\n/0", "a\nb", "", "0", `{"a":[[[[[]]]]]}`)
	f.Add("api/3", "", "", "", "null")
	f.Add("web/1", "10.0.0.9", "10.0.0.9", "0080", `[{"hostname":"10.0.0.9","private-address":"10.0.0.9","port":80}]`)
	f.Fuzz(func(t *testing.T, unit, hostname, priv, port, ext string) {
		if unit == "web/9" || unit == "api/0" || unit == "lb/0" {
			return // the fixed units and the local one
		}
		bag := map[string]string{}
		for k, v := range map[string]string{"hostname": hostname, "private-address": priv, "port": port, "extended_data": ext} {
			if v != "" { // Juju never stores ""
				bag[k] = v
			}
		}
		model := &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{
			"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
				"web/9": {"private-address": "10.0.0.99", "port": "80"},
			}},
			"backends:2": {RemoteApp: "api", Units: map[string]map[string]string{
				"api/0": {"private-address": "10.0.1.1", "port": "443"},
			}},
		}}
		// The fuzzed unit is listed whatever its name and its bag handed
		// over as it is, as an accessor other than hooktools could: the
		// tools would refuse some names and bags before the library saw
		// them.
		_, acc := serve(t, model)
		acc = hostileTools{Accessor: acc, units: map[string][]string{"backends:1": {unit, "web/9"}}}
		acc = answering{Accessor: acc, answers: map[string]readAnswer{unit: {bag: bag}}}
		got, records, err := hostileServices(t, acc)
		require.NoError(t, err)

		byApp := map[string][]httprelation.Host{}
		for _, svc := range got {
			require.NotEmpty(t, svc.Hosts, svc.Name)
			require.True(t, slices.IsSortedFunc(svc.Hosts, compareFuzzHost), "%s not sorted", svc.Name)
			require.Len(t, slices.Compact(slices.Clone(svc.Hosts)), len(svc.Hosts), "%s not de-duplicated", svc.Name)
			for _, h := range svc.Hosts {
				require.NoError(t, httprelation.CheckAddress(h.Hostname))
				require.NoError(t, httprelation.CheckAddress(h.PrivateAddress))
				require.NoError(t, httprelation.CheckPort(h.Port))
			}
			byApp[svc.Name] = svc.Hosts
		}
		assert.Contains(t, byApp["web"], h("10.0.0.99", "10.0.0.99", 80))
		assert.Contains(t, byApp["api"], h("10.0.1.1", "10.0.1.1", 443))

		hosts, problems := httprelation.ParseUnitData(bag)
		if len(records) == 1 && records[0]["key"] == nil {
			// The unit's name was refused: nothing of its bag is used.
			assert.Equal(t, wantLogValue(unit), records[0]["unit"])
			assert.Len(t, got, 2)
			checkHostileRecord(t, records[0], unit)
		} else {
			app, _, _ := strings.Cut(unit, "/")
			require.NotEmpty(t, app)
			// One warning per problem, the first 8 of them, then one
			// counting the others.
			logged := min(len(problems), 8)
			if len(problems) > logged {
				require.Len(t, records, logged+1)
				assert.EqualValues(t, len(problems)-logged, records[logged]["not_logged"])
				records = records[:logged]
			}
			require.Len(t, records, logged, "one warning per problem")
			for _, h := range hosts {
				assert.Contains(t, byApp[app], h)
			}
			for i, r := range records {
				assert.Equal(t, unit, r["unit"])
				assert.Equal(t, problems[i].Key, r["key"])
				checkHostileRecord(t, r, problems[i].Value)
			}
		}

		// Entry by entry versus in one piece.
		var raws []json.RawMessage
		if len(ext) > 64<<10 || json.Unmarshal([]byte(ext), &raws) != nil || raws == nil || len(raws) > 256 {
			return
		}
		whole, _ := httprelation.ParseUnitData(map[string]string{"extended_data": ext})
		var pieces []httprelation.Host
		for _, raw := range raws {
			h, p := httprelation.ParseUnitData(map[string]string{"extended_data": "[" + string(raw) + "]"})
			require.LessOrEqual(t, len(h)+len(p), 1)
			pieces = append(pieces, h...)
		}
		assert.Equal(t, pieces, whole)
	})
}

// compareFuzzHost is the documented order of a service's hosts.
func compareFuzzHost(a, b httprelation.Host) int {
	return cmp.Or(strings.Compare(a.Hostname, b.Hostname), strings.Compare(a.PrivateAddress, b.PrivateAddress), cmp.Compare(a.Port, b.Port))
}
