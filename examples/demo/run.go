package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// runTimeout bounds everything after compilation; the demo takes a few
// seconds, so reaching it means something hangs.
const runTimeout = 2 * time.Minute

// hostileHostname tries to smuggle a server line into the proxy
// configuration; %d is the port of the hostile unit's own server, so that
// a proxy fooled by it would visibly send traffic there.
const hostileHostname = "127.0.0.1\n    server smuggled 127.0.0.1:%d"

// demo is one run: the binaries, the units, their servers and the proxy,
// everything close must undo.
type demo struct {
	cfg     config
	stdout  io.Writer
	stderr  io.Writer
	root    string
	binDir  string
	workDir string

	ctl      *controller
	servers  map[string]*process
	ports    map[string]int
	haCfg    string
	front    frontend
	started  time.Time
	gone     []string
	liveWebs []string
}

// run is the whole demo; main only parses flags and maps the error to the
// exit status, so that tests can call run directly.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer) (err error) {
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.proxy == proxyHAProxy {
		if _, err := exec.LookPath("haproxy"); err != nil {
			return errNoHAProxy
		}
	}
	d := &demo{cfg: cfg, stdout: stdout, stderr: stderr, servers: map[string]*process{}, ports: map[string]int{}}
	defer d.close()
	if err := d.prepare(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	d.started = time.Now()
	if err := d.deploy(ctx); err != nil {
		return err
	}
	if err := d.route(ctx); err != nil {
		return err
	}
	if err := d.round(ctx, 1); err != nil {
		return err
	}
	if err := d.depart(ctx); err != nil {
		return err
	}
	if err := d.round(ctx, 2); err != nil {
		return err
	}
	d.progress("done in %s after compilation", time.Since(d.started).Round(time.Millisecond))
	return nil
}

// progress prints one progress line on stderr.
func (d *demo) progress(format string, args ...any) {
	fmt.Fprintf(d.stderr, "demo: "+format+"\n", args...)
}

// prepare finds the sources, makes the work directory and builds the
// binaries unless the caller brought them.
func (d *demo) prepare(ctx context.Context) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	d.root = root
	d.workDir = d.cfg.workDir
	if d.workDir == "" {
		if d.workDir, err = os.MkdirTemp("", "httprelation-demo-"); err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
	} else if err := emptyDir(d.workDir); err != nil {
		return err
	}
	d.binDir = d.cfg.binDir
	if d.binDir == "" {
		d.binDir = filepath.Join(d.workDir, "bin")
		d.progress("building %s", strings.Join(packages, " "))
		start := time.Now()
		if err := buildBinaries(ctx, root, d.binDir); err != nil {
			return err
		}
		d.progress("built in %s", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// emptyDir makes sure dir exists and is empty, so that nothing of an
// earlier run (a rendered configuration, a model) can pass for this one's.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("work directory %s is not empty", dir)
	}
	return nil
}

// close stops every process and removes the temporary work directory.
func (d *demo) close() {
	if d.front != nil {
		d.front.close()
	}
	for _, p := range d.servers {
		p.stop()
	}
	if d.cfg.workDir == "" && d.workDir != "" {
		_ = os.RemoveAll(d.workDir)
	}
}

// deploy starts the proxy unit and the website units, then the hostile
// unit when asked for, running every hook as Juju would.
func (d *demo) deploy(ctx context.Context) error {
	frontPort, err := freePort()
	if err != nil {
		return err
	}
	hostBin := filepath.Join(d.workDir, "hostbin")
	if err := hostPrograms(hostBin); err != nil {
		return err
	}
	proxyDir := filepath.Join(d.workDir, "units", "proxy-0")
	d.haCfg = filepath.Join(proxyDir, "haproxy.cfg")
	proxy, err := deployProxy(proxyName, d.bin(proxyBin), d.bin(simBin), hostBin,
		filepath.Join(d.root, "examples", "reverseproxy"), proxyDir,
		map[string]any{"haproxy-config": d.haCfg, "frontend-port": frontPort, "bind-address": loopback})
	if err != nil {
		return err
	}
	d.ctl = &controller{log: d.stderr, verbose: d.cfg.verbose, proxy: proxy, web: map[string]*unit{}}
	d.progress("deploying %s", proxyName)
	for _, hook := range []string{"install", "config-changed"} {
		if err := d.ctl.hook(ctx, proxy, hook, nil); err != nil {
			return err
		}
	}
	if d.cfg.proxy == proxyHAProxy {
		d.front = &haproxyFrontend{cfgPath: d.haCfg, listen: fmt.Sprintf("%s:%d", loopback, frontPort), log: d.stderr}
	}
	for i := range webUnits {
		name := fmt.Sprintf("%s/%d", webApp, i)
		if err := d.startServer(ctx, name); err != nil {
			return err
		}
		d.progress("deploying %s (serving on %s:%d)", name, loopback, d.ports[name])
		w, err := newUnit(name, d.bin(websiteBin), d.bin(simBin), hostBin,
			filepath.Join(d.root, "examples", "website"),
			filepath.Join(d.workDir, "units", strings.ReplaceAll(name, "/", "-")),
			unitModel(name, map[string]any{"port": d.ports[name]}, websiteEndpoint))
		if err != nil {
			return err
		}
		if err := d.ctl.addWebUnit(ctx, w); err != nil {
			return err
		}
		d.liveWebs = append(d.liveWebs, name)
	}
	if d.cfg.hostile {
		return d.addHostile(ctx)
	}
	return nil
}

