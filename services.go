package httprelation

import (
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
