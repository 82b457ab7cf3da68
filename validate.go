package httprelation

import (
	"fmt"
	"net/netip"
	"strconv"
)

// ParsePort parses a port as the http interface writes it: ASCII decimal
// digits only, 1..65535. Signs, spaces, exponents and hex are rejected.
func ParsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("%w: %s", ErrInvalidPort, Quote(s))
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s", ErrInvalidPort, Quote(s))
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
// 253 characters, and a last label that is not all digits (so that
// "999.1.1.1" is not taken for a name). Anything else, including
// whitespace, quotes and control characters, is rejected: these values end
// up in proxy configuration files.
func CheckAddress(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidAddress)
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.Zone() != "" {
			return fmt.Errorf("%w: %s has an IPv6 zone", ErrInvalidAddress, Quote(s))
		}
		return nil
	}
	if len(s) > 253 {
		return fmt.Errorf("%w: %s is longer than 253 characters", ErrInvalidAddress, Quote(s))
	}
	label, digitsOnly := 0, true
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if label == 0 {
				return fmt.Errorf("%w: %s has an empty label", ErrInvalidAddress, Quote(s))
			}
			if s[i-1] == '-' {
				return fmt.Errorf("%w: %s has a label ending in '-'", ErrInvalidAddress, Quote(s))
			}
			if i == len(s) && digitsOnly {
				return fmt.Errorf("%w: %s is neither an IP address nor a DNS name", ErrInvalidAddress, Quote(s))
			}
			label, digitsOnly = 0, true
			continue
		}
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			digitsOnly = false
		case c == '-':
			if label == 0 {
				return fmt.Errorf("%w: %s has a label starting with '-'", ErrInvalidAddress, Quote(s))
			}
			digitsOnly = false
		default:
			return fmt.Errorf("%w: %s contains %s", ErrInvalidAddress, Quote(s), strconv.QuoteRune(rune(c)))
		}
		label++
		if label > 63 {
			return fmt.Errorf("%w: %s has a label longer than 63 characters", ErrInvalidAddress, Quote(s))
		}
	}
	return nil
}

// maxQuoted is how much of an untrusted value a message shows.
const maxQuoted = 64

// Quote renders an untrusted value for a log line or an error: Go-quoted,
// so control characters and newlines cannot forge lines, and cut to 64
// bytes so a huge value cannot flood the log.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxQuoted]) + fmt.Sprintf("...(%d bytes)", len(s))
}
