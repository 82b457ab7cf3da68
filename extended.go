package httprelation

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/charmkit/httprelation/internal/badchar"
)

// ErrInvalidExtendedData reports an extended_data value that is not a JSON
// array of at most 256 objects within 64 KiB, or one of its entries whose
// fields have the wrong JSON type or appear twice.
var ErrInvalidExtendedData = errors.New("invalid extended_data")

// Limits on extended_data. A provider lists a handful of virtual IPs there;
// the limits keep a hostile or broken peer from making every hook of ours
// slow or memory-hungry, and the size is checked before decoding so deep
// nesting never reaches the decoder in bulk. The requirer's parser and the
// provider's check before publishing both go through checkExtendedSize and
// checkExtendedEntries, so we never publish what we would refuse.
const (
	maxExtendedData    = 64 << 10
	maxExtendedEntries = 256
)

func checkExtendedSize(n int) error {
	if n > maxExtendedData {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidExtendedData, n, maxExtendedData)
	}
	return nil
}

func checkExtendedEntries(n int) error {
	if n > maxExtendedEntries {
		return fmt.Errorf("%w: %d entries, more than %d", ErrInvalidExtendedData, n, maxExtendedEntries)
	}
	return nil
}

// The fields of an extended_data entry, as indexes into entryFields.
const (
	fieldHostname = iota
	fieldPrivateAddress
	fieldPort
	numFields
)

// entryFields are the wire keys of an entry. They are matched exactly, as
// the Python interface layer's json module does: encoding/json would also
// take "PORT", "Port" or "private-addreſs" (U+017F) for these, and so read
// a different port or address than every other peer.
var entryFields = [numFields]string{keyHostname, keyPrivateAddress, keyPort}

// appendExtendedHosts adds the hosts of an extended_data value. A value
// that is not a JSON array (or is too large) is one problem for the whole
// key (one log line, not hundreds); a bad entry in an array, including one
// that is not an object, is one problem for that entry alone and costs the
// good entries next to it nothing.
//
// The value is checked with json.Valid and then walked in place, so that
// every key is seen as written: a duplicate key or a key that only
// case-folds to a field cannot go unnoticed, as it would with
// json.Unmarshal. Addresses are copied out of ext, so the hosts do not keep
// the whole value alive.
func appendExtendedHosts(hosts []Host, problems []*EntryError, ext string) ([]Host, []*EntryError) {
	if err := checkExtendedSize(len(ext)); err != nil {
		return hosts, extendedProblem(problems, ext, err)
	}
	if data := []byte(ext); !json.Valid(data) {
		// Unmarshal checks validity first and says where it fails.
		err := badchar.JSON(json.Unmarshal(data, new(json.RawMessage)), data)
		return hosts, extendedProblem(problems, ext, fmt.Errorf("%w: not a JSON array: %v", ErrInvalidExtendedData, err))
	}
	w := jsonWalker{s: ext}
	w.skipSpace()
	if w.peek() != '[' {
		what := "not a JSON array"
		if strings.HasPrefix(ext[w.pos:], "null") {
			what = "null, not a JSON array"
		}
		return hosts, extendedProblem(problems, ext, fmt.Errorf("%w: %s", ErrInvalidExtendedData, what))
	}
	w.pos++
	firstHost, firstProblem := len(hosts), len(problems)
	n := 0
	for w.skipSpace(); w.more(']'); n++ {
		if n >= maxExtendedEntries {
			// Over the limit: only count what is left.
			w.skipValue()
			continue
		}
		start := w.pos
		h, err := w.entry()
		if err != nil {
			problems = append(problems, &EntryError{Key: keyExtendedData, Value: ext[start:w.pos], Index: n, Err: err})
			continue
		}
		hosts = append(hosts, h)
	}
	if err := checkExtendedEntries(n); err != nil {
		return hosts[:firstHost], extendedProblem(problems[:firstProblem], ext, err)
	}
	return hosts, problems
}

// extendedProblem reports the whole extended_data value as bad.
func extendedProblem(problems []*EntryError, ext string, err error) []*EntryError {
	return append(problems, &EntryError{Key: keyExtendedData, Value: ext, Index: -1, Err: err})
}

// jsonWalker reads a JSON text that json.Valid accepted, in place. It
// relies on that validity for its structure, but never indexes past the
// end of s whatever s holds.
type jsonWalker struct {
	s   string
	pos int
}

func (w *jsonWalker) peek() byte {
	if w.pos < len(w.s) {
		return w.s[w.pos]
	}
	return 0
}

