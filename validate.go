package httprelation

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/charmkit/httprelation/internal/badchar"
)

// ParsePort parses a port as the http interface writes it: ASCII decimal
// digits only, 1..65535. Signs, spaces, exponents and hex are rejected.
func ParsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("%w: %s", ErrInvalidPort, badchar.Quote(s))
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s", ErrInvalidPort, badchar.Quote(s))
		}
		n = n*10 + int(c-'0')
	}
	if err := CheckPort(n); err != nil {
		return 0, err
	}
	return n, nil
}

// CheckPort reports whether n is a usable TCP port, 1..65535.
func CheckPort(n int) error {
	if n < 1 || n > 65535 {
		return fmt.Errorf("%w: %d is outside 1..65535", ErrInvalidPort, n)
	}
	return nil
}

// maxDNSName is the longest DNS name CheckAddress accepts, in its dotted
// text form without a trailing dot (RFC 1035's 255 octets on the wire).
const maxDNSName = 253

// CheckAddress reports whether s is an IPv4 or IPv6 literal (no zone, no
// brackets) or an RFC 1123 DNS name: ASCII letters, digits and hyphens,
// labels of 1..63 characters not starting or ending with a hyphen, at most
// 253 characters, no trailing dot, and a last label that starts with a
// letter; not "localhost" or another name that every machine resolves
// to an address of its own. Anything else, including whitespace, quotes
// and control characters, is rejected: these values end up in proxy
// configuration files.
//
// The last-label rule is what keeps an address from passing as a name.
// The C resolver (inet_aton, behind getaddrinfo) reads "0x7f000001",
// "127.1", "017700000001" and "1.2.3.0x4" as IPv4 addresses; every form it
// reads as a number has a last part that starts with a digit, while no
// top-level domain does (RFC 1123 section 2.1, RFC 3696 section 2).
func CheckAddress(s string) error {
	_, err := canonicalAddress(s)
	return err
}

// canonicalAddress checks s as [CheckAddress] does and returns the one
// spelling of the target it names, so that two spellings of one target
// compare equal: an IP literal in its canonical text form (RFC 5952 for
// IPv6, and an IPv4-mapped IPv6 address as plain IPv4), a DNS name in
// lower case. Both sides of the relation use it: [Provides.Configure]
// publishes canonical addresses and every [Host] holds them. A value that
// is already canonical is returned as is, without allocating.
func canonicalAddress(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidAddress)
	}
	// Every IP literal ends in a digit or holds a ':', and a failed
	// ParseAddr allocates its error: names skip it.
	if c := s[len(s)-1]; c >= '0' && c <= '9' || strings.IndexByte(s, ':') >= 0 {
		if ip, err := netip.ParseAddr(s); err == nil {
			return canonicalIP(s, ip)
		}
	}
	if err := checkDNSName(s); err != nil {
		return "", err
	}
	// ToLower returns s itself when it has no upper-case letter.
	name := strings.ToLower(s)
	if isLoopbackName(name) {
		return "", fmt.Errorf("%w: %s names an address of this machine, which the resolver answers without DNS", ErrInvalidAddress, badchar.Quote(s))
	}
	return name, nil
}

// isLoopbackName reports whether name, in lower case, is one that every
// stock machine resolves without DNS to an address of its own: RFC 6761
// has resolvers answer "localhost" and every name under it with the
// loopback address, and the default /etc/hosts of Debian, Ubuntu and Red
// Hat map the others to loopback or multicast addresses. A remote unit
// naming one would point a proxy at the proxy's own machine: an address
// in disguise, like "0x7f000001".
func isLoopbackName(name string) bool {
	switch name {
	case "localhost", "localhost.localdomain",
		"localhost4", "localhost4.localdomain4", "localhost6", "localhost6.localdomain6",
		"ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
		"ip6-allnodes", "ip6-allrouters", "ip6-allhosts":
		return true
	}
	return strings.HasSuffix(name, ".localhost")
}

// canonicalIP returns the canonical text of ip, parsed from s: s itself
// when it is already canonical.
func canonicalIP(s string, ip netip.Addr) (string, error) {
	if ip.Zone() != "" {
		return "", fmt.Errorf("%w: %s has an IPv6 zone", ErrInvalidAddress, badchar.Quote(s))
	}
	var buf [len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")]byte
	if canonical := ip.Unmap().AppendTo(buf[:0]); string(canonical) != s {
		return string(canonical), nil
	}
	return s, nil
}

// checkDNSName applies the name rules of CheckAddress.
func checkDNSName(s string) error {
	if len(s) > maxDNSName {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidAddress, badchar.Quote(s), maxDNSName)
	}
	label := 0 // length of the label being read
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			switch {
			case label == 0:
				return fmt.Errorf("%w: %s has an empty label", ErrInvalidAddress, badchar.Quote(s))
			case s[i-1] == '-':
				return fmt.Errorf("%w: %s has a label ending in '-'", ErrInvalidAddress, badchar.Quote(s))
			case i == len(s) && !isLetter(s[i-label]):
				return fmt.Errorf("%w: %s is neither an IP address nor a DNS name: "+
					"its last label starts with a digit, so a resolver may read it as a number", ErrInvalidAddress, badchar.Quote(s))
			}
			label = 0
			continue
		}
		switch c := s[i]; {
		case isLetter(c), c >= '0' && c <= '9':
		case c == '-':
			if label == 0 {
				return fmt.Errorf("%w: %s has a label starting with '-'", ErrInvalidAddress, badchar.Quote(s))
			}
		default:
			return fmt.Errorf("%w: %s contains %s", ErrInvalidAddress, badchar.Quote(s), badchar.Describe(s[i:]))
		}
		label++
		if label > 63 {
			return fmt.Errorf("%w: %s has a label longer than 63 characters", ErrInvalidAddress, badchar.Quote(s))
		}
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// quoteKey renders a bag key for a message: as is when it is a short
// plain key (ASCII letters, digits, '-', '_', '.'), as every key of the
// interface is, else quoted and cut to 64 bytes, since a remote unit chooses its keys
// too.
func quoteKey(k string) string {
	if k == "" || len(k) > badchar.MaxQuoted {
		return badchar.Quote(k)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return badchar.Quote(k)
		}
	}
	return k
}
