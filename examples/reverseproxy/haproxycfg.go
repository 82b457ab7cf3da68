package main

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/charmkit/httprelation"
)

// frontend is where haproxy listens for clients.
type frontend struct {
	Bind string `json:"bind"`
	Port int    `json:"port"`
}

// errUnsafe reports a value that renderHAProxy refuses to put in the
// configuration file.
var errUnsafe = errors.New("unsafe value for haproxy configuration")

// serverAddrRE is what Host.PrivateAddr may produce for a validated host:
// an IP literal (bracketed when IPv6) or a DNS name, then the port.
var serverAddrRE = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):[0-9]{1,5}$`)

// serviceNameRE is Juju's application name syntax
// (names.ApplicationSnippet); Juju creates none longer than
// maxServiceName.
var serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$`)

const maxServiceName = 63

// validServiceName reports whether name is an application name Juju can
// create. Services only yields such names; the render checks again,
// since the name becomes part of haproxy's configuration.
func validServiceName(name string) bool {
	return len(name) <= maxServiceName && serviceNameRE.MatchString(name)
}

// quote renders an untrusted value for an error: Go-quoted, so that no
// control character reaches a log raw, and cut to 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return strconv.Quote(s)
}

// configHeader is the fixed start of every rendered file.
//
// No server name is resolved while haproxy checks or loads the file:
// "init-addr none" starts a server named by DNS without an address (in
// maintenance, so it gets no traffic) and haproxy's own resolver, the
// resolvers section, fills it in once haproxy runs, in the background and
// again as DNS changes. The C library's resolver (init-addr libc) would
// instead make "haproxy -c" and every reload wait on each name in turn,
// and remote units choose the names. IP literals need no resolution.
// haproxy's resolver reads the nameservers of /etc/resolv.conf but not
// /etc/hosts; it prefers an A record, as Juju models are IPv4 first.
const configHeader = `# Written by the reverseproxy charm from its relation data; edits are overwritten.
global
    log /dev/log local0
    maxconn 4096

resolvers dns
    parse-resolv-conf
    hold valid 10s

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    default-server init-addr none resolvers dns resolve-prefer ipv4

frontend http-in
`

// renderHAProxy renders the whole haproxy configuration: one frontend
// listening on fe, routing by Host header to one backend per service, the
// first service by default; one server line per distinct private address
// and port, which is where it connects (the hostname is for clients, and
// the haproxy charm ignores it too). Without services the frontend
// answers 503.
//
// Only validated values reach the text, because a newline or a brace in
// remote data would otherwise add directives. What fails validation is
// left out and reported in skipped, one error each, and everything else is
// rendered: a service whose name is not a Juju application name or repeats
// an earlier one, a host that is not a valid address and port. A service
// left with no host keeps its backend, which then answers 503, rather than
// have its clients routed to another service's default backend. Only a bad
// frontend, the operator's own config, is an error; nothing is rendered
// then.
func renderHAProxy(services []httprelation.Service, fe frontend) (text string, skipped []error, err error) {
	bind, err := bindAddr(fe)
	if err != nil {
		return "", nil, err
	}
	services, skipped = safeServices(services)

	var b strings.Builder
	b.WriteString(configHeader)
	fmt.Fprintf(&b, "    bind %s\n", bind)
	if len(services) == 0 {
		b.WriteString("    http-request deny deny_status 503\n")
	} else {
		fmt.Fprintf(&b, "    default_backend %s\n", backendName(services[0].Name))
	}
	for _, svc := range services {
		fmt.Fprintf(&b, "    use_backend %s if { hdr(host) -m str %s }\n", backendName(svc.Name), svc.Name)
	}
	for _, svc := range services {
		fmt.Fprintf(&b, "\nbackend %s\n    balance roundrobin\n", backendName(svc.Name))
		written := make(map[string]bool, len(svc.Hosts))
		for _, h := range svc.Hosts {
			name := serverName(svc.Name, h)
			if written[name] {
				continue // same private address and port as a host before it: the same server
			}
			written[name] = true
			fmt.Fprintf(&b, "    server %s %s check\n", name, h.PrivateAddr())
		}
	}
	return b.String(), skipped, nil
}

// safeServices returns the services and hosts that may be rendered, in
// order, and an error wrapping errUnsafe for each one left out.
func safeServices(services []httprelation.Service) (safe []httprelation.Service, skipped []error) {
	seen := make(map[string]bool, len(services))
	for _, svc := range services {
		if !validServiceName(svc.Name) {
			skipped = append(skipped, fmt.Errorf("%w: service %s: not a Juju application name", errUnsafe, quote(svc.Name)))
			continue
		}
		if seen[svc.Name] {
			skipped = append(skipped, fmt.Errorf("%w: service %s appears twice", errUnsafe, svc.Name))
			continue
		}
		seen[svc.Name] = true
		hosts := make([]httprelation.Host, 0, len(svc.Hosts))
		for _, h := range svc.Hosts {
			if err := checkHost(h); err != nil {
				skipped = append(skipped, fmt.Errorf("%w: service %s: %w", errUnsafe, svc.Name, err))
				continue
			}
			hosts = append(hosts, h)
		}
		safe = append(safe, httprelation.Service{Name: svc.Name, Hosts: hosts})
	}
	return safe, skipped
}

// serverName names a server after what it connects to, so that haproxy's
// logs and stats say which backend host they mean even after other units
// come and go. Service names and validated addresses never contain '_',
// so "<service>_<private-address>_<port>" is unique per service and
// target, and haproxy accepts every character they may contain (letters,
// digits, '.', ':', '-').
func serverName(service string, h httprelation.Host) string {
	return service + "_" + h.PrivateAddress + "_" + strconv.Itoa(h.Port)
}

// backendName derives a backend name that cannot collide with the
// frontend's.
func backendName(service string) string { return "be_" + service }

// bindAddr validates the frontend and formats its address, bracketing
// IPv6.
func bindAddr(fe frontend) (string, error) {
	addr, err := netip.ParseAddr(fe.Bind)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Errorf("%w: bind address %s is not an IP address without zone", errUnsafe, quote(fe.Bind))
	}
	if err := httprelation.CheckPort(fe.Port); err != nil {
		return "", fmt.Errorf("%w: frontend port %d: %w", errUnsafe, fe.Port, err)
	}
	return netip.AddrPortFrom(addr, uint16(fe.Port)).String(), nil
}

// checkHost re-validates, at render time, what of a host is rendered: its
// private address and port. The hostname never reaches the file.
func checkHost(h httprelation.Host) error {
	if err := httprelation.CheckAddress(h.PrivateAddress); err != nil {
		return fmt.Errorf("private address: %w", err)
	}
	if err := httprelation.CheckPort(h.Port); err != nil {
		return fmt.Errorf("host %s: %w", quote(h.PrivateAddress), err)
	}
	if addr := h.PrivateAddr(); !serverAddrRE.MatchString(addr) {
		return fmt.Errorf("server address %s", quote(addr))
	}
	return nil
}
