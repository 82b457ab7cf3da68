package httprelation

// The address rules, with the tables of names they are checked on and,
// at the end, the proof of those tables against the C resolver: about
// 450 lines, most of them tables.

import (
	"bufio"
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int // 0: rejected
	}{
		{"plain", "8080", 8080},
		{"lowest", "1", 1},
		{"highest", "65535", 65535},
		{"leading zeros", "0080", 80},
		{"empty", "", 0},
		{"zero", "0", 0},
		{"too big", "65536", 0},
		{"way too big", "99999", 0},
		{"negative", "-1", 0},
		{"plus sign", "+80", 0},
		{"leading space", " 80", 0},
		{"trailing newline", "80\n", 0},
		{"exponent", "1e3", 0},
		{"hex", "0x50", 0},
		{"decimal point", "80.0", 0},
		{"full-width digits", "８０", 0},
		{"thirty digits", strings.Repeat("9", 30), 0},
		{"name", "http", 0},
		{"json quoted", `"8080"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePort(tt.in)
			if tt.want == 0 {
				require.ErrorIs(t, err, ErrInvalidPort)
				assert.Zero(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCheckPort(t *testing.T) {
	for _, n := range []int{1, 80, 65535} {
		assert.NoError(t, CheckPort(n), n)
	}
	for _, n := range []int{0, -1, 65536, 1 << 40} {
		assert.ErrorIs(t, CheckPort(n), ErrInvalidPort, n)
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"ipv4", "10.0.0.1", true},
		{"ipv6", "2001:db8::1", true},
		{"ipv6 loopback", "::1", true},
		{"ipv4-mapped ipv6", "::ffff:10.0.0.1", true},
		{"dns name", "web-0.example.com", true},
		{"single label", "backend", true},
		{"loopback name", "localhost", false},
		{"upper case", "Blog.Internal", true},
		{"digit-led label", "0web.example", true},
		{"63-char label", strings.Repeat("a", 63) + ".example", true},
		{"253 chars", strings.Repeat(strings.Repeat("a", 62)+".", 4)[:252] + "b", true},
		{"empty", "", false},
		{"newline", "web\nevil", false},
		{"carriage return", "web\r", false},
		{"nul", "web\x00", false},
		{"tab", "web\t1", false},
		{"space", "web 1", false},
		{"semicolon", "web;reboot", false},
		{"double quote", `web"`, false},
		{"single quote", "web'", false},
		{"template", "{{web}}", false},
		{"command substitution", "$(id)", false},
		{"bracketed ipv6", "[::1]", false},
		{"host and port", "host:80", false},
		{"url", "http://x", false},
		{"non-ascii", "wéb.example", false},
		{"254 chars", strings.Repeat("a.", 127), false},
		{"64-char label", strings.Repeat("a", 64) + ".example", false},
		{"empty label", "web..example", false},
		{"trailing dot", "web.example.", false},
		{"leading dot", ".web", false},
		{"leading hyphen", "-web", false},
		{"trailing hyphen", "web-", false},
		{"underscore", "web_1", false},
		{"ipv6 zone", "fe80::1%eth0", false},
		{"numeric not an ip", "999.1.1.1", false},
		{"ipv4 leading zeros", "010.0.0.1", false},
		{"all digits", "12345", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAddress(tt.in)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidAddress)
			}
		})
	}
}

// numericName is a string that glibc's resolver (inet_aton, behind
// getaddrinfo) reads as an IPv4 address; ipv4 is the address it reads.
// TestNamesAgainstResolver checks both facts with getent.
type numericName struct {
	name, ipv4 string
}

