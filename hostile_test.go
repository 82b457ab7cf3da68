package httprelation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/toolsim"
)

// Hostile remote data, through Requires.Services: every case gives one
// unit (web/0) one bad value and checks that exactly that value is
// skipped, with one warning naming relation, unit and key, and that
// everything else, the unit's other entries included, is kept.

const hostileEndpoint = "backends"

var (
	// web/0's good top-level host and its good extended_data entry.
	hostileTop = h("10.0.0.1", "10.0.0.1", 8080)
	hostileVIP = h("10.0.0.100", "10.0.0.100", 8081)
	// The hosts of web/1 and of another application.
	hostileWeb1 = h("10.0.0.2", "10.0.0.2", 80)
	hostileAPI  = h("api.internal", "10.0.1.1", 443)
)

const hostileGoodExt = `[{"hostname":"10.0.0.100","port":8081}]`

// hostileModel is two relations of the requirer: web (web/0 with bag,
// web/1) and api (api/0).
func hostileModel(t *testing.T, web0 string, bag map[string]string) (*httprelationtest.Harness, httprelation.Accessor) {
	return serve(t, &toolsim.Model{
		Unit: "lb/0",
		Hook: toolsim.Hook{Name: "backends-relation-changed", RelationID: "backends:1", RemoteUnit: "web/1"},
		Relations: map[string]toolsim.Relation{
			"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
				web0:    bag,
				"web/1": {"private-address": "10.0.0.2", "port": "80"},
			}},
			"backends:2": {RemoteApp: "api", Units: map[string]map[string]string{
				"api/0": {"hostname": "api.internal", "private-address": "10.0.1.1", "port": "443"},
			}},
		},
	})
}

// hostileServices runs Services and returns its result and the warnings
// logged, decoded from slog's JSON.
func hostileServices(t *testing.T, acc httprelation.Accessor) ([]httprelation.Service, []map[string]any, error) {
	t.Helper()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	var (
		got []httprelation.Service
		err error
	)
	require.NotPanics(t, func() {
		got, err = httprelation.NewRequires(acc, hostileEndpoint, httprelation.WithLogger(logger)).Services(context.Background())
	})
	var records []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r map[string]any
		require.NoError(t, json.Unmarshal(line, &r), "%s", line)
		records = append(records, r)
	}
	return got, records, err
}

// checkHostileRecord asserts what every warning about untrusted data must
// be: no control character in any field once decoded (a raw newline
// would forge a log line in juju-log's text output), and no more than 64
// bytes of the value in one piece.
func checkHostileRecord(t *testing.T, r map[string]any, value string) {
	t.Helper()
	for k, v := range r {
		s, ok := v.(string)
		if !ok {
			continue
		}
		require.False(t, strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }),
			"field %s holds a control character: %q", k, s)
		require.LessOrEqual(t, len(s), 1024, "field %s is not cut", k)
		if len(value) <= 64 || k == "msg" {
			continue
		}
		// The two cut renderings hold 64 bytes by construction, but the byte
		// they add next (a quote, a '.') may be the value's next byte too.
		for _, shown := range []string{badchar.Quote(value), wantLogValue(value)} {
			s = strings.ReplaceAll(s, shown, "<value>")
		}
		for i := 0; i+65 <= len(s); i++ {
			require.False(t, strings.Contains(value, s[i:i+65]), "field %s carries more than 64 bytes of the value", k)
		}
	}
}

