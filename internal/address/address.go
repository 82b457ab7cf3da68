// Package address holds the rule for the addresses of the http interface,
// documented on httprelation.CheckAddress: what is accepted, and the one
// spelling each accepted target is kept in. The library and http-relation
// share it, so that what one writes the other reads back unchanged.
package address

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/charmkit/httprelation/internal/badchar"
)

// ErrInvalid reports a hostname or address that is neither an IP literal
// nor an RFC 1123 DNS name; httprelation exports it as ErrInvalidAddress.
var ErrInvalid = errors.New("invalid address")

// maxDNSName is the longest DNS name Canonical accepts, in its dotted
// text form without a trailing dot (RFC 1035's 255 octets on the wire).
const maxDNSName = 253

// Canonical checks s as httprelation.CheckAddress documents and returns
// the one spelling of the target it names, so that two spellings of one
// target compare equal: an IP literal in its canonical text form (RFC 5952
// for IPv6, and an IPv4-mapped IPv6 address as plain IPv4), a DNS name in
// lower case. Both sides of the relation use it: Provides.Configure
// publishes canonical addresses and every Host holds them, and
// http-relation's hook cache accepts only what it returns. A value that is
// already canonical is returned as is, without allocating.
func Canonical(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
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
		return "", fmt.Errorf("%w: %s names an address of this machine, which the resolver answers without DNS", ErrInvalid, badchar.Quote(s))
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
		return "", fmt.Errorf("%w: %s has an IPv6 zone", ErrInvalid, badchar.Quote(s))
	}
	var buf [len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")]byte
	if canonical := ip.Unmap().AppendTo(buf[:0]); string(canonical) != s {
		return string(canonical), nil
	}
	return s, nil
}

// checkDNSName applies the name rules of httprelation.CheckAddress.
func checkDNSName(s string) error {
	if len(s) > maxDNSName {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, badchar.Quote(s), maxDNSName)
	}
	label := 0 // length of the label being read
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			switch {
			case label == 0:
				return fmt.Errorf("%w: %s has an empty label", ErrInvalid, badchar.Quote(s))
			case s[i-1] == '-':
				return fmt.Errorf("%w: %s has a label ending in '-'", ErrInvalid, badchar.Quote(s))
			case i == len(s) && !isLetter(s[i-label]):
				return fmt.Errorf("%w: %s is neither an IP address nor a DNS name: "+
					"its last label starts with a digit, so a resolver may read it as a number", ErrInvalid, badchar.Quote(s))
			}
			label = 0
			continue
		}
		switch c := s[i]; {
		case isLetter(c), c >= '0' && c <= '9':
		case c == '-':
			if label == 0 {
				return fmt.Errorf("%w: %s has a label starting with '-'", ErrInvalid, badchar.Quote(s))
			}
		default:
			return fmt.Errorf("%w: %s contains %s", ErrInvalid, badchar.Quote(s), badchar.Describe(s[i:]))
		}
		label++
		if label > 63 {
			return fmt.Errorf("%w: %s has a label longer than 63 characters", ErrInvalid, badchar.Quote(s))
		}
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
