package httprelation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Service is one remote application and the hosts its units serve on. The
// JSON names are those the Python interface layer used, so the output of
// [Requires.Services] can be compared with or handed to Python tooling.
type Service struct {
	// Name is the remote application's name.
	Name string `json:"service_name"`
	// Hosts are de-duplicated and sorted by hostname, private address,
	// port.
	Hosts []Host `json:"hosts"`
}

// Host is one address a service can be reached at.
type Host struct {
	// Hostname is what clients should connect to: the unit's "hostname"
	// or, when it did not set one, its private address.
	Hostname string `json:"hostname"`
	// PrivateAddress is the unit's "private-address".
	PrivateAddress string `json:"private-address"`
	// Port is 1..65535.
	Port int `json:"port"`
}

// Addr returns "hostname:port", with brackets around an IPv6 literal, ready
// for net.Dial or a proxy's server line.
func (h Host) Addr() string {
	return net.JoinHostPort(h.Hostname, strconv.Itoa(h.Port))
}

// ErrInvalidExtendedData reports an extended_data value that is not a JSON
// array of at most maxExtendedEntries objects within maxExtendedData bytes,
// or one of its entries whose fields have the wrong JSON type.
var ErrInvalidExtendedData = errors.New("invalid extended_data")

// Limits on extended_data. A provider lists a handful of virtual IPs there;
// the limits keep a hostile or broken peer from making every hook of ours
// slow or memory-hungry, and the size is checked before decoding so deep
// nesting never reaches the decoder in bulk.
const (
	maxExtendedData    = 64 << 10
	maxExtendedEntries = 256
)

// EntryError is one rejected piece of a remote unit's data bag. The rest of
// the bag is still used: one bad entry never costs the good ones.
type EntryError struct {
	// Key is the bag key the value came from.
	Key string
	// Value is the rejected value as the remote unit wrote it; for an
	// extended_data entry, that entry's JSON text. Untrusted: print it
	// with [Quote].
	Value string
	// Index is the position of the rejected entry in extended_data, or -1
	// when the whole value of Key was rejected.
	Index int
	// Err is the reason; it wraps ErrInvalidPort, ErrInvalidAddress or
	// ErrInvalidExtendedData.
	Err error
}

// Error quotes the value, so a hostile value cannot forge log lines.
func (e *EntryError) Error() string {
	key := e.Key
	if e.Index >= 0 {
		key = fmt.Sprintf("%s[%d]", e.Key, e.Index)
	}
	return fmt.Sprintf("%s = %s: %v", key, Quote(e.Value), e.Err)
}

// Unwrap lets callers test the reason with errors.Is.
func (e *EntryError) Unwrap() error { return e.Err }

// ParseUnitData returns the hosts one remote unit's data bag offers: its
// top-level hostname/private-address/port, then its extended_data entries,
// in that order and not yet de-duplicated. Every rejected value is
// reported in problems and skipped; everything else is kept. A bag without
// a port offers no top-level host and that is not a problem: units set
// their port after joining.
func ParseUnitData(bag map[string]string) (hosts []Host, problems []*EntryError) {
	return appendUnitHosts(nil, nil, bag)
}

// appendUnitHosts is ParseUnitData appending to caller-owned slices, so
// that Requires.Services parses a thousand bags without a thousand
// allocations.
func appendUnitHosts(hosts []Host, problems []*EntryError, bag map[string]string) ([]Host, []*EntryError) {
	// "" is how Juju spells "unset", as for hostname below.
	if port := bag[KeyPort]; port != "" {
		hosts, problems = appendTopLevelHost(hosts, problems, bag, port)
	}
	if ext := bag[KeyExtendedData]; ext != "" {
		hosts, problems = appendExtendedHosts(hosts, problems, ext)
	}
	return hosts, problems
}

// appendTopLevelHost checks each top-level key on its own, so that the log
// names every bad key; any bad key drops the host, because a proxy must not
// be pointed at a guess.
func appendTopLevelHost(hosts []Host, problems []*EntryError, bag map[string]string, rawPort string) ([]Host, []*EntryError) {
	bad := false
	port, err := ParsePort(rawPort)
	if err != nil {
		problems = append(problems, &EntryError{Key: KeyPort, Value: rawPort, Index: -1, Err: err})
		bad = true
	}
	hostname, priv := bag[KeyHostname], bag[KeyPrivateAddress]
	if hostname != "" {
		if err := CheckAddress(hostname); err != nil {
			problems = append(problems, &EntryError{Key: KeyHostname, Value: hostname, Index: -1, Err: err})
			bad = true
		}
	}
	// An empty private-address is fine next to a hostname (see newHost);
	// with neither address the bag is broken, not early (Juju always sets
	// private-address), and CheckAddress says so.
	if (priv != "" && priv != hostname) || (priv == "" && hostname == "") {
		if err := CheckAddress(priv); err != nil {
			problems = append(problems, &EntryError{Key: KeyPrivateAddress, Value: priv, Index: -1, Err: err})
			bad = true
		}
	}
	if bad {
		return hosts, problems
	}
	return append(hosts, newHost(hostname, priv, port)), problems
}

