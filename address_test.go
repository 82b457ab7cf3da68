package httprelation_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// numericName is a string that glibc's resolver (inet_aton, behind
// getaddrinfo) reads as an IPv4 address; ipv4 is the address it reads.
// TestNamesAgainstResolver checks both facts with getent.
type numericName struct {
	name, ipv4 string
}

// numericNames is issue 9's class 1: addresses in disguise. Every form
// inet_aton takes: 1 to 4 parts, each decimal, octal (leading 0) or hex
// (0x), the last part filling the remaining bytes.
var numericNames = []numericName{
	// The examples.
	{"0x7f000001", "127.0.0.1"},
	{"127.0x1", "127.0.0.1"},
	{"1.2.3.0x4", "1.2.3.4"},
	// One part: the whole address as one number.
	{"2130706433", "127.0.0.1"},
	{"017700000001", "127.0.0.1"},
	{"0X7F000001", "127.0.0.1"},
	{"0xa9fea9fe", "169.254.169.254"},
	{"0", "0.0.0.0"},
	{"4294967295", "255.255.255.255"},
	// Two and three parts.
	{"127.1", "127.0.0.1"},
	{"0x7f.1", "127.0.0.1"},
	{"10.0x10203", "10.1.2.3"},
	{"169.254.43518", "169.254.169.254"},
	{"0177.0.1", "127.0.0.1"},
	// Four parts with octal, hex or upper-case hex.
	{"0177.0.0.01", "127.0.0.1"},
	{"0x7f.0x0.0x0.0x1", "127.0.0.1"},
	{"10.0.0.0X5", "10.0.0.5"},
	{"012.0.0.5", "10.0.0.5"},
	{"127.000.000.001", "127.0.0.1"},
	{"192.168.1.0377", "192.168.1.255"},
}

// digitLedNames are rejected by the same rule although glibc does not read
// them as numbers: the rule is "the last label starts with a letter", and
// no real top-level domain breaks it.
var digitLedNames = []string{
	"999.1.1.1", "1.2.3.4.5", "08", "0x", "0x7g", "1e5", "web.1", "web.example.0x1", "4294967296",
	"web.3com", "12345",
}

// nearNumericNames look like numbers but are DNS names: every one has a
// part starting with a letter where inet_aton wants a digit, so the
// resolver must send them to DNS (and, in the sandbox, fail).
var nearNumericNames = []string{
	"0x7f000001.example", "127.0.0.1.example", "deadbeef", "0xdead.beef", "x127.a1", "e1", "a0x7f.b1c",
	"ff.ff", "f.f.f.f", "1.2.3.x4", "0web.example", "127-0-0-1.example",
}

// TestCheckAddressNumericNames: no string the C resolver reads as a number
// passes as a name (class 1).
func TestCheckAddressNumericNames(t *testing.T) {
	for _, n := range numericNames {
		t.Run(n.name, func(t *testing.T) {
			err := httprelation.CheckAddress(n.name)
			require.ErrorIs(t, err, httprelation.ErrInvalidAddress)
			assert.Contains(t, err.Error(), "starts with a digit")
			hosts, problems := httprelation.ParseUnitData(map[string]string{"hostname": n.name, "private-address": "10.0.0.1", "port": "80"})
			assert.Empty(t, hosts)
			require.Len(t, problems, 1)
			assert.Equal(t, "hostname", problems[0].Key)
		})
	}
	for _, name := range digitLedNames {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, httprelation.CheckAddress(name), httprelation.ErrInvalidAddress)
		})
	}
	for _, name := range nearNumericNames {
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, httprelation.CheckAddress(name))
		})
	}
}

// TestCheckAddressTrailingDot: a trailing dot is refused, not stripped, so
// that "web.example." and "web.example" (absolute and possibly searched)
// never meet as two spellings of one host, and "127.0.0.1." never becomes
// an address.
func TestCheckAddressTrailingDot(t *testing.T) {
	for _, s := range []string{"web.example.", "127.0.0.1.", "0x7f.1.", "localhost.", "."} {
		assert.ErrorIs(t, httprelation.CheckAddress(s), httprelation.ErrInvalidAddress, s)
	}
}