// numericNames are addresses in disguise: every form inet_aton takes, 1
// to 4 parts, each decimal, octal (leading 0) or hex (0x), the last part
// filling the remaining bytes.
var numericNames = []numericName{
	// The usual examples.
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
// passes as a name.
func TestCheckAddressNumericNames(t *testing.T) {
	for _, n := range numericNames {
		t.Run(n.name, func(t *testing.T) {
			err := CheckAddress(n.name)
			require.ErrorIs(t, err, ErrInvalidAddress)
			assert.Contains(t, err.Error(), "starts with a digit")
			hosts, problems := parseUnitData(map[string]string{"hostname": n.name, "private-address": "10.0.0.1", "port": "80"})
			assert.Empty(t, hosts)
			require.Len(t, problems, 1)
			assert.Equal(t, "hostname", problems[0].Key)
		})
	}
	for _, name := range digitLedNames {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, CheckAddress(name), ErrInvalidAddress)
		})
	}
	for _, name := range nearNumericNames {
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, CheckAddress(name))
		})
	}
}

// TestCheckAddressTrailingDot: a trailing dot is refused, not stripped, so
// that "web.example." and "web.example" (absolute and possibly searched)
// never meet as two spellings of one host, and "127.0.0.1." never becomes
// an address.
func TestCheckAddressTrailingDot(t *testing.T) {
	for _, s := range []string{"web.example.", "127.0.0.1.", "0x7f.1.", "localhost.", "."} {
		assert.ErrorIs(t, CheckAddress(s), ErrInvalidAddress, s)
	}
}

// canonicalCases are spellings of one target and the one each stands for.
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
			got, err := address.Canonical(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := address.Canonical(got)
			require.NoError(t, err)
			assert.Equal(t, got, again, "canonical forms are fixed points")
			if tt.in == tt.want {
				assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = address.Canonical(tt.in) }),
					"a canonical value costs no allocation")
			}
		})
	}
	for _, bad := range []string{"", "fe80::1%eth0", "::ffff:10.0.0.5%1", "[::1]", "0x7f000001", "web..example"} {
		_, err := address.Canonical(bad)
		assert.ErrorIs(t, err, ErrInvalidAddress, bad)
	}
}

// TestCheckAddressNamesTheCharacter: the error names the offending
// character as the rune it is, or as a hex byte when it is not UTF-8.
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
			err := CheckAddress(tt.in)
			require.ErrorIs(t, err, ErrInvalidAddress)
			assert.Contains(t, err.Error(), "contains "+tt.want)
			assert.NotContains(t, err.Error(), "Ã", "a byte of a multi-byte rune is not a character")
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// loopbackNames are names every stock machine answers without DNS, with
// a fixed address of its own: RFC 6761's "localhost" and the names under
// it, and the loopback and multicast names of the default /etc/hosts of
// Debian, Ubuntu (cloud-init) and Red Hat. They are addresses in
// disguise as much as "0x7f000001" is.
var loopbackNames = []string{
	"localhost", "LOCALHOST", "LocalHost", "web.localhost", "a.b.LOCALHOST",
	"localhost.localdomain", "localhost4", "localhost4.localdomain4", "localhost6", "localhost6.localdomain6",
	"ip6-localhost", "ip6-loopback", "IP6-LOOPBACK", "ip6-localnet", "ip6-mcastprefix",
	"ip6-allnodes", "ip6-allrouters", "ip6-allhosts",
}

// nearLoopbackNames are ordinary names that only look like those.
var nearLoopbackNames = []string{
	"localhost.example", "mylocalhost", "localhostx", "web-localhost.example", "localhost-1.example",
	"localdomain", "ip6-localhost.example", "ip6-loopback2", "localhost5", "xlocalhost",
}

// TestCheckAddressLoopbackNames: the loopback names are refused
// as hostname or private-address, in any case, while names that merely
// contain them pass.
func TestCheckAddressLoopbackNames(t *testing.T) {
	for _, name := range loopbackNames {
		err := CheckAddress(name)
		require.ErrorIs(t, err, ErrInvalidAddress, name)
		assert.ErrorContains(t, err, "without DNS", name)
		hosts, problems := parseUnitData(map[string]string{
			"hostname": name, "private-address": "10.0.0.1", "port": "80",
			"extended_data": `[{"hostname":"10.0.0.2","private-address":"` + name + `","port":80}]`,
		})
		assert.Empty(t, hosts, name)
		assert.Len(t, problems, 2, name)
	}
	for _, name := range nearLoopbackNames {
		assert.NoError(t, CheckAddress(name), name)
	}
}

