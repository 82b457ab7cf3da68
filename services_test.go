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

// parseUnitData returns the hosts and problems of one bag, as
// Requires.Services parses it.
func parseUnitData(bag map[string]string) (hosts []Host, problems []*EntryError) {
	return appendUnitHosts(nil, nil, bag)
}

// ParseUnitData is parseUnitData for the external tests, which need a
// model (package httprelationtest) and so cannot be in this package.
var ParseUnitData = parseUnitData

// problem is what a test expects of one EntryError.
type problem struct {
	key   string
	index int
	err   error
}

func h(hostname, priv string, port int) Host {
	return Host{Hostname: hostname, PrivateAddress: priv, Port: port}
}

// entries renders extended_data entries as a provider would write them.
func entries(t testing.TB, v ...map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestParseUnitData(t *testing.T) {
	var (
		port    = ErrInvalidPort
		addr    = ErrInvalidAddress
		ext     = ErrInvalidExtendedData
		extKey  = keyExtendedData
		top     = map[string]string{"private-address": "10.0.0.1", "port": "80"}
		topHost = h("10.0.0.1", "10.0.0.1", 80)
	)
	withExt := func(v string) map[string]string {
		return map[string]string{"private-address": "10.0.0.1", "port": "80", extKey: v}
	}
	tests := []struct {
		name     string
		bag      map[string]string
		hosts    []Host
		problems []problem
	}{
		{name: "nil bag", bag: nil},
		{name: "joined, no port yet", bag: map[string]string{"private-address": "10.0.0.1"}},
		{name: "empty values are unset", bag: map[string]string{"private-address": "10.0.0.1", "port": "", "hostname": "", extKey: ""}},
		{name: "private address only", bag: top, hosts: []Host{topHost}},
		{name: "hostname preferred", bag: map[string]string{"hostname": "web.internal", "private-address": "10.0.0.1", "port": "8080"},
			hosts: []Host{h("web.internal", "10.0.0.1", 8080)}},
		{name: "hostname without private-address", bag: map[string]string{"hostname": "web.internal", "port": "8080"},
			hosts: []Host{h("web.internal", "web.internal", 8080)}},
		{name: "port without any address", bag: map[string]string{"port": "80"},
			problems: []problem{{"private-address", -1, addr}}},
		{name: "port word", bag: map[string]string{"private-address": "10.0.0.1", "port": "http"}, problems: []problem{{"port", -1, port}}},
		{name: "port zero", bag: map[string]string{"private-address": "10.0.0.1", "port": "0"}, problems: []problem{{"port", -1, port}}},
		{name: "port too big", bag: map[string]string{"private-address": "10.0.0.1", "port": "99999"}, problems: []problem{{"port", -1, port}}},
		{name: "port signed", bag: map[string]string{"private-address": "10.0.0.1", "port": "+80"}, problems: []problem{{"port", -1, port}}},
		{name: "port with newline", bag: map[string]string{"private-address": "10.0.0.1", "port": "80\n"}, problems: []problem{{"port", -1, port}}},
		{name: "hostname with newline", bag: map[string]string{"hostname": "a\nserver evil 6.6.6.6:80", "private-address": "10.0.0.1", "port": "80"},
			problems: []problem{{"hostname", -1, addr}}},
		{name: "hostname with space", bag: map[string]string{"hostname": "two words", "private-address": "10.0.0.1", "port": "80"},
			problems: []problem{{"hostname", -1, addr}}},
		{name: "bad private-address", bag: map[string]string{"hostname": "web.internal", "private-address": "10.0.0.1;", "port": "80"},
			problems: []problem{{"private-address", -1, addr}}},
		{name: "every key bad", bag: map[string]string{"hostname": "a b", "private-address": "c d", "port": "x"},
			problems: []problem{{"port", -1, port}, {"hostname", -1, addr}, {"private-address", -1, addr}}},
		{name: "extended data with number and string ports", bag: withExt(entries(t,
			map[string]any{"hostname": "10.0.0.100", "private-address": "10.0.0.100", "port": 80},
			map[string]any{"hostname": "10.0.0.101", "port": "8080"},
			map[string]any{"private-address": "fd00::1", "port": 443})),
			hosts: []Host{topHost, h("10.0.0.100", "10.0.0.100", 80), h("10.0.0.101", "10.0.0.101", 8080), h("fd00::1", "fd00::1", 443)}},
		{name: "extended data without top-level port", bag: map[string]string{"private-address": "10.0.0.1", extKey: `[{"hostname":"10.0.0.100","port":80}]`},
			hosts: []Host{h("10.0.0.100", "10.0.0.100", 80)}},
		{name: "extended data empty array", bag: withExt(" [ ] "), hosts: []Host{topHost}},
		{name: "extended data unknown fields ignored", bag: withExt(`[{"hostname":"10.0.0.100","port":80,"weight":{"a":[1,2]}}]`),
			hosts: []Host{topHost, h("10.0.0.100", "10.0.0.100", 80)}},
		{name: "extended data not JSON", bag: withExt(`[{"hostname": "10.0.0.100", "port": 80`),
			hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		{name: "extended data object", bag: withExt(`{"hostname": "10.0.0.100", "port": 80}`),
			hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		{name: "extended data null", bag: withExt("null"), hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		{name: "extended data string", bag: withExt(`"x"`), hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		// A non-object entry costs only itself, not the good entry before it.
		{name: "extended data with a non-object entry", bag: withExt(`[{"hostname":"10.0.0.100","port":80}, 5]`),
			hosts: []Host{topHost, {Hostname: "10.0.0.100", PrivateAddress: "10.0.0.100", Port: 80}}, problems: []problem{{extKey, 1, ext}}},
		{name: "extended data nested 5000 deep", bag: withExt(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
			hosts: []Host{topHost}, problems: []problem{{extKey, 0, ext}}},
		{name: "extended data nested 30000 deep", bag: withExt(strings.Repeat("[", 30000) + strings.Repeat("]", 30000)),
			hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		{name: "extended data over 64 KiB", bag: withExt(`[{"hostname":"10.0.0.100","port":80}` + strings.Repeat(" ", 64<<10) + "]"),
			hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		{name: "extended data over 256 entries", bag: withExt("[" + strings.Repeat(`{"hostname":"10.0.0.100","port":80},`, 256) + "{}]"),
			hosts: []Host{topHost}, problems: []problem{{extKey, -1, ext}}},
		{name: "extended data bad entries skipped, good kept", bag: withExt(entries(t,
			map[string]any{"hostname": "10.0.0.100", "port": 8.5},
			map[string]any{"hostname": "10.0.0.101", "port": -1},
			map[string]any{"hostname": "10.0.0.102", "port": true},
			map[string]any{"hostname": "10.0.0.103", "port": json.RawMessage("1e3")},
			map[string]any{"hostname": "10.0.0.104", "port": "http"},
			map[string]any{"hostname": "10.0.0.105", "port": 0},
			map[string]any{"hostname": "10.0.0.106", "port": 99999},
			map[string]any{"hostname": "10.0.0.107"},
			map[string]any{"hostname": "10.0.0.108", "port": nil},
			map[string]any{"hostname": "a b", "port": 80},
			map[string]any{"hostname": "10.0.0.109", "private-address": "x\ny", "port": 80},
			map[string]any{"hostname": 5, "port": 80},
			map[string]any{"port": 80},
			map[string]any{"hostname": "10.0.0.110", "port": "443"})),
			hosts: []Host{topHost, h("10.0.0.110", "10.0.0.110", 443)},
			problems: []problem{{extKey, 0, port}, {extKey, 1, port}, {extKey, 2, port}, {extKey, 3, port}, {extKey, 4, port},
				{extKey, 5, port}, {extKey, 6, port}, {extKey, 7, port}, {extKey, 8, port}, {extKey, 9, addr}, {extKey, 10, addr},
				{extKey, 11, ext}, {extKey, 12, addr}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, problems := parseUnitData(tt.bag)
			assert.Equal(t, tt.hosts, hosts)
			require.Len(t, problems, len(tt.problems), "problems: %v", problems)
			for i, want := range tt.problems {
				got := problems[i]
				assert.Equal(t, want.key, got.Key, "problem %d: %v", i, got)
				assert.Equal(t, want.index, got.Index, "problem %d: %v", i, got)
				assert.ErrorIs(t, got, want.err, "problem %d", i)
				assert.NotContains(t, got.Error(), "\n", "problem %d", i)
			}
		})
	}
}

func TestEntryError(t *testing.T) {
	long := strings.Repeat("a", 100) + "\n"
	tests := []struct {
		name string
		err  *EntryError
		want string
	}{
		{"top-level key", &EntryError{Key: "port", Value: "80\nx", Index: -1, Err: ErrInvalidPort},
			`port = "80\nx": invalid port`},
		{"extended entry", &EntryError{Key: "extended_data", Value: `{"port":true}`, Index: 3, Err: ErrInvalidPort},
			`extended_data[3] = "{\"port\":true}": invalid port`},
		{"long value cut", &EntryError{Key: "hostname", Value: long, Index: -1, Err: ErrInvalidAddress},
			`hostname = "` + strings.Repeat("a", 64) + `"...(101 bytes): invalid address`},
		// A remote unit chooses its keys too (a non-string value is
		// reported under its key): anything but a plain key is quoted.
		{"key with a newline", &EntryError{Key: "po\nrt", Value: "1", Index: -1, Err: ErrNotString},
			`"po\nrt" = "1": value is not a string`},
		{"key with an escape code", &EntryError{Key: "\x1b[31mred", Value: "1", Index: -1, Err: ErrNotString},
			`"\x1b[31mred" = "1": value is not a string`},
		{"empty key", &EntryError{Key: "", Value: "1", Index: -1, Err: ErrNotString},
			`"" = "1": value is not a string`},
		{"plain key kept as is", &EntryError{Key: "egress-subnets.v_2", Value: "[]", Index: -1, Err: ErrNotString},
			`egress-subnets.v_2 = "[]": value is not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assert.ErrorIs(t, tt.err, tt.err.Err)
			var target *EntryError
			require.ErrorAs(t, fmt.Errorf("wrapped: %w", tt.err), &target)
			assert.Same(t, tt.err, target)
		})
	}
}

// TestHostAddr: Addr is where clients are sent (the hostname), PrivateAddr
// where a proxy connects (the private address); both bracket IPv6.
func TestHostAddr(t *testing.T) {
	tests := []struct {
		host          Host
		addr, private string
	}{
		{h("10.0.0.1", "10.0.0.1", 80), "10.0.0.1:80", "10.0.0.1:80"},
		{h("web.internal", "10.0.0.1", 8080), "web.internal:8080", "10.0.0.1:8080"},
		{h("public.example.com", "10.0.0.5", 8080), "public.example.com:8080", "10.0.0.5:8080"},
		{h("192.0.2.100", "web-0.internal", 80), "192.0.2.100:80", "web-0.internal:80"},
		{h("fd00::1", "fd00::1", 443), "[fd00::1]:443", "[fd00::1]:443"},
		{h("web.example", "2001:db8::1", 8080), "web.example:8080", "[2001:db8::1]:8080"},
		{h("::ffff:10.0.0.1", "10.0.0.1", 443), "[::ffff:10.0.0.1]:443", "10.0.0.1:443"},
		{Host{Hostname: "web.example", Port: 443}, "web.example:443", ":443"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.addr, tt.host.Addr())
		assert.Equal(t, tt.private, tt.host.PrivateAddr())
	}
}

// TestParseUnitDataKeepsBothAddresses: a unit whose hostname is not its
// private address yields one host that holds both, so that a proxy can
// connect to the private address while clients are given the hostname.
func TestParseUnitDataKeepsBothAddresses(t *testing.T) {
	hosts, problems := parseUnitData(map[string]string{
		"hostname": "public.example.com", "private-address": "10.0.0.5", "port": "8080",
	})
	require.Empty(t, problems)
	require.Equal(t, []Host{h("public.example.com", "10.0.0.5", 8080)}, hosts)
	assert.Equal(t, "10.0.0.5:8080", hosts[0].PrivateAddr())
	assert.Equal(t, "public.example.com:8080", hosts[0].Addr())

	hosts, problems = parseUnitData(map[string]string{"hostname": "web.example", "port": "80"})
	require.Empty(t, problems)
	assert.Equal(t, "web.example:80", hosts[0].PrivateAddr(), "a unit that set only a hostname is reached there")
}

// FuzzParseUnitData checks that no bag panics the parser and that whatever
// it accepts is safe to put in a proxy's configuration, and canonical.
func FuzzParseUnitData(f *testing.F) {
	f.Add("web.internal", "10.0.0.1", "8080", `[{"hostname":"fd00::1","port":80},{"private-address":"10.0.0.2","port":"81"}]`)
	f.Add("", "10.0.0.1", "http", `[{"port":8.5},{"hostname":5},1]`)
	f.Add("a\nb", "", "0", `{"a":[[[[[]]]]]}`)
	f.Add("", "", "", "null")
	f.Fuzz(func(t *testing.T, hostname, priv, port, ext string) {
		bag := map[string]string{}
		for k, v := range map[string]string{"hostname": hostname, "private-address": priv, "port": port, "extended_data": ext} {
			if v != "" {
				bag[k] = v
			}
		}
		hosts, problems := parseUnitData(bag)
		for _, host := range hosts {
			for _, a := range []string{host.Hostname, host.PrivateAddress} {
				canonical, err := address.Canonical(a)
				require.NoError(t, err)
				require.Equal(t, canonical, a, "addresses come out canonical")
			}
			require.NoError(t, CheckPort(host.Port))
		}
		for _, p := range problems {
			require.True(t, errors.Is(p, ErrInvalidPort) || errors.Is(p, ErrInvalidAddress) ||
				errors.Is(p, ErrInvalidExtendedData), "unexpected reason: %v", p)
			require.Less(t, p.Index, 256)
			require.NotContains(t, p.Error(), "\n")
		}
	})
}

// TestParseUnitDataCanonical: the parser itself returns canonical
// addresses, so every caller gets them, and a hostname equal
// to private-address in another spelling is still one address.
func TestParseUnitDataCanonical(t *testing.T) {
	for _, c := range canonicalCases {
		t.Run(c.name, func(t *testing.T) {
			want := []Host{{Hostname: c.want, PrivateAddress: c.want, Port: 80}}
			hosts, problems := parseUnitData(map[string]string{"hostname": c.in, "private-address": c.want, "port": "80"})
			assert.Empty(t, problems)
			assert.Equal(t, want, hosts, "top level")
			hosts, problems = parseUnitData(map[string]string{"extended_data": `[{"private-address":"` + c.in + `","port":80}]`})
			assert.Empty(t, problems)
			assert.Equal(t, want, hosts, "extended_data")
		})
	}
}

// TestEntryErrorCutsTheKey: an EntryError prints a long key cut, plain
// or not, as it prints the value.
func TestEntryErrorCutsTheKey(t *testing.T) {
	for _, key := range []string{strings.Repeat("k", 1<<20), strings.Repeat("k\n", 1000)} {
		e := &EntryError{Key: key, Value: "1", Index: -1, Err: ErrNotString}
		assert.Less(t, len(e.Error()), 200)
		assert.NotContains(t, e.Error(), "\n")
	}
	e := &EntryError{Key: "port", Value: "x", Index: -1, Err: ErrInvalidPort}
	assert.Equal(t, `port = "x": invalid port`, e.Error(), "a plain key stays as it is")
}

// TestQuote: badchar.Quote, which EntryError and every error that names a
// remote value use, quotes and cuts.