func TestHostileRemoteData(t *testing.T) {
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	deepObject := `[{"hostname":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `,"port":80}]`
	huge := strings.Repeat("a", 10<<20)
	many := "[" + strings.Repeat(`{"hostname":"10.0.0.5","port":80},`, 100_000) + `{"hostname":"10.0.0.5","port":80}]`
	tooMany := "[" + strings.Repeat(`{"hostname":"10.0.0.100","port":8081},`, 256) + `{"hostname":"10.0.0.100","port":8081}]`
	longName := strings.Repeat("a.", 127) // 254 characters

	tests := []struct {
		name  string
		key   string
		value string
		// index is the extended_data entry the warning names; -1 is the
		// whole value.
		index int
		// keep are web/0's surviving hosts; nil means the default: the
		// extended_data host when a top-level key is bad, the top-level
		// host when extended_data is.
		keep []httprelation.Host
		// unset is a value that means "not set", as "" does in Juju: no
		// host and no warning.
		unset bool
	}{
		// Ports.
		{name: "port empty", key: "port", value: "", unset: true},
		{name: "port zero", key: "port", value: "0", index: -1},
		{name: "port 65536", key: "port", value: "65536", index: -1},
		{name: "port negative", key: "port", value: "-1", index: -1},
		{name: "port plus sign", key: "port", value: "+80", index: -1},
		{name: "port leading space", key: "port", value: " 80", index: -1},
		{name: "port trailing newline", key: "port", value: "80\n", index: -1},
		{name: "port exponent", key: "port", value: "1e3", index: -1},
		{name: "port hex", key: "port", value: "0x50", index: -1},
		{name: "port decimal point", key: "port", value: "80.0", index: -1},
		{name: "port full-width digits", key: "port", value: "８０", index: -1},
		{name: "port thirty digits", key: "port", value: strings.Repeat("9", 30), index: -1},
		{name: "port service name", key: "port", value: "http", index: -1},
		{name: "port 10 MiB", key: "port", value: huge, index: -1},
		// Hostnames.
		{name: "hostname newline", key: "hostname", value: "web\nevil", index: -1},
		{name: "hostname carriage return", key: "hostname", value: "web\r", index: -1},
		{name: "hostname nul", key: "hostname", value: "web\x00", index: -1},
		{name: "hostname tab", key: "hostname", value: "web\t1", index: -1},
		{name: "hostname space", key: "hostname", value: "web 1", index: -1},
		{name: "hostname semicolon", key: "hostname", value: "web;reboot", index: -1},
		{name: "hostname double quote", key: "hostname", value: `web"`, index: -1},
		{name: "hostname single quote", key: "hostname", value: "web'", index: -1},
		{name: "hostname template", key: "hostname", value: "{{.Env}}", index: -1},
		{name: "hostname command substitution", key: "hostname", value: "$(id)", index: -1},
		{name: "hostname bracketed ipv6", key: "hostname", value: "[::1]", index: -1},
		{name: "hostname with port", key: "hostname", value: "host:80", index: -1},
		{name: "hostname url", key: "hostname", value: "http://x", index: -1},
		{name: "hostname non-ascii", key: "hostname", value: "wéb.example", index: -1},
		{name: "hostname 254 characters", key: "hostname", value: longName, index: -1},
		{name: "hostname 64-character label", key: "hostname", value: strings.Repeat("a", 64) + ".example", index: -1},
		{name: "hostname empty label", key: "hostname", value: "web..example", index: -1},
		{name: "hostname leading hyphen", key: "hostname", value: "-web", index: -1},
		{name: "hostname ipv6 zone", key: "hostname", value: "fe80::1%eth0", index: -1},
		{name: "hostname 10 MiB", key: "hostname", value: huge, index: -1},
		{name: "hostname ANSI escape", key: "hostname", value: "\x1b[31mred", index: -1},
		{name: "hostname invalid utf-8", key: "hostname", value: "web\xff\xfe", index: -1},
		// Private addresses (no hostname: private-address is then the host).
		{name: "private-address newline", key: "private-address", value: "10.0.0.1\nserver evil 6.6.6.6:80", index: -1},
		{name: "private-address space", key: "private-address", value: " 10.0.0.1", index: -1},
		{name: "private-address cidr", key: "private-address", value: "10.0.0.1/24", index: -1},
		// extended_data as a whole.
		{name: "extended_data empty", key: "extended_data", value: "", unset: true},
		{name: "extended_data not json", key: "extended_data", value: "hostname: 10.0.0.9", index: -1},
		{name: "extended_data truncated", key: "extended_data", value: `[{"hostname":"10.0.0.100"`, index: -1},
		{name: "extended_data object", key: "extended_data", value: `{"hostname":"10.0.0.100","port":8081}`, index: -1},
		{name: "extended_data null", key: "extended_data", value: "null", index: -1},
		{name: "extended_data string", key: "extended_data", value: `"[]"`, index: -1},
		{name: "extended_data trailing data", key: "extended_data", value: hostileGoodExt + " []", index: -1},
		{name: "extended_data 10 MiB", key: "extended_data", value: "[" + huge + "]", index: -1},
		{name: "extended_data 100,000 entries", key: "extended_data", value: many, index: -1},
		{name: "extended_data 257 entries", key: "extended_data", value: tooMany, index: -1},
		// extended_data entries.
		{name: "entry nested 5,000 deep", key: "extended_data", value: deep, index: 0},
		{name: "entry value nested 5,000 deep", key: "extended_data", value: deepObject, index: 0},
		{name: "entry number", key: "extended_data", value: `[1]`, index: 0},
		{name: "entry string", key: "extended_data", value: `["10.0.0.100:8081"]`, index: 0},
		{name: "entry null", key: "extended_data", value: `[null]`, index: 0},
		{name: "entry list", key: "extended_data", value: `[["10.0.0.100",8081]]`, index: 0},
		{name: "entry hostname number", key: "extended_data", value: `[{"hostname":10,"port":8081}]`, index: 0},
		{name: "entry port list", key: "extended_data", value: `[{"hostname":"10.0.0.100","port":[8081]}]`, index: 0},
		{name: "entry port float", key: "extended_data", value: `[{"hostname":"10.0.0.100","port":8081.0}]`, index: 0},
		{name: "entry port exponent", key: "extended_data", value: `[{"hostname":"10.0.0.100","port":8.081e3}]`, index: 0},
		{name: "entry port boolean", key: "extended_data", value: `[{"hostname":"10.0.0.100","port":true}]`, index: 0},
		{name: "entry port negative", key: "extended_data", value: `[{"hostname":"10.0.0.100","port":-8081}]`, index: 0},
		{name: "entry port missing", key: "extended_data", value: `[{"hostname":"10.0.0.100"}]`, index: 0},
		{name: "entry no address", key: "extended_data", value: `[{"port":8081}]`, index: 0},
		{name: "entry hostname newline", key: "extended_data", value: `[{"hostname":"a\nb","port":8081}]`, index: 0},
		{name: "entry private-address bad", key: "extended_data", value: `[{"hostname":"10.0.0.100","private-address":"$(id)","port":8081}]`, index: 0},
		{name: "bad entry after a good one", key: "extended_data", index: 1,
			value: `[{"hostname":"10.0.0.100","port":8081},{"hostname":"bad host","port":80}]`,
			keep:  []httprelation.Host{hostileTop, hostileVIP}},
		{name: "bad entry between good ones", key: "extended_data", index: 1,
			value: `[{"hostname":"10.0.0.100","port":8081},{"hostname":"10.0.0.101","port":"0"},{"private-address":"10.0.0.102","port":"8082"}]`,
			keep:  []httprelation.Host{hostileTop, hostileVIP, h("10.0.0.102", "10.0.0.102", 8082)}},
	}
	require.GreaterOrEqual(t, len(tests), 40)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bag := map[string]string{"private-address": "10.0.0.1", "port": "8080", "extended_data": hostileGoodExt}
			bag[tt.key] = tt.value
			keep := tt.keep
			if keep == nil {
				keep = []httprelation.Host{hostileVIP}
				if tt.key == "extended_data" {
					keep = []httprelation.Host{hostileTop}
				}
			}
			_, acc := hostileModel(t, "web/0", bag)
			if len(tt.value) > httprelation.MaxBagBytes || !utf8.ValidString(tt.value) {
				// Beyond what the tools carry: hooktools reads no bag over
				// MaxBagBytes (TestServicesSkipsBagsTooLargeToRead), and
				// relation-get's JSON spells invalid UTF-8 as U+FFFD. An
				// accessor of another kind could hand such a value over,
				// so web/0's bag reaches the library as it is.
				acc = answering{Accessor: acc, answers: map[string]readAnswer{"web/0": {bag: bag}}}
			}
			got, records, err := hostileServices(t, acc)
			require.NoError(t, err)

			web := append(slices.Clone(keep), hostileWeb1)
			slices.SortFunc(web, func(a, b httprelation.Host) int { return strings.Compare(a.Hostname, b.Hostname) }) // all distinct
			assert.Equal(t, []httprelation.Service{
				{Name: "api", Hosts: []httprelation.Host{hostileAPI}},
				{Name: "web", Hosts: web},
			}, got)

			if tt.unset {
				assert.Empty(t, records)
				return
			}
			require.Len(t, records, 1, "one warning: %v", records)
			r := records[0]
			assert.Equal(t, "WARN", r["level"])
			assert.Equal(t, hostileEndpoint, r["endpoint"])
			assert.Equal(t, "backends:1", r["relation"])
			assert.Equal(t, "web/0", r["unit"])
			assert.Equal(t, tt.key, r["key"])
			if tt.index >= 0 {
				assert.EqualValues(t, tt.index, r["index"])
			} else {
				assert.NotContains(t, r, "index")
				assert.Equal(t, wantLogValue(tt.value), r["value"])
			}
			checkHostileRecord(t, r, tt.value)
		})
	}
}

