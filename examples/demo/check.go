package main

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/charmkit/httprelation"
)

// printServices prints what Requires.Services returned, naming the unit
// behind each host where the demo knows it.
func (d *demo) printServices(services []httprelation.Service) {
	fmt.Fprintf(d.stdout, "services seen by %s:\n", proxyName)
	if len(services) == 0 {
		fmt.Fprintln(d.stdout, "  (none)")
	}
	for _, svc := range services {
		fmt.Fprintf(d.stdout, "  %s:\n", svc.Name)
		for _, h := range svc.Hosts {
			fmt.Fprintf(d.stdout, "    %-21s %s\n", h.PrivateAddr(), d.unitAt(h))
		}
	}
}

// unitAt names the demo's unit listening where a proxy connects to h,
// its private address and port, if any.
func (d *demo) unitAt(h httprelation.Host) string {
	for name, port := range d.ports {
		if h.Port == port && h.PrivateAddress == loopback {
			return name
		}
	}
	return "(unknown)"
}

// checkServices verifies that the services list exactly the live
// website units: the departed and the hostile unit must not appear.
func (d *demo) checkServices(services []httprelation.Service) error {
	var listed []string
	for _, svc := range services {
		for _, h := range svc.Hosts {
			u := d.unitAt(h)
			if !slices.Contains(d.liveWebs, u) {
				return fmt.Errorf("services list %s at %s, which must not get traffic", u, h.PrivateAddr())
			}
			listed = append(listed, u)
		}
	}
	for _, u := range d.liveWebs {
		if !slices.Contains(listed, u) {
			return fmt.Errorf("services do not list live unit %s", u)
		}
	}
	return nil
}

// checkHAProxyConfig prints the server lines of the rendered haproxy
// configuration, which is what haproxy routes by, and verifies that they
// name every live unit and nothing else: a departed unit's address or a
// line smuggled in by hostile data would show here first.
func (d *demo) checkHAProxyConfig() error {
	text, err := renderedConfig(d.haCfg)
	if err != nil {
		return err
	}
	d.progress("haproxy routes by %s:", d.haCfg)
	for _, line := range strings.SplitAfter(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "server" {
			fmt.Fprintf(d.stderr, "      %s\n", strings.TrimSpace(line))
		}
	}
	for _, u := range d.liveWebs {
		if !strings.Contains(text, d.addrOf(u)) {
			return fmt.Errorf("%s: no server line for live unit %s at %s", d.haCfg, u, d.addrOf(u))
		}
	}
	for _, u := range d.gone {
		if strings.Contains(text, d.addrOf(u)) {
			return fmt.Errorf("%s: still routes to %s at %s", d.haCfg, u, d.addrOf(u))
		}
	}
	if strings.Contains(text, "smuggled") {
		return fmt.Errorf("%s: holds the line smuggled in by %s", d.haCfg, hostileUnit)
	}
	return nil
}

// addrOf is host:port of a unit's server.
func (d *demo) addrOf(u string) string {
	return net.JoinHostPort(loopback, strconv.Itoa(d.ports[u]))
}