// startServer starts the workload of a website unit on a free port; on a
// real machine the charm's systemd unit would. Another program may grab
// the port between freePort and the server's bind, so a server that does
// not come up is retried on a new port.
func (d *demo) startServer(ctx context.Context, name string) error {
	var errs []error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return err
		}
		p, err := startProcess(name+" server", d.bin(websiteBin), "serve",
			"--port", strconv.Itoa(port), "--unit", name, "--bind", loopback)
		if err != nil {
			return err
		}
		err = p.waitReady(ctx, answersAs(fmt.Sprintf("http://%s:%d/", loopback, port), name))
		if err == nil {
			d.servers[name] = p
			d.ports[name] = port
			return nil
		}
		p.stop()
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// addHostile runs a real server for the hostile unit, so that traffic
// reaching it would be counted, and gives the proxy a bag for it that
// tries to inject that server with a newline and offers port 0.
func (d *demo) addHostile(ctx context.Context) error {
	if err := d.startServer(ctx, hostileUnit); err != nil {
		return err
	}
	d.progress("adding hostile unit %s: newline in hostname, port 0", hostileUnit)
	bag := jujuBag()
	bag["hostname"] = fmt.Sprintf(hostileHostname, d.ports[hostileUnit])
	bag["port"] = "0"
	d.gone = append(d.gone, hostileUnit)
	return d.ctl.offerToProxy(ctx, hostileUnit, bag)
}

// route reads the services as the proxy unit sees them, prints them and
// points the proxy at them.
func (d *demo) route(ctx context.Context) error {
	services, err := d.ctl.services(ctx)
	if err != nil {
		return err
	}
	d.printServices(services)
	if err := d.checkServices(services); err != nil {
		return err
	}
	if d.front == nil {
		p, err := startEmbedded()
		if err != nil {
			return err
		}
		d.front = p
		d.progress("embedded Go reverse proxy listening on %s", p.addr())
	}
	if err := d.front.apply(ctx, services); err != nil {
		return err
	}
	if d.cfg.proxy == proxyHAProxy {
		return d.checkHAProxyConfig()
	}
	return nil
}

// round sends the requests and checks who answered.
func (d *demo) round(ctx context.Context, n int) error {
	d.progress("round %d: sending %d requests through %s proxy at %s", n, d.cfg.requests, d.cfg.proxy, d.front.addr())
	t := sendRequests(ctx, d.front.addr(), d.cfg.requests)
	all := slices.Concat(d.liveWebs, d.gone)
	fmt.Fprintf(d.stdout, "round %d: %s\n", n, t.line(all))
	if err := t.check(d.liveWebs, d.gone); err != nil {
		return fmt.Errorf("round %d: %w", n, err)
	}
	return nil
}

// depart removes one website unit. Its server keeps running until the
// demo ends: if the proxy still routed to it, it would answer and the
// check would catch it, rather than the request merely failing.
func (d *demo) depart(ctx context.Context) error {
	d.progress("removing %s", departing)
	if err := d.ctl.removeWebUnit(ctx, departing); err != nil {
		return err
	}
	d.liveWebs = slices.DeleteFunc(d.liveWebs, func(u string) bool { return u == departing })
	d.gone = append(d.gone, departing)
	fmt.Fprintf(d.stdout, "removed %s (its server still runs, so any request routed to it would show)\n", departing)
	services, err := d.ctl.services(ctx)
	if err != nil {
		return err
	}
	d.printServices(services)
	if err := d.checkServices(services); err != nil {
		return err
	}
	if err := d.front.apply(ctx, services); err != nil {
		return err
	}
	if d.cfg.proxy == proxyHAProxy {
		return d.checkHAProxyConfig()
	}
	return nil
}

// bin is the path of a built binary.
func (d *demo) bin(name string) string { return filepath.Join(d.binDir, name) }
