package httprelation

import (
	"fmt"
	"net"
	"strconv"

	"github.com/charmkit/httprelation/internal/address"
	"github.com/charmkit/httprelation/internal/badchar"
)

// Service is one remote application and the hosts its units serve on. The
// JSON names are those the Python interface layer used, so the output of
// [Requires.Services] can be compared with or handed to Python tooling.
type Service struct {
	// Name is the remote application's name.
	Name string `json:"service_name"`
	// Hosts are de-duplicated and sorted by hostname, private address,
	// port. Their addresses are canonical (see [CheckAddress]), so two
	// spellings of one target are one host.
	Hosts []Host `json:"hosts"`
}

// Host is one address a service can be reached at, as one remote unit
// (or one of its extended_data entries) published it. It holds two
// addresses, because the interface has two: the name the unit gives its
// clients, and the address a proxy inside the model connects to.
type Host struct {
	// Hostname is the name the unit gives its clients (a public name or
	// a virtual IP, say): the unit's "hostname" or, when it did not set
	// one, its private address. Log it, show it, hand it to clients; a
	// proxy that connects here would ignore the unit's private address.
	Hostname string `json:"hostname"`
	// PrivateAddress is the unit's "private-address": the address a proxy
	// or load balancer in the model connects to. The haproxy charm
	// (canonical/haproxy-operator) connects only to private-address and
	// port, and so does examples/reverseproxy. Hosts from Requires.Services
	// always have one: a unit that set only a hostname is reached there.
	PrivateAddress string `json:"private-address"`
	// Port is 1..65535.
	Port int `json:"port"`
}

// Addr returns "hostname:port", with brackets around an IPv6 literal: the
// address clients are told to use, ready for net.Dial or a log line. A
// proxy connects to [Host.PrivateAddr] instead.
func (h Host) Addr() string {
	return net.JoinHostPort(h.Hostname, strconv.Itoa(h.Port))
}

// PrivateAddr returns "private-address:port", with brackets around an IPv6
// literal: where a proxy or load balancer connects, ready for net.Dial or
// a server line. Two hosts with one PrivateAddr are one backend server,
// whatever their hostnames.
func (h Host) PrivateAddr() string {
	return net.JoinHostPort(h.PrivateAddress, strconv.Itoa(h.Port))
}

// EntryError is one rejected piece of a remote unit's data bag. The rest of
// the bag is still used: one bad entry never costs the good ones.
type EntryError struct {
	// Key is the bag key the value came from.
	Key string
	// Value is the rejected value as the remote unit wrote it; for an
	// extended_data entry, that entry's JSON text. Untrusted: print it
	// quoted and cut, as EntryError.Error does.
	Value string
	// Index is the position of the rejected entry in extended_data, or -1
	// when the whole value of Key was rejected.
	Index int
	// Err is the reason; it wraps ErrInvalidPort, ErrInvalidAddress or
	// ErrInvalidExtendedData.
	Err error
}

// Error quotes the value, and the key unless it is a plain one, so a
// hostile bag cannot forge log lines.
func (e *EntryError) Error() string {
	key := quoteKey(e.Key)
	if e.Index >= 0 {
		key = fmt.Sprintf("%s[%d]", key, e.Index)
	}
	return fmt.Sprintf("%s = %s: %v", key, badchar.Quote(e.Value), e.Err)
}

// Unwrap lets callers test the reason with errors.Is.
func (e *EntryError) Unwrap() error { return e.Err }

// appendUnitHosts appends the hosts one remote unit's data bag offers: its
// top-level hostname/private-address/port, then its extended_data entries,
// in that order and not yet de-duplicated, with canonical addresses (see
// [CheckAddress]). Every rejected value is appended to problems and
// skipped; everything else is kept. A bag without a port offers no
// top-level host and that is not a problem: units set their port after
// joining. The slices are the caller's, so that Requires.Services parses a
// thousand bags without a thousand allocations.
func appendUnitHosts(hosts []Host, problems []*EntryError, bag map[string]string) ([]Host, []*EntryError) {
	// "" is how Juju spells "unset", as for hostname below.
	if port := bag[keyPort]; port != "" {
		hosts, problems = appendTopLevelHost(hosts, problems, bag, port)
	}
	if ext := bag[keyExtendedData]; ext != "" {
		hosts, problems = appendExtendedHosts(hosts, problems, ext)
	}
	return hosts, problems
}

// appendTopLevelHost checks each top-level key on its own, so that the log
// names every bad key; any bad key drops the host, because a proxy must not
// be pointed at a guess. The addresses are canonicalized here, before any
// Host exists, so that sorting and de-duplication see one spelling per
// target.
func appendTopLevelHost(hosts []Host, problems []*EntryError, bag map[string]string, rawPort string) ([]Host, []*EntryError) {
	// An address the reader could not read (a problem handed in, see
	// PartialBagError) is as bad as an invalid one: the host must not
	// fall back to the other address, which would be a guess.
	unread := addressUnread(problems)
	bad := unread
	port, err := ParsePort(rawPort)
	if err != nil {
		problems = append(problems, &EntryError{Key: keyPort, Value: rawPort, Index: -1, Err: err})
		bad = true
	}
	rawHostname, rawPriv := bag[keyHostname], bag[keyPrivateAddress]
	var hostname, priv string
	if rawHostname != "" {
		if hostname, err = address.Canonical(rawHostname); err != nil {
			problems = append(problems, &EntryError{Key: keyHostname, Value: rawHostname, Index: -1, Err: err})
			bad = true
		}
	}
	// An empty private-address is fine next to a hostname (see newHost);
	// with neither address the bag is broken, not early (Juju always sets
	// private-address), and address.Canonical says so.
	switch {
	case rawPriv != "" && rawPriv == rawHostname:
		priv = hostname
	case rawPriv != "" || rawHostname == "" && !unread:
		if priv, err = address.Canonical(rawPriv); err != nil {
			problems = append(problems, &EntryError{Key: keyPrivateAddress, Value: rawPriv, Index: -1, Err: err})
			bad = true
		}
	}
	if bad {
		return hosts, problems
	}
	return append(hosts, newHost(hostname, priv, port)), problems
}

// addressUnread reports whether problems, those of reading a bag, name
// its hostname or private-address.
func addressUnread(problems []*EntryError) bool {
	for _, p := range problems {
		if p.Index < 0 && (p.Key == keyHostname || p.Key == keyPrivateAddress) {
			return true
		}
	}
	return false
}

// newHost applies the interface's address rule to checked, canonical
// addresses.
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
