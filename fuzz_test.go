package httprelation_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// FuzzServices runs Requires.Services over one fuzzed remote unit (name
// and bag) next to good ones. Whatever the unit sends: no panic, no error,
// every host it yields is valid, the good units keep their hosts, each
// problem is one warning that neither forges a log line nor floods it,
// and extended_data gives the same hosts entry by entry as in one piece
// (an entry's fate depends on nothing but itself).
// FuzzParseUnitData (services_test.go) fuzzes the parser alone.
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
		m := httprelationtest.New(t, &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{
			"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
				unit:    bag,
				"web/9": {"private-address": "10.0.0.99", "port": "80"},
			}},
			"backends:2": {RemoteApp: "api", Units: map[string]map[string]string{
				"api/0": {"private-address": "10.0.1.1", "port": "443"},
			}},
		}})
		got, records, err := hostileServices(t, m)
		require.NoError(t, err)

		byApp := map[string][]httprelation.Host{}
		for _, svc := range got {
			require.NotEmpty(t, svc.Hosts, svc.Name)
			require.True(t, slices.IsSortedFunc(svc.Hosts, compareFuzzHost), "%s not sorted", svc.Name)
			require.Len(t, slices.CompactFunc(slices.Clone(svc.Hosts), func(a, b httprelation.Host) bool { return a == b }), len(svc.Hosts), "%s not de-duplicated", svc.Name)
			for _, h := range svc.Hosts {
				require.NoError(t, httprelation.CheckAddress(h.Hostname))
				require.NoError(t, httprelation.CheckAddress(h.PrivateAddress))
				require.NoError(t, httprelation.CheckPort(h.Port))
			}
			byApp[svc.Name] = svc.Hosts
		}
		assert.Contains(t, byApp["web"], hostileHost("10.0.0.99", "10.0.0.99", 80))
		assert.Contains(t, byApp["api"], hostileHost("10.0.1.1", "10.0.1.1", 443))

		hosts, problems := httprelation.ParseUnitData(bag)
		if app := httprelation.AppName(unit); len(records) == 1 && records[0]["key"] == nil {
			// The unit's name was refused: nothing of its bag is used.
			assert.Equal(t, wantLogValue(unit), records[0]["unit"])
			assert.Len(t, got, 2)
			checkHostileRecord(t, records[0], unit)
		} else {
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