// hostileTools answers relation-ids and relation-list as a broken or
// hostile tool could, and everything else from the model.
type hostileTools struct {
	httprelation.Accessor
	ids   []string
	units map[string][]string
}

func (h hostileTools) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	if h.ids != nil {
		return slices.Clone(h.ids), nil
	}
	return h.Accessor.RelationIDs(ctx, endpoint)
}

func (h hostileTools) RelationUnits(ctx context.Context, id string) ([]string, error) {
	if units, ok := h.units[id]; ok {
		return slices.Clone(units), nil
	}
	return h.Accessor.RelationUnits(ctx, id)
}

// TestHostileUnitNamesFromTools: a unit name that Juju cannot produce is
// skipped with one warning, its bag is never read, and the other units
// stay.
func TestHostileUnitNamesFromTools(t *testing.T) {
	for _, bad := range []string{
		"", "web/0\n", "web/0 ", "../web/0", "web/0/../1", "web/0\x00", "$(reboot)/0", "-r/0",
		"web/99999999999", strings.Repeat("a", 10_000) + "/x", "web/٣", "WEB/0",
	} {
		t.Run(strings.ToValidUTF8(badchar.Quote(bad), "?"), func(t *testing.T) {
			checkUnitSkipped(t, bad)
		})
	}
}