// newHost applies the interface's address rule to checked addresses.
func newHost(hostname, priv string, port int) Host {
	if hostname == "" {
		hostname = priv
	}
	// A unit that set a hostname but no private-address (not something
	// Juju does, but extended_data entries may) is reached at its
	// hostname, so that is also the best private address we know.
	if priv == "" {
		priv = hostname
	}
	return Host{Hostname: hostname, PrivateAddress: priv, Port: port}
}

// extendedEntry is one element of extended_data. The port stays raw
// because providers write it as a JSON number or as a string.
type extendedEntry struct {
	Hostname       string          `json:"hostname"`
	PrivateAddress string          `json:"private-address"`
	Port           json.RawMessage `json:"port"`
}

// appendExtendedHosts adds the hosts of an extended_data value. A value
// that is not a JSON array (or is too large) is one problem for the whole
// key (one log line, not hundreds); a bad entry in an array, including one
// that is not an object, is one problem for that entry alone and costs the
// good entries next to it nothing.
func appendExtendedHosts(hosts []Host, problems []*EntryError, ext string) ([]Host, []*EntryError) {
	if len(ext) > maxExtendedData {
		return hosts, extendedProblem(problems, ext, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidExtendedData, len(ext), maxExtendedData))
	}
	data := []byte(ext)
	if good, ok := appendGoodExtendedHosts(hosts, data); ok {
		return good, problems
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return hosts, extendedProblem(problems, ext, fmt.Errorf("%w: not a JSON array: %v", ErrInvalidExtendedData, err))
	}
	if raws == nil {
		return hosts, extendedProblem(problems, ext, fmt.Errorf("%w: null, not a JSON array", ErrInvalidExtendedData))
	}
	if len(raws) > maxExtendedEntries {
		return hosts, extendedProblem(problems, ext, fmt.Errorf("%w: %d entries, more than %d", ErrInvalidExtendedData, len(raws), maxExtendedEntries))
	}
	for i, raw := range raws {
		h, err := parseExtendedEntry(raw)
		if err != nil {
			problems = append(problems, &EntryError{Key: KeyExtendedData, Value: string(raw), Index: i, Err: err})
			continue
		}
		hosts = append(hosts, h)
	}
	return hosts, problems
}

// appendGoodExtendedHosts is the fast path for the usual extended_data,
// a valid one: a single decode, with no copy of each entry's text. At the
// first doubt it appends nothing and reports false, and the slow path in
// appendExtendedHosts, which says precisely what is wrong, takes over.
func appendGoodExtendedHosts(hosts []Host, data []byte) ([]Host, bool) {
	var entries []*extendedEntry // a null entry stays nil
	if err := json.Unmarshal(data, &entries); err != nil || entries == nil || len(entries) > maxExtendedEntries {
		return hosts, false
	}
	n := len(hosts)
	for _, e := range entries {
		if e == nil {
			return hosts[:n], false
		}
		h, err := entryHost(e)
		if err != nil {
			return hosts[:n], false
		}
		hosts = append(hosts, h)
	}
	return hosts, true
}

// extendedProblem reports the whole extended_data value as bad.
func extendedProblem(problems []*EntryError, ext string, err error) []*EntryError {
	return append(problems, &EntryError{Key: KeyExtendedData, Value: ext, Index: -1, Err: err})
}

// firstByte returns the first byte of a JSON value (RawMessage elements
// carry no leading space, but do not rely on it), or 0.
func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

func parseExtendedEntry(raw json.RawMessage) (Host, error) {
	if firstByte(raw) != '{' {
		return Host{}, fmt.Errorf("%w: entry is not a JSON object", ErrInvalidExtendedData)
	}
	var e extendedEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return Host{}, fmt.Errorf("%w: %v", ErrInvalidExtendedData, err)
	}
	return entryHost(&e)
}

// entryHost applies the host rules to one decoded extended_data entry.
func entryHost(e *extendedEntry) (Host, error) {
	port, err := parseJSONPort(e.Port)
	if err != nil {
		return Host{}, err
	}
	if e.Hostname == "" && e.PrivateAddress == "" {
		return Host{}, fmt.Errorf("%w: entry has neither hostname nor private-address", ErrInvalidAddress)
	}
	for _, a := range [...]string{e.Hostname, e.PrivateAddress} {
		if a == "" {
			continue
		}
		if err := CheckAddress(a); err != nil {
			return Host{}, err
		}
	}
	return newHost(e.Hostname, e.PrivateAddress, port), nil
}

// parseJSONPort accepts a port written as a JSON integer or as a JSON
// string holding one; the same digits-only rule applies to both, so
// floats, exponents, negatives and booleans are rejected.
func parseJSONPort(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, fmt.Errorf("%w: missing", ErrInvalidPort)
	}
	if raw[0] != '"' {
		return ParsePort(string(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidPort, err)
	}
	return ParsePort(s)
}
