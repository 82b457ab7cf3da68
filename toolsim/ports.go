package toolsim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// allEndpoints is the key of Model.OpenedPorts for ranges opened on every
// endpoint (Juju's "" endpoint), as opened-ports --endpoints shows them.
const allEndpoints = "*"

// portRange is Juju's network.PortRange: ports fromPort to toPort of a
// protocol, -1 to -1 for icmp.
type portRange struct {
	from, to int
	protocol string
}

// parsePortRange is Juju's network.ParsePortRange, with its messages:
// "80", "80/tcp", "8000-8099/udp" or "icmp"; the protocol defaults to tcp.
func parsePortRange(s string) (portRange, error) {
	protocol := "tcp"
	if ports, proto, ok := strings.Cut(s, "/"); ok {
		s, protocol = ports, proto
	}
	var pr portRange
	parts := strings.Split(s, "-")
	switch {
	case len(parts) > 2:
		return pr, fmt.Errorf("invalid port range %q", s)
	case len(parts) == 1 && parts[0] == "icmp":
		pr.from, pr.to = -1, -1
	case len(parts) == 1:
		n, err := strconv.Atoi(parts[0])
		if err != nil {
			return pr, fmt.Errorf("invalid port %q: %w", s, err)
		}
		pr.from, pr.to = n, n
	default:
		var err error
		if pr.from, err = strconv.Atoi(parts[0]); err != nil {
			return pr, fmt.Errorf("invalid port %q: %w", parts[0], err)
		}
		if pr.to, err = strconv.Atoi(parts[1]); err != nil {
			return pr, fmt.Errorf("invalid port %q: %w", parts[1], err)
		}
	}
	if pr.from == -1 {
		protocol = "icmp"
	}
	pr.protocol = protocol
	return pr, pr.validate()
}

// validate is Juju's PortRange.Validate.
func (pr portRange) validate() error {
	switch proto := strings.ToLower(pr.protocol); {
	case proto != "tcp" && proto != "udp" && proto != "icmp":
		return fmt.Errorf(`invalid protocol %q, expected "tcp", "udp", or "icmp"`, proto)
	case proto == "icmp":
		if pr.from == -1 && pr.to == -1 {
			return nil
		}
		return fmt.Errorf(`protocol "icmp" doesn't support any ports; got "%v"`, pr.from)
	case pr.from > pr.to:
		return fmt.Errorf("invalid port range %s", pr)
	case pr.from < 0 || pr.from > 65535 || pr.to < 0 || pr.to > 65535:
		return fmt.Errorf("port range bounds must be between 0 and 65535, got %d-%d", pr.from, pr.to)
	}
	return nil
}

// String is Juju's form: "80/tcp", "8000-8099/udp", "icmp".
func (pr portRange) String() string {
	proto := strings.ToLower(pr.protocol)
	switch {
	case proto == "icmp":
		return proto
	case pr.from == pr.to:
		return fmt.Sprintf("%d/%s", pr.from, proto)
	}
	return fmt.Sprintf("%d-%d/%s", pr.from, pr.to, proto)
}

// conflictsWith is Juju's PortRange.ConflictsWith: same protocol,
// overlapping ports.
func (pr portRange) conflictsWith(other portRange) bool {
	return pr.protocol == other.protocol && pr.to >= other.from && other.to >= pr.from
}