// checkUnitSkipped lists bad between web/0 and web/1 and checks that it
// is skipped with one warning naming it, is never read, and costs the
// other units nothing.
func checkUnitSkipped(t *testing.T, bad string) {
	t.Helper()
	m, records := servicesListing(t, "web/0", bad, "web/1")
	require.Len(t, records, 1)
	assert.Equal(t, "WARN", records[0]["level"])
	assert.Equal(t, "httprelation: skipping remote unit with a malformed name", records[0]["msg"])
	assert.Equal(t, "backends:1", records[0]["relation"])
	assert.Equal(t, wantLogValue(bad), records[0]["unit"])
	checkHostileRecord(t, records[0], bad)
	assert.NotContains(t, bagReads(m.Calls()), "backends:1 "+bad, "a malformed unit is never read")
}

// servicesListing has the tools list units in backends:1, of which
// web/0 and web/1 have bags, and checks that Services keeps the hosts of
// web/0, web/1 and api/0 whatever else is listed. It returns the harness
// and the warnings logged.
func servicesListing(t *testing.T, units ...string) (*httprelationtest.Harness, []map[string]any) {
	t.Helper()
	m, acc := hostileModel(t, "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})
	got, records, err := hostileServices(t, hostileTools{Accessor: acc, units: map[string][]string{"backends:1": units}})
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Service{
		{Name: "api", Hosts: []httprelation.Host{hostileAPI}},
		{Name: "web", Hosts: []httprelation.Host{hostileTop, hostileWeb1}},
	}, got)
	return m, records
}