// TestNamesAgainstResolver proves the rule against addresses in disguise
// (see CheckAddress) against the real C resolver, through getent (glibc's
// getaddrinfo on Debian and Ubuntu, where charms run):
//
//   - every string of numericNames is refused by CheckAddress, and getent
//     does read it as the IPv4 address the table says: the table holds
//     real cases, not imagined ones;
//   - every name of this package's tables that CheckAddress accepts as a
//     DNS name does not resolve unless it is in /etc/hosts or is the
//     machine's own name. The names are chosen under reserved or unused
//     domains, so they resolve in no DNS; the sandbox has no DNS at all.
//     getaddrinfo reads numbers before asking any name service, so a
//     number in disguise would resolve here, with or without DNS.
func TestNamesAgainstResolver(t *testing.T) {
	getent, err := exec.LookPath("getent")
	if err != nil {
		t.Skip("getent is not installed: nothing to check the rule against")
	}
	local := localNames(t)

	t.Run("numbers", func(t *testing.T) {
		for _, n := range numericNames {
			t.Run(n.name, func(t *testing.T) {
				t.Parallel()
				require.ErrorIs(t, CheckAddress(n.name), ErrInvalidAddress)
				addrs := resolve(t, getent, n.name)
				require.NotEmpty(t, addrs, "getent does not read %q as a number: the table is wrong", n.name)
				assert.Equal(t, n.ipv4, addrs[0])
			})
		}
	})
	t.Run("names", func(t *testing.T) {
		names := dnsNamesOfTables()
		require.GreaterOrEqual(t, len(names), 20)
		for _, name := range names {
			if local[strings.ToLower(name)] {
				continue
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				assert.Empty(t, resolve(t, getent, name), "%q passes as a DNS name, yet the resolver reads it without DNS", name)
			})
		}
	})
}

// dnsNamesOfTables is every string of this package's address tables that
// CheckAddress accepts as a DNS name, in its spelling before and after
// canonicalization.
func dnsNamesOfTables() []string {
	var candidates []string
	candidates = append(candidates, nearNumericNames...)
	candidates = append(candidates, digitLedNames...)
	for _, n := range numericNames {
		candidates = append(candidates, n.name)
	}
	for _, c := range canonicalCases {
		candidates = append(candidates, c.in, c.want)
	}
	candidates = append(candidates, exactKeyNames...)
	candidates = append(candidates, nearLoopbackNames...)
	var names []string
	for _, s := range candidates {
		if _, err := netip.ParseAddr(s); err != nil && CheckAddress(s) == nil {
			names = append(names, s)
		}
	}
	return names
}

// resolve returns the addresses getent ahosts prints for name, none when
// it finds nothing (exit status 2).
func resolve(t *testing.T, getent, name string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, getent, "ahosts", name).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		return nil
	}
	require.NoError(t, err, "getent ahosts %q", name)
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			addrs = append(addrs, fields[0])
		}
	}
	return addrs
}

// localNames are the names the resolver answers without DNS: those of
// /etc/hosts, the machine's own (nss-myhostname) and localhost.
func localNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{"localhost": true}
	if h, err := os.Hostname(); err == nil {
		names[strings.ToLower(h)] = true
	}
	f, err := os.Open("/etc/hosts")
	if errors.Is(err, os.ErrNotExist) {
		return names
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		for i := 1; i < len(fields); i++ {
			names[strings.ToLower(fields[i])] = true
		}
	}
	require.NoError(t, sc.Err())
	return names
}