// comparePortRanges orders as Juju's SortPortRanges: protocol, then ports.
func comparePortRanges(a, b portRange) int {
	return cmp.Or(strings.Compare(a.protocol, b.protocol), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
}

// openedPortRanges parses Model.OpenedPorts, endpoints in order.
func (m *Model) openedPortRanges() (map[string][]portRange, error) {
	out := map[string][]portRange{}
	for _, endpoint := range slices.Sorted(maps.Keys(m.OpenedPorts)) {
		for _, s := range m.OpenedPorts[endpoint] {
			pr, err := parsePortRange(s)
			if err != nil {
				return nil, fmt.Errorf("opened_ports %q: %q: %w", endpoint, s, err)
			}
			out[endpoint] = append(out[endpoint], pr)
		}
	}
	return out, nil
}

// openPortRange opens pr on endpoint for unit, as Juju's
// portRangeChangeRecorder accepts it: a range already open there is no
// change, one that overlaps another of the unit's ranges is an error. It
// reports whether it changed the model.
func (m *Model) openPortRange(unit, endpoint string, pr portRange) (bool, error) {
	opened, err := m.openedPortRanges()
	if err != nil {
		return false, failure("%v", err)
	}
	for _, ep := range slices.Sorted(maps.Keys(opened)) {
		for _, other := range opened[ep] {
			switch {
			case !pr.conflictsWith(other):
			case pr == other && ep == endpoint:
				return false, nil // already open: Juju makes it a no-op
			case pr == other:
				// the same range on another endpoint is a legal change
			default:
				return false, failure("cannot open %v (unit %q): port range conflicts with %v (unit %q)", pr, unit, other, unit)
			}
		}
	}
	if m.OpenedPorts == nil {
		m.OpenedPorts = map[string][]string{}
	}
	m.OpenedPorts[endpoint] = append(m.OpenedPorts[endpoint], pr.String())
	return true, nil
}

// closePortRange closes pr on endpoint for unit: a range open there goes,
// one not open is no change, and one that overlaps another of the unit's
// ranges is an error, as in Juju. It reports whether it changed the model.
func (m *Model) closePortRange(unit, endpoint string, pr portRange) (bool, error) {
	opened, err := m.openedPortRanges()
	if err != nil {
		return false, failure("%v", err)
	}
	for _, ep := range slices.Sorted(maps.Keys(opened)) {
		for _, other := range opened[ep] {
			if pr.conflictsWith(other) && pr != other {
				return false, failure("cannot close %v (unit %q): port range conflicts with %v (unit %q)", pr, unit, other, unit)
			}
		}
	}
	kept := slices.DeleteFunc(slices.Clone(m.OpenedPorts[endpoint]), func(s string) bool { return s == pr.String() })
	switch {
	case len(kept) == len(m.OpenedPorts[endpoint]):
		return false, nil
	case len(kept) == 0:
		delete(m.OpenedPorts, endpoint)
	default:
		m.OpenedPorts[endpoint] = kept
	}
	return true, nil
}

// openedRanges is what opened-ports lists: each range once, in Juju's
// order, with the endpoints it is open on ("*" for all of them).
func (m *Model) openedRanges() ([]portRange, map[portRange][]string, error) {
	opened, err := m.openedPortRanges()
	if err != nil {
		return nil, nil, err
	}
	byRange := map[portRange][]string{}
	for ep, ranges := range opened {
		for _, pr := range ranges {
			if !slices.Contains(byRange[pr], ep) {
				byRange[pr] = append(byRange[pr], ep)
			}
		}
	}
	for pr, eps := range byRange {
		if slices.Contains(eps, allEndpoints) {
			byRange[pr] = []string{allEndpoints}
		} else {
			slices.Sort(eps)
		}
	}
	ranges := slices.Collect(maps.Keys(byRange))
	slices.SortFunc(ranges, comparePortRanges)
	return ranges, byRange, nil
}

// checkOpenedPorts reports the entries of Model.OpenedPorts that are not
// port ranges in Juju's form, for Validate.
func (m *Model) checkOpenedPorts() []error {
	var errs []error
	for _, endpoint := range slices.Sorted(maps.Keys(m.OpenedPorts)) {
		for _, s := range m.OpenedPorts[endpoint] {
			pr, err := parsePortRange(s)
			if err == nil && pr.String() != s {
				err = fmt.Errorf("write it as %q", pr.String())
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("opened_ports %q: %q: %w", endpoint, s, err))
			}
		}
	}
	return errs
}
