package httprelation

import (
	"fmt"

	"github.com/charmkit/httprelation/internal/address"
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
//
// The library keeps every address it accepts in one spelling, so that two
// spellings of one target compare equal: an IP literal in its canonical
// text form (RFC 5952 for IPv6, an IPv4-mapped IPv6 address as plain
// IPv4), a DNS name in lower case.
func CheckAddress(s string) error {
	_, err := address.Canonical(s)
	return err
}

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
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return badchar.Quote(k)
		}
	}
	return k
}