func (w *jsonWalker) skipSpace() {
	for w.pos < len(w.s) {
		switch w.s[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// more reports whether the array or object being read has another
// element before its closing byte; it steps over the separating comma and
// over the closing byte once there is none.
func (w *jsonWalker) more(closing byte) bool {
	w.skipSpace()
	switch w.peek() {
	case ',':
		w.pos++
		w.skipSpace()
		return true
	case closing:
		w.pos++
		return false
	case 0:
		return false
	}
	return true
}

// skipValue steps over one value of any kind, iteratively, so that deep
// nesting costs no stack.
func (w *jsonWalker) skipValue() {
	switch w.peek() {
	case '"':
		w.skipString()
	case '{', '[':
		depth := 0
		for w.pos < len(w.s) {
			switch w.s[w.pos] {
			case '"':
				w.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			w.pos++
			if depth == 0 {
				return
			}
		}
	default: // a number, true, false or null
		for w.pos < len(w.s) && isScalarByte(w.s[w.pos]) {
			w.pos++
		}
	}
}

// isScalarByte reports whether c can be part of a number or of true,
// false or null; what follows a valid one never can.
func isScalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// skipString steps over a string literal, quotes included.
func (w *jsonWalker) skipString() {
	for w.pos++; w.pos < len(w.s); w.pos++ {
		switch w.s[w.pos] {
		case '\\':
			w.pos++
		case '"':
			w.pos++
			return
		}
	}
}

// str reads a string literal and returns its raw text, quotes included.
func (w *jsonWalker) str() string {
	start := w.pos
	w.skipString()
	return w.s[start:w.pos]
}

// unquote decodes a string literal. Escapes are rare on the wire, so only
// they cost a decode.
func unquote(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", false
	}
	if !strings.Contains(lit, `\`) {
		return lit[1 : len(lit)-1], true
	}
	var s string
	return s, json.Unmarshal([]byte(lit), &s) == nil
}

// entry reads one element of extended_data and applies the host rules to
// it. Only the exact wire keys count; other keys are ignored, as a Python
// peer ignores them. A wire key that appears twice makes the entry
// ambiguous (JSON readers disagree on which value wins), so it is refused.
func (w *jsonWalker) entry() (Host, error) {
	if w.peek() != '{' {
		w.skipValue()
		return Host{}, fmt.Errorf("%w: entry is not a JSON object", ErrInvalidExtendedData)
	}
	w.pos++
	var raw [numFields]string // each field's JSON text; "" when absent
	var dup error
	for w.skipSpace(); w.more('}'); {
		key, _ := unquote(w.str())
		w.skipSpace()
		w.pos++ // ':'
		w.skipSpace()
		start := w.pos
		w.skipValue()
		for f, name := range entryFields {
			if key != name {
				continue
			}
			if raw[f] != "" && dup == nil {
				dup = fmt.Errorf("%w: duplicate key %q", ErrInvalidExtendedData, name)
			}
			raw[f] = w.s[start:w.pos]
		}
	}
	if dup != nil {
		return Host{}, dup
	}
	return entryHost(raw)
}

// entryHost applies the host rules to the raw fields of one entry: types
// first, then the port, then the addresses.
func entryHost(raw [numFields]string) (Host, error) {
	var addrs [2]string
	for f := range addrs {
		v := raw[f]
		if v == "" || v == "null" {
			continue // absent, as json.Unmarshal into a string leaves it
		}
		s, ok := unquote(v)
		if !ok {
			return Host{}, fmt.Errorf("%w: %s is not a string", ErrInvalidExtendedData, entryFields[f])
		}
		addrs[f] = s
	}
	port, err := parseJSONPort(raw[fieldPort])
	if err != nil {
		return Host{}, err
	}
	hostname, priv := addrs[fieldHostname], addrs[fieldPrivateAddress]
	if hostname == "" && priv == "" {
		return Host{}, fmt.Errorf("%w: entry has neither hostname nor private-address", ErrInvalidAddress)
	}
	if hostname, err = ownedAddress(hostname); err != nil {
		return Host{}, err
	}
	if priv == addrs[fieldHostname] {
		priv = hostname // one copy for the usual hostname == private-address
	} else if priv, err = ownedAddress(priv); err != nil {
		return Host{}, err
	}
	return newHost(hostname, priv, port), nil
}

// ownedAddress is address.Canonical of a value cut out of extended_data,
// copied when it is still a piece of that value; "" stays "".
func ownedAddress(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	canonical, err := address.Canonical(s)
	if err != nil || canonical != s {
		return canonical, err
	}
	return strings.Clone(s), nil
}

// parseJSONPort accepts a port written as a JSON integer or as a JSON
// string holding one; the same digits-only rule applies to both, so
// floats, exponents, negatives and booleans are rejected.
func parseJSONPort(raw string) (int, error) {
	if raw == "" || raw == "null" {
		return 0, fmt.Errorf("%w: missing", ErrInvalidPort)
	}
	if raw[0] != '"' {
		return ParsePort(raw)
	}
	s, ok := unquote(raw)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a JSON string", ErrInvalidPort, badchar.Quote(raw))
	}
	return ParsePort(s)
}
