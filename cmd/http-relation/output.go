package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/charmkit/httprelation"
)

// formatJSON is the one output format, the one Juju's tools take as
// --format=json.
const formatJSON = "json"

// formatFlag declares --format on a command that prints. JSON is all it
// prints, so the flag only accepts what Juju's tools accept for it, so
// that a charm may write it as it does for them.
func formatFlag(fs *flag.FlagSet) {
	fs.Func("format", "output format, `json`: the only one (accepted as Juju's tools take it)", func(s string) error {
		if s != formatJSON {
			return errors.New(`want "json", the only format`)
		}
		return nil
	})
}

// serviceJSON is a service as the services command prints it: the
// library's [httprelation.Service] JSON, each host with its addresses
// ready to use.
type serviceJSON struct {
	Name  string     `json:"service_name"`
	Hosts []hostJSON `json:"hosts"`
}

// hostJSON is an [httprelation.Host] with Addr and PrivateAddr, as
// those methods write them, after the library's fields.
type hostJSON struct {
	Hostname       string `json:"hostname"`
	PrivateAddress string `json:"private-address"`
	Port           int    `json:"port"`
	// Addr is hostname:port, IPv6 bracketed: what clients are told.
	Addr string `json:"addr"`
	// PrivateAddr is private-address:port: what a proxy connects to.
	PrivateAddr string `json:"private-addr"`
}

// servicesJSON converts services to the command's output; never nil, so
// that no services prints "[]".
func servicesJSON(services []httprelation.Service) []serviceJSON {
	out := make([]serviceJSON, 0, len(services))
	for _, s := range services {
		hosts := make([]hostJSON, 0, len(s.Hosts))
		for _, h := range s.Hosts {
			hosts = append(hosts, hostJSON{
				Hostname:       h.Hostname,
				PrivateAddress: h.PrivateAddress,
				Port:           h.Port,
				Addr:           h.Addr(),
				PrivateAddr:    h.PrivateAddr(),
			})
		}
		out = append(out, serviceJSON{Name: s.Name, Hosts: hosts})
	}
	return out
}

// printJSON writes v as one line of JSON.
func (c *cli) printJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if _, err := c.stdout.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
