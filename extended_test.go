package httprelation

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exactKeyNames are the DNS names of TestExtendedDataExactKeys's table,
// for TestNamesAgainstResolver.
var exactKeyNames = []string{"web.example", "evil.example", "a.example", "b.example"}

// TestExtendedDataExactKeys: extended_data is read with the exact wire
// keys, as a Python peer reads it. A key that only folds to a
// wire key (case, U+017F 'ſ', U+212A 'K') is an unknown key and ignored; a
// wire key given twice makes its entry ambiguous and the entry is refused.
func TestExtendedDataExactKeys(t *testing.T) {
	var (
		port = ErrInvalidPort
		addr = ErrInvalidAddress
		ext  = ErrInvalidExtendedData
	)
	tests := []struct {
		name  string
		entry string // one extended_data entry, put between two good ones
		host  *Host
		err   error  // the entry's problem when host is nil
		msg   string // part of that problem's message
	}{
		// Keys that case-fold to a wire key are not that key.
		{name: "PORT after port", entry: `{"hostname":"10.0.0.12","port":8080,"PORT":6379}`, host: hp("10.0.0.12", 8080)},
		{name: "PORT before port", entry: `{"PORT":6379,"hostname":"10.0.0.12","port":8080}`, host: hp("10.0.0.12", 8080)},
		{name: "Port alone", entry: `{"hostname":"10.0.0.12","Port":6379}`, err: port, msg: "missing"},
		{name: "pORT alone", entry: `{"hostname":"10.0.0.12","pORT":"6379"}`, err: port, msg: "missing"},
		{name: "HOSTNAME next to private-address", entry: `{"HOSTNAME":"evil.example","private-address":"10.0.0.12","port":80}`, host: hp("10.0.0.12", 80)},
		{name: "Hostname alone", entry: `{"Hostname":"10.0.0.12","port":80}`, err: addr, msg: "neither hostname nor private-address"},
		{name: "PRIVATE-ADDRESS alone", entry: `{"PRIVATE-ADDRESS":"10.0.0.12","port":80}`, err: addr, msg: "neither"},
		// Keys that fold with Unicode rules are not that key either.
		{name: "private-addreſs (U+017F)", entry: `{"private-addreſs":"10.0.0.12","port":80}`, err: addr, msg: "neither"},
		{name: "hoſtname (U+017F) before hostname", entry: `{"hoſtname":"evil.example","hostname":"web.example","port":80}`,
			host: &Host{Hostname: "web.example", PrivateAddress: "web.example", Port: 80}},
		{name: "escaped U+017F", entry: `{"private-addre\u017fs":"10.0.0.12","port":80}`, err: addr, msg: "neither"},
		{name: "Kelvin sign (U+212A) key", entry: `{"hostname":"10.0.0.12","port":80,"\u212a":1,"K":2}`, host: hp("10.0.0.12", 80)},
		{name: "key with a trailing space", entry: `{"hostname":"10.0.0.12","port ":6379,"port":80}`, host: hp("10.0.0.12", 80)},
		{name: "key with a NUL", entry: `{"hostname":"10.0.0.12","port\u0000":6379,"port":80}`, host: hp("10.0.0.12", 80)},
		// An escaped key is the key it decodes to, as in Python.
		{name: "escaped exact key", entry: `{"hostname":"10.0.0.12","po\u0072t":8080}`, host: hp("10.0.0.12", 8080)},
		{name: "escaped upper-case key", entry: `{"hostname":"10.0.0.12","port":8080,"\u0050ORT":6379}`, host: hp("10.0.0.12", 8080)},
		// Duplicate wire keys.
		{name: "two ports", entry: `{"hostname":"10.0.0.12","port":8080,"port":6379}`, err: ext, msg: `duplicate key "port"`},
		{name: "two equal ports", entry: `{"hostname":"10.0.0.12","port":80,"port":80}`, err: ext, msg: `duplicate key "port"`},
		{name: "two ports, one escaped", entry: `{"hostname":"10.0.0.12","port":8080,"p\u006frt":6379}`, err: ext, msg: "duplicate"},
		{name: "two hostnames", entry: `{"hostname":"a.example","hostname":"b.example","port":80}`, err: ext, msg: `duplicate key "hostname"`},
		{name: "two private-addresses", entry: `{"private-address":"10.0.0.12","port":80,"private-address":"10.0.0.13"}`,
			err: ext, msg: `duplicate key "private-address"`},
		{name: "duplicate before a bad port", entry: `{"hostname":"10.0.0.12","hostname":"10.0.0.12","port":0}`, err: ext, msg: "duplicate"},
		// Keys of no meaning stay ignored, even twice.
		{name: "unknown key twice", entry: `{"weight":1,"weight":2,"hostname":"10.0.0.12","port":80}`, host: hp("10.0.0.12", 80)},
		{name: "nested wire keys", entry: `{"meta":{"port":1,"hostname":"evil.example"},"hostname":"10.0.0.12","port":80}`, host: hp("10.0.0.12", 80)},
	}
	require.GreaterOrEqual(t, len(tests), 20)
	first, last := `{"hostname":"10.0.0.100","port":81}`, `{"private-address":"10.0.0.101","port":"82"}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value := "[" + first + ", " + tt.entry + ", " + last + "]"
			hosts, problems := parseUnitData(map[string]string{"extended_data": value})
			want := []Host{*hp("10.0.0.100", 81), *hp("10.0.0.101", 82)}
			if tt.host != nil {
				want = []Host{want[0], *tt.host, want[1]}
				assert.Empty(t, problems)
			} else {
				require.Len(t, problems, 1)
				assert.Equal(t, 1, problems[0].Index)
				assert.Equal(t, tt.entry, problems[0].Value)
				assert.ErrorIs(t, problems[0], tt.err)
				assert.Contains(t, problems[0].Error(), tt.msg)
			}
			assert.Equal(t, want, hosts)
		})
	}
}

func hp(addr string, port int) *Host {
	return &Host{Hostname: addr, PrivateAddress: addr, Port: port}
}

// FuzzExtendedData checks the extended_data walker against an oracle
// built on json.Decoder's tokens, which see every key exactly as written:
// same hosts, and a problem for the same entries with the same reason.
func FuzzExtendedData(f *testing.F) {
	f.Add(`[{"hostname":"10.0.0.12","port":8080,"PORT":6379}]`)
	f.Add(`[{"private-addreſs":"10.0.0.12","port":80},{"hostname":"WEB.example","port":"81"}]`)
	f.Add(`[{"port":8080,"port":6379,"hostname":"::ffff:10.0.0.1"}, 5, null, "x", [1]]`)
	f.Add(`[{"po\u0072t":8080,"hostname":"10.0.0.1","x":{"port":[1,{"a":"]"}]}}]`)
	f.Add(` [ { "hostname" : "a.example" , "private-address" : "2001:DB8::1" , "port" : 1 } ] `)
	f.Add(`[{"hostname":null,"private-address":"10.0.0.1","port":"80","hostname":true}]`)
	f.Fuzz(func(t *testing.T, ext string) {
		hosts, problems := parseUnitData(map[string]string{"extended_data": ext})
		wantHosts, wantProblems, whole := extendedOracle(ext)
		if whole {
			require.Empty(t, hosts)
			require.Len(t, problems, 1)
			require.Equal(t, -1, problems[0].Index)
			require.ErrorIs(t, problems[0], ErrInvalidExtendedData)
			return
		}
		require.Equal(t, wantHosts, hosts)
		require.Len(t, problems, len(wantProblems), "problems: %v", problems)
		for i, p := range problems {
			require.Equal(t, wantProblems[i].index, p.Index, "%v", p)
			require.ErrorIs(t, p, wantProblems[i].err, "%v", p)
		}
	})
}

// oracleProblem is one refused entry and the sentinel it wraps.
type oracleProblem struct {
	index int
	err   error
}

// extendedOracle decodes extended_data with json.Decoder and applies the
// documented rules; whole is true when the value as a whole is refused.
func extendedOracle(ext string) (hosts []Host, problems []oracleProblem, whole bool) {
	if ext == "" {
		return nil, nil, false // unset, as Juju spells it
	}
	if len(ext) > 64<<10 {
		return nil, nil, true
	}
	var raws []json.RawMessage
	if json.Unmarshal([]byte(ext), &raws) != nil || raws == nil || len(raws) > 256 {
		return nil, nil, true
	}
	for i, raw := range raws {
		h, err := oracleEntry(raw)
		if err != nil {
			problems = append(problems, oracleProblem{i, err})
			continue
		}
		hosts = append(hosts, h)
	}
	return hosts, problems, false
}

func oracleEntry(raw json.RawMessage) (Host, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Host{}, ErrInvalidExtendedData
	}
	fields := map[string]json.RawMessage{}
	dup := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Host{}, ErrInvalidExtendedData
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return Host{}, ErrInvalidExtendedData
		}
		switch key {
		case "hostname", "private-address", "port":
			if _, ok := fields[key]; ok {
				dup = true
			}
			fields[key] = v
		}
	}
	if dup {
		return Host{}, ErrInvalidExtendedData
	}
	var addrs [2]string
	for i, k := range []string{"hostname", "private-address"} {
		if v, ok := fields[k]; ok && string(v) != "null" {
			if json.Unmarshal(v, &addrs[i]) != nil {
				return Host{}, ErrInvalidExtendedData
			}
		}
	}
	rawPort, ok := fields["port"]
	if !ok || string(rawPort) == "null" {
		return Host{}, ErrInvalidPort
	}
	portText := string(rawPort)
	if rawPort[0] == '"' && json.Unmarshal(rawPort, &portText) != nil {
		return Host{}, ErrInvalidPort
	}
	port, err := ParsePort(portText)
	if err != nil {
		return Host{}, ErrInvalidPort
	}
	if addrs[0] == "" && addrs[1] == "" {
		return Host{}, ErrInvalidAddress
	}
	for i := range addrs {
		if addrs[i] == "" {
			continue
		}
		if addrs[i], err = address.Canonical(addrs[i]); err != nil {
			return Host{}, ErrInvalidAddress
		}
	}
	h := Host{Hostname: addrs[0], PrivateAddress: addrs[1], Port: port}
	if h.Hostname == "" {
		h.Hostname = h.PrivateAddress
	}
	if h.PrivateAddress == "" {
		h.PrivateAddress = h.Hostname
	}
	return h, nil
}

// TestExtendedOracleAgrees runs the fuzz target's oracle on entries of
// TestExtendedDataExactKeys's table, so a wrong oracle cannot make the
// fuzz target vacuous.
func TestExtendedOracleAgrees(t *testing.T) {
	hosts, problems, whole := extendedOracle(`[{"hostname":"10.0.0.12","port":8080,"PORT":6379},{"port":1,"port":2,"hostname":"a.example"},{"hostname":"10.0.0.1","Port":1}]`)
	require.False(t, whole)
	assert.Equal(t, []Host{*hp("10.0.0.12", 8080)}, hosts)
	require.Len(t, problems, 2)
	assert.True(t, errors.Is(problems[0].err, ErrInvalidExtendedData))
	assert.True(t, errors.Is(problems[1].err, ErrInvalidPort))
}

// TestExtendedDataSyntaxErrorNamesTheCharacter: an
// extended_data value that is not JSON is reported naming the offending
// character as the rune it is, or as a hex byte when it is not UTF-8, as
// CheckAddress names one: encoding/json's own message reads one byte of a
// multi-byte rune as a Latin-1 character ('Ã' for 'é', 'ï' for a BOM).
func TestExtendedDataSyntaxErrorNamesTheCharacter(t *testing.T) {
	for _, tc := range []struct {
		ext, want string
	}{
		{`[é]`, `invalid character 'é' (U+00E9) looking for beginning of value`},
		{"\ufeff[]", `invalid character '\ufeff' (U+FEFF) looking for beginning of value`},
		{"[\u202e]", `invalid character '\u202e' (U+202E) looking for beginning of value`},
		{"[\xff]", `invalid character byte 0xff looking for beginning of value`},
		{"[\xc3]", `invalid character byte 0xc3 looking for beginning of value`},
		{`[{"port":80}] 日本`, `invalid character '日' (U+65E5) after top-level value`},
		{`[{"port":80,"hostname":"a` + "\x1b" + `"}]`, `invalid character '\x1b' (U+001B) in string literal`},
		{`[{"port":8🙂}]`, `invalid character '🙂' (U+1F642) after object key:value pair`},
		{`[{'port':80}]`, `invalid character '\'' (U+0027) looking for beginning of object key string`},
		{`[tru]`, `invalid character ']' (U+005D) in literal true (expecting 'e')`},
		{`[{"port":80}`, `unexpected end of JSON input`},
	} {
		t.Run(strings.ToValidUTF8(tc.ext, "?"), func(t *testing.T) {
			_, problems := parseUnitData(map[string]string{keyExtendedData: tc.ext})
			require.Len(t, problems, 1)
			require.ErrorIs(t, problems[0], ErrInvalidExtendedData)
			msg := problems[0].Err.Error()
			assert.Equal(t, "invalid extended_data: not a JSON array: "+tc.want, msg)
			for _, latin1 := range []string{"Ã", "ï", "â", "ÿ", "ð"} {
				assert.NotContains(t, msg, latin1, "a byte of a multi-byte rune is not a character")
			}
		})
	}
}

// TestExtendedDataLimits: the extended_data limits, 256 entries and 64
// KiB, reject only what is above them.
func TestExtendedDataLimits(t *testing.T) {
	entries := make([]string, 256)
	want := make([]Host, 0, 257)
	for i := range entries {
		addr := fmt.Sprintf("10.9.%d.%d", i/250, i%250+1)
		entries[i] = `{"private-address":"` + addr + `","port":80}`
		want = append(want, h(addr, addr, 80))
	}
	ext := "[" + strings.Join(entries, ",") + "]"
	hosts, problems := parseUnitData(map[string]string{"extended_data": ext})
	assert.Empty(t, problems)
	assert.Equal(t, want, hosts, "256 entries are the limit, not above it")

	const good = `[{"hostname":"10.0.0.100","port":8081}]`
	padded := `[{"hostname":"10.0.0.100","port":8081}` + strings.Repeat(" ", 64<<10-len(good)) + "]"
	require.Len(t, padded, 64<<10)
	hosts, problems = parseUnitData(map[string]string{"extended_data": padded})
	assert.Empty(t, problems)
	assert.Equal(t, []Host{h("10.0.0.100", "10.0.0.100", 8081)}, hosts, "64 KiB is the limit, not above it")
	_, problems = parseUnitData(map[string]string{"extended_data": padded + " "})
	require.Len(t, problems, 1)
	assert.ErrorIs(t, problems[0], ErrInvalidExtendedData)
}
