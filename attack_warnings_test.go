package httprelation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
)

// TestServicesWarningsAreBounded (classes 5 and 9): the warnings about
// remote data of one read are capped, at 8 per unit and 64 in all, the
// first ones in unit order, then one warning counting those left out,
// whatever order the reader hands units over in. Each warning costs a
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
			for b, bulk := range []bool{false, true} {
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
				_, records, err := servicesRead(t, httprelationtest.New(t, proxy(web(units))), answers, bulk)
				require.NoError(t, err)
				byReader[b] = records
				for _, r := range byReader[b] {
					delete(r, "time")
				}
			}
			records := byReader[0]
			assert.Equal(t, records, byReader[1], "the same warnings whatever the order of reading")
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

// TestEntryErrorCutsTheKey: an EntryError prints a long key cut, plain
// or not, as it prints the value.
func TestEntryErrorCutsTheKey(t *testing.T) {
	for _, key := range []string{strings.Repeat("k", 1<<20), strings.Repeat("k\n", 1000)} {
		e := &httprelation.EntryError{Key: key, Value: "1", Index: -1, Err: httprelation.ErrNotString}
		assert.Less(t, len(e.Error()), 200)
		assert.NotContains(t, e.Error(), "\n")
	}
	e := &httprelation.EntryError{Key: "port", Value: "x", Index: -1, Err: httprelation.ErrInvalidPort}
	assert.Equal(t, `port = "x": invalid port`, e.Error(), "a plain key stays as it is")
}

// TestServicesMalformedNameWarningsAreBounded: unit names that Juju
// cannot produce are warned about one by one up to 64 per read, then
// counted in one warning, as the warnings about remote data are: a tool
// listing thousands of them cannot have every hook write thousands of
// lines.
func TestServicesMalformedNameWarningsAreBounded(t *testing.T) {
	for _, n := range []int{64, 65, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := hostileModel(t, "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})
			units := []string{"web/0"}
			for i := range n {
				units = append(units, fmt.Sprintf("WEB/%d", i))
			}
			tools := hostileTools{Model: m, units: map[string][]string{"backends:1": append(units, "web/1")}}
			got, records, err := hostileServices(t, tools)
			require.NoError(t, err)
			assert.Equal(t, []httprelation.Service{
				{Name: "api", Hosts: []httprelation.Host{hostileAPI}},
				{Name: "web", Hosts: []httprelation.Host{hostileTop, hostileWeb1}},
			}, got)
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
