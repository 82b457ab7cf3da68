// Command demo runs the two example charms end to end on one machine, with
// the demo itself playing the Juju controller: three units of the website
// charm serve HTTP on loopback ports and publish them over the "http"
// relation, the reverseproxy charm's hooks see them join, and traffic flows
// through a reverse proxy built from what httprelation.Requires.Services
// reports. Then one website unit departs and the demo shows that no request
// reaches it any more.
//
//	go run ./examples/demo                 # embedded Go reverse proxy
//	go run ./examples/demo -proxy haproxy  # real haproxy, as the charm rendered it
//
// Every hook runs as a real process of the charm binary, with the hook tools
// answered by the simulator of package toolsim. Progress goes to stderr,
// results to stdout; the exit status is 0 only when every check passed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Proxy kinds accepted by -proxy.
const (
	proxyEmbedded = "embedded"
	proxyHAProxy  = "haproxy"
)

// config is what one run of the demo does.
type config struct {
	// proxy is proxyEmbedded or proxyHAProxy.
	proxy string
	// requests is how many requests each round sends through the proxy.
	requests int
	// hostile adds a unit whose relation data tries to inject a server
	// line into the proxy configuration; it must get no traffic.
	hostile bool
	// verbose copies the hooks' output and juju-log lines to stderr.
	verbose bool
	// binDir holds already built binaries (website, reverseproxy,
	// hook-tool-sim); empty means build them into the work directory.
	binDir string
	// workDir receives the units' models, charm dirs and the proxy
	// configuration and is kept afterwards; empty means a temporary
	// directory removed at exit.
	workDir string
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo failed: %v\n", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line; errors have already been printed to
// stderr with the usage.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.proxy, "proxy", proxyEmbedded, `reverse proxy: "embedded" (Go, in-process) or "haproxy" (needs haproxy on PATH)`)
	fs.IntVar(&cfg.requests, "n", 30, "requests sent through the proxy in each round")
	fs.BoolVar(&cfg.hostile, "hostile", false, "add a unit with hostile relation data (newline in hostname, port 0)")
	fs.BoolVar(&cfg.verbose, "v", false, "show the output and juju-log lines of every hook")
	fs.StringVar(&cfg.workDir, "keep", "", "keep models, charm dirs and proxy config in this `directory` instead of a temporary one")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %q", fs.Args())
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return config{}, err
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return config{}, err
	}
	return cfg, nil
}

// validate rejects settings the run could not honour, before anything
// is built or started.
func (c config) validate() error {
	if c.proxy != proxyEmbedded && c.proxy != proxyHAProxy {
		return fmt.Errorf("-proxy %q: want %q or %q", c.proxy, proxyEmbedded, proxyHAProxy)
	}
	if c.requests < webUnits || c.requests > 100000 {
		return fmt.Errorf("-n %d: want %d..100000, so that every unit can be reached", c.requests, webUnits)
	}
	return nil
}