// canonicalCases are issue 9's class 3: spellings of one target.
var canonicalCases = []struct {
	name, in, want string
}{
	// DNS names: lower case.
	{"upper-case name", "WEB.EXAMPLE.COM", "web.example.com"},
	{"mixed-case name", "Web-1.Example.Org", "web-1.example.org"},
	{"upper-case single label", "BACKEND", "backend"},
	{"lower-case name as is", "blog.internal", "blog.internal"},
	// IPv6: RFC 5952.
	{"ipv6 upper case and zero run", "2001:DB8:0::1", "2001:db8::1"},
	{"ipv6 fully written", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	{"ipv6 first of two equal runs", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	{"ipv6 longest run", "2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
	{"ipv6 single zero field kept", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	{"ipv6 loopback written out", "0:0:0:0:0:0:0:1", "::1"},
	{"ipv6 leading zeros", "fd00:0000:0000:0000:0000:0000:0000:0010", "fd00::10"},
	// IPv4-mapped IPv6: plain IPv4.
	{"ipv4-mapped", "::ffff:10.0.0.5", "10.0.0.5"},
	{"ipv4-mapped upper case", "::FFFF:10.0.0.5", "10.0.0.5"},
	{"ipv4-mapped in hex", "::ffff:0a00:0005", "10.0.0.5"},
	{"ipv4-mapped written out", "0:0:0:0:0:ffff:c000:0201", "192.0.2.1"},
	// Already canonical.
	{"ipv4", "10.0.0.5", "10.0.0.5"},
	{"ipv6", "fd00::1", "fd00::1"},
}

func TestCanonicalAddress(t *testing.T) {
	for _, tt := range canonicalCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httprelation.CanonicalAddress(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := httprelation.CanonicalAddress(got)
			require.NoError(t, err)
			assert.Equal(t, got, again, "canonical forms are fixed points")
			if tt.in == tt.want {
				assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = httprelation.CanonicalAddress(tt.in) }),
					"a canonical value costs no allocation")
			}
		})
	}
	for _, bad := range []string{"", "fe80::1%eth0", "::ffff:10.0.0.5%1", "[::1]", "0x7f000001", "web..example"} {
		_, err := httprelation.CanonicalAddress(bad)
		assert.ErrorIs(t, err, httprelation.ErrInvalidAddress, bad)
	}
}

// TestCheckAddressNamesTheCharacter: the error names the offending
// character as the rune it is, or as a hex byte when it is not UTF-8
// (class 10).
func TestCheckAddressNamesTheCharacter(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"wéb", `'é' (U+00E9)`},
		{"wéb.example", `'é' (U+00E9)`},
		{"web\xff", "byte 0xff"},
		{"web\xc3", "byte 0xc3"},               // a truncated two-byte sequence
		{"web\xe2\x82", "byte 0xe2"},           // a truncated three-byte sequence
		{"web\xc0\xaf", "byte 0xc0"},           // an overlong '/'
		{"web\xed\xa0\x80", "byte 0xed"},       // a UTF-16 surrogate
		{"日本.example", `'日' (U+65E5)`},         // a three-byte rune
		{"web🙂", `'🙂' (U+1F642)`},              // a four-byte rune
		{"ａpi.example", `'ａ' (U+FF41)`},        // a full-width letter
		{"web\u202eevil", `'\u202e' (U+202E)`}, // right-to-left override, escaped
		{"web\ufffd", `'�' (U+FFFD)`},          // a real replacement character
		{"web_1", `'_' (U+005F)`},
		{"web\n", `'\n' (U+000A)`},
		{"web\x00", `'\x00' (U+0000)`},
	}
	for _, tt := range tests {
		t.Run(strings.ToValidUTF8(tt.in, "?"), func(t *testing.T) {
			err := httprelation.CheckAddress(tt.in)
			require.ErrorIs(t, err, httprelation.ErrInvalidAddress)
			assert.Contains(t, err.Error(), "contains "+tt.want)
			assert.NotContains(t, err.Error(), "Ã", "a byte of a multi-byte rune is not a character")
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}
