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

// FuzzFileStoreDecode writes arbitrary bytes as the flag store's file. A
// file that is not a JSON object of strings, or whose strings the JSON
// decoder would silently change (bytes that are not UTF-8, half of a
// surrogate pair), is ErrCorruptState for Load and Save alike and is
// never replaced; any other file loads as the JSON decoder reads it and
// survives a Save of other keys. The verdict is reached here without
// FileStore's own scanner.
func FuzzFileStoreDecode(f *testing.F) {
	f.Add([]byte(`{"flag.website.available":"1","hash.services":"ab12"}`))
	f.Add([]byte("{}\n"))
	f.Add([]byte("null"))
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte(`{"a":"1"`))
	f.Add([]byte(`{"a":"\ud800","b":"x"} `))
	f.Add([]byte(`["a"]`))
	f.Add([]byte(""))
	f.Add([]byte("{\"a\":\"\xff\"}"))
	f.Add([]byte("{\"\xc3\":\"1\"}"))
	f.Add([]byte(`{"a":"\udc00"}`))
	f.Add([]byte(`{"a":"\ud800\u0041"}`))
	f.Add([]byte(`{"a":"\ud83d\ude00"}`))
	f.Add([]byte(`{"a":"\\ud800"}`))
	f.Add([]byte(`{"a":"\uFFFD"}`))
	f.Add([]byte("{\"a\":\"\uFFFD\"}"))
	// One file per fuzzing process, rewritten by each input: a directory
	// per input would cost more than the test itself. t.TempDir() is open
	// to others, which FileStore refuses.
	dir := filepath.Join(f.TempDir(), "state")
	require.NoError(f, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(path, data, 0o600))
		store := httprelation.NewFileStore(path)
		ctx := context.Background()

		verdict, want := stateFileVerdict(data)
		got, err := store.Load(ctx)
		if verdict == fileCorrupt {
			require.ErrorIs(t, err, httprelation.ErrCorruptState)
			require.Contains(t, err.Error(), path, "the error names the file")
			require.ErrorIs(t, store.Save(ctx, map[string]string{"fuzz.key": "v"}), httprelation.ErrCorruptState)
			after, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			require.True(t, bytes.Equal(data, after), "a corrupt file is left alone")
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)

		require.NoError(t, store.Save(ctx, map[string]string{"fuzz.key": "v", "fuzz.gone": ""}))
		again, err := store.Load(ctx)
		require.NoError(t, err)
		expect := maps.Clone(want)
		delete(expect, "fuzz.gone")
		expect["fuzz.key"] = "v"
		require.Equal(t, expect, again)
	})
}

type fileVerdict int

const (
	fileCorrupt fileVerdict = iota
	fileClean
)

// stateFileVerdict judges a state file from the outside. encoding/json
// replaces what it cannot keep with U+FFFD, one per loss, so a string
// token is lossy when its decoded form holds more U+FFFD than its raw
// spelling writes, as the rune itself or as a \ufffd escape. Every string
// token counts, a key's and a value's, and one that a later duplicate key
// overwrites too: the file was not written by Save.
func stateFileVerdict(data []byte) (fileVerdict, map[string]string) {
	var want map[string]string
	if json.Unmarshal(data, &want) != nil || want == nil || !utf8.Valid(data) {
		return fileCorrupt, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for start := int64(0); ; {
		tok, err := dec.Token()
		if err != nil {
			break // io.EOF: Unmarshal already vouched for the syntax
		}
		end := dec.InputOffset()
		if s, ok := tok.(string); ok {
			raw := bytes.TrimLeft(data[start:end], " \t\r\n,:")
			if strings.Count(s, "\uFFFD") > spelledReplacements(raw) {
				return fileCorrupt, nil
			}
		}
		start = end
	}
	return fileClean, want
}

// spelledReplacements counts the U+FFFD that a quoted JSON string writes on
// purpose: the rune itself or a \ufffd escape (an escaped backslash before
// "ufffd" is neither).
func spelledReplacements(quoted []byte) int {
	n := 0
	for i := 0; i < len(quoted); {
		switch {
		case quoted[i] == '\\' && i+5 < len(quoted) && quoted[i+1] == 'u':
			if strings.EqualFold(string(quoted[i+2:i+6]), "fffd") {
				n++
			}
			i += 6
		case quoted[i] == '\\':
			i += 2
		case bytes.HasPrefix(quoted[i:], []byte("\uFFFD")):
			n++
			i += len("\uFFFD")
		default:
			i++
		}
	}
	return n
}
