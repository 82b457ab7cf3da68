package hooktools

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/charmkit/httprelation/internal/badchar"
)

// Port is a port, or a range of ports, that a unit opens to clients
// when its application is exposed, as open-port takes it and
// opened-ports lists it.
type Port struct {
	// Protocol is "tcp", "udp" or "icmp"; "" is "tcp".
	Protocol string
	// Number is the port, or the first port of a range: 1 to 65535; 0
	// for icmp, which has no ports.
	Number int
	// To is the last port of a range, above Number; 0 for one port.
	To int
}

// String returns the port as Juju writes it: "80/tcp", "8000-8099/udp",
// "icmp".
func (p Port) String() string {
	proto := p.Protocol
	if proto == "" {
		proto = "tcp"
	}
	switch {
	case proto == "icmp":
		return proto
	case p.To != 0:
		return fmt.Sprintf("%d-%d/%s", p.Number, p.To, proto)
	}
	return fmt.Sprintf("%d/%s", p.Number, proto)
}

// check says what is wrong with p, if anything, as open-port would.
func (p Port) check() error {
	switch p.Protocol {
	case "icmp":
		if p.Number != 0 || p.To != 0 {
			return fmt.Errorf("invalid port {icmp %d %d}: icmp has no ports, so Number and To are 0", p.Number, p.To)
		}
		return nil
	case "", "tcp", "udp":
	default:
		return fmt.Errorf("invalid protocol %q, expected \"tcp\", \"udp\", or \"icmp\"", p.Protocol)
	}
	if p.Number < 1 || p.Number > 65535 || p.To != 0 && (p.To <= p.Number || p.To > 65535) {
		return fmt.Errorf("invalid port %s: a port is 1 to 65535, and the last of a range (To) above its first", p)
	}
	return nil
}

// OpenPort opens p with open-port, to every endpoint. A port that is
// not one fails here, before any tool runs.
func (t *Tools) OpenPort(ctx context.Context, p Port) error {
	return t.port(ctx, "open-port", p)
}

// ClosePort closes p with close-port.
func (t *Tools) ClosePort(ctx context.Context, p Port) error {
	return t.port(ctx, "close-port", p)
}

// SetPorts makes ports the unit's opened ports, as ops' Unit.set_ports
// does: it opens those not open yet and closes every other one the unit
// has open, reading opened-ports once. Every port is checked before any
// tool runs; a port given twice counts once.
func (t *Tools) SetPorts(ctx context.Context, ports ...Port) error {
	want := make(map[string]Port, len(ports))
	for _, p := range ports {
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("set ports: %w", err)
		}
		want[p.String()] = p
	}
	opened, err := t.OpenedPorts(ctx)
	if err != nil {
		return fmt.Errorf("set ports: %w", err)
	}
	for _, p := range opened {
		if _, keep := want[p.String()]; keep {
			delete(want, p.String())
			continue
		}
		if err := t.ClosePort(ctx, p); err != nil {
			return fmt.Errorf("set ports: %w", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if err := t.OpenPort(ctx, want[name]); err != nil {
			return fmt.Errorf("set ports: %w", err)
		}
	}
	return nil
}

func (t *Tools) port(ctx context.Context, tool string, p Port) error {
	if err := p.check(); err != nil {
		return fmt.Errorf("%s: %w", tool, err)
	}
	_, err := t.run(ctx, tool, p.String())
	return err
}

// OpenedPorts returns the ports the unit has opened, with opened-ports
// (in a hook, those opened earlier in it too), in Juju's order: by
// protocol, then by number.
func (t *Tools) OpenedPorts(ctx context.Context) ([]Port, error) {
	const tool = "opened-ports"
	c, err := t.caller(tool)
	if err != nil {
		return nil, err
	}
	out, err := c.runLimited(ctx, tool, []string{"--format=json"}, nil, MaxListOutput)
	if err != nil {
		return nil, err
	}
	list, err := decodeList(tool, out)
	if err != nil {
		return nil, err
	}
	ports := make([]Port, len(list))
	for i, s := range list {
		if ports[i], err = parsePort(s); err != nil {
			return nil, newParseError(tool, out, err)
		}
	}
	return ports, nil
}

// parsePort reads a port as opened-ports prints it: "icmp", "N/proto"
// or "N-M/proto" (proto tcp or udp), numbers without leading zeros, a
// range's first below its last.
func parsePort(s string) (Port, error) {
	if s == "icmp" {
		return Port{Protocol: "icmp"}, nil
	}
	nums, proto, _ := strings.Cut(s, "/")
	from, to, isRange := strings.Cut(nums, "-")
	p := Port{Protocol: proto, Number: portNumber(from)}
	if isRange {
		p.To = portNumber(to)
	}
	if (proto != "tcp" && proto != "udp") || p.Number == 0 || isRange && p.To == 0 || p.check() != nil {
		return Port{}, fmt.Errorf("%s is not a port as Juju prints one", badchar.Quote(s))
	}
	return p, nil
}

// portNumber reads a port number as Juju prints it, or returns 0.
func portNumber(s string) int {
	if s == "" || len(s) > 5 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return 0
	}
	n, _ := strconv.Atoi(s)
	return n
}