// TestHostileRelationIDsFromTools: a relation id that names no relation
// fails Services as a whole, naming it, rather than silently dropping that
// relation's hosts; a repeated id costs nothing. relation-list says
// "relation not found" for an id it parses but does not know, "invalid
// relation id" for one it cannot parse.
func TestHostileRelationIDsFromTools(t *testing.T) {
	for _, tc := range []struct {
		id       string
		notFound bool
	}{
		{"", false}, {"backends:x", false}, {"backends:1\n", false}, {"backends:-1", true}, {"backends:99", true},
		{"backends:" + strings.Repeat("9", 30), false}, {"../../etc/passwd", false},
	} {
		t.Run(strings.ToValidUTF8(badchar.Quote(tc.id), "?"), func(t *testing.T) {
			_, acc := hostileModel(t, "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})
			got, _, err := hostileServices(t, hostileTools{Accessor: acc, ids: []string{"backends:1", tc.id, "backends:2"}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "relation "+badchar.Quote(tc.id))
			if tc.notFound {
				assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
			}
			assert.Nil(t, got, "no partial answer")
		})
	}

	_, acc := hostileModel(t, "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})
	got, records, err := hostileServices(t, hostileTools{Accessor: acc, ids: []string{"backends:2", "backends:1", "backends:2", "1"}})
	require.NoError(t, err)
	assert.Empty(t, records)
	assert.Equal(t, []httprelation.Service{
		{Name: "api", Hosts: []httprelation.Host{hostileAPI}},
		{Name: "web", Hosts: []httprelation.Host{hostileTop, hostileWeb1}},
	}, got)
}

// TestServicesSkipsMalformedUnitNames: a unit whose name Juju cannot
// create, listed by the tools, is skipped with one warning naming it.
func TestServicesSkipsMalformedUnitNames(t *testing.T) {
	for _, bad := range []string{"Web/0", "web", "web/", "/0", "web/x", "web/-1", "9web/0", "web_app/0", "web/0/1", "wéb/0", "web\n/0"} {
		t.Run(bad, func(t *testing.T) {
			m := httprelationtest.New(t, proxy(map[string]toolsim.Relation{"reverseproxy:1": {RemoteApp: "web-b", Units: map[string]map[string]string{
				"web-b/0": {"private-address": "10.0.0.1", "port": "80"}, // "web-2" is no Juju name
				bad:       {"private-address": "10.0.0.2", "port": "80"},
			}}}))
			got, records, err := servicesRead(t, m, nil, false)
			require.NoError(t, err)
			assert.Equal(t, []httprelation.Service{{Name: "web-b", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80)}}}, got)
			require.Len(t, records, 1)
			assert.Equal(t, "WARN", records[0]["level"])
			assert.Equal(t, wantLogValue(bad), records[0]["unit"])
			assert.Equal(t, "reverseproxy:1", records[0]["relation"])
		})
	}
}

// unitNameCases are unit names as Juju defines them.
var unitNameCases = []struct {
	unit string
	ok   bool
}{
	// Names Juju refuses for their application part.
	{"web-1/0", false},
	{"a-/0", false},
	{"a--b/0", false},
	{strings.Repeat("a", 255) + "/0", false},
	// Our own: an all-digit part after a hyphen, hyphens at either end.
	{"site-0/0", false},
	{"web-12-a/3", false},
	{"web-/1", false},
	{"-web/1", false},
	{"web--api/1", false},
	// Length: 63 characters is Juju's limit.
	{strings.Repeat("a", 64) + "/0", false},
	{strings.Repeat("a", 63) + "/0", true},
	// Unit numbers: no leading zero, no sign, at most 9 digits.
	{"web/00", false},
	{"web/01", false},
	{"web/+1", false},
	{"web/1234567890", false},
	{"web/123456789", true},
	// Characters Juju does not use.
	{"1web/0", false},
	{"Web/0", false},
	{"web_api/0", false},
	{"wéb/0", false},
	{"web.api/0", false},
	{"web/0/1", false},
	{"web", false},
	{"/0", false},
	// Names Juju does create.
	{"web/0", true},
	{"a/0", true},
	{"web2/10", true},
	{"web-1a/0", true},
	{"my-web-app/7", true},
	{"site-a/0", true},
	{"h2-remote/1", true},
}

// TestServicesUnitNamesAsJujuDefines: a unit whose name Juju cannot
// create is skipped with one warning naming it; a unit Juju can create is
// read, next to it.
func TestServicesUnitNamesAsJujuDefines(t *testing.T) {
	for _, tt := range unitNameCases {
		t.Run(strings.ToValidUTF8(tt.unit, "?"), func(t *testing.T) {
			if !tt.ok {
				checkUnitSkipped(t, tt.unit)
				return
			}
			// A good name is read. It has no bag (relation-get refuses a
			// unit of another application than the relation's), so it
			// then counts as a unit that left.
			_, acc := hostileModel(t, "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})
			left := fmt.Errorf("relation-get: %w", httprelation.ErrUnitNotFound)
			asked := &asking{Accessor: answering{
				Accessor: hostileTools{Accessor: acc, units: map[string][]string{"backends:1": {"web/0", tt.unit, "web/1"}}},
				answers:  map[string]readAnswer{tt.unit: {err: left}},
			}}
			_, records, err := hostileServices(t, asked)
			require.NoError(t, err)
			for _, r := range records {
				assert.NotEqual(t, "httprelation: skipping remote unit with a malformed name", r["msg"], "%s is refused", tt.unit)
			}
			assert.Contains(t, asked.bags(), "backends:1 "+tt.unit)
		})
	}
}
