package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/charmkit/httprelation"
)

// frontend is the reverse proxy the demo sends its requests through.
type frontend interface {
	// addr is host:port of the proxy's listener.
	addr() string
	// apply makes the proxy route to the current services.
	apply(ctx context.Context, services []httprelation.Service) error
	// close stops the proxy; it is safe to call more than once.
	close()
}

// embeddedProxy is a reverse proxy in Go that balances round robin over
// every host of every service, built straight from Requires.Services. It
// connects where the reverseproxy charm's haproxy does: to each host's
// private address and port.
type embeddedProxy struct {
	srv       *http.Server
	listen    string
	transport *http.Transport

	mu       sync.Mutex
	backends []*httputil.ReverseProxy
	next     int
}

// startEmbedded starts the embedded proxy on a free loopback port with no
// backend yet: until apply, it answers 503.
func startEmbedded() (*embeddedProxy, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return nil, fmt.Errorf("embedded proxy: %w", err)
	}
	p := &embeddedProxy{listen: ln.Addr().String(), transport: &http.Transport{}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *embeddedProxy) addr() string { return p.listen }

// apply replaces the backends; requests already being proxied finish on
// the old ones.
func (p *embeddedProxy) apply(_ context.Context, services []httprelation.Service) error {
	var backends []*httputil.ReverseProxy
	for _, svc := range services {
		for _, h := range svc.Hosts {
			target := &url.URL{Scheme: "http", Host: h.PrivateAddr()}
			backends = append(backends, &httputil.ReverseProxy{
				Rewrite: func(pr *httputil.ProxyRequest) {
					pr.SetURL(target)
					pr.SetXForwarded()
				},
				Transport: p.transport,
			})
		}
	}
	p.mu.Lock()
	p.backends, p.next = backends, 0
	p.mu.Unlock()
	// Pooled connections to removed hosts must not outlive them.
	p.transport.CloseIdleConnections()
	return nil
}

// ServeHTTP hands the request to the next backend in turn.
func (p *embeddedProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var b *httputil.ReverseProxy
	if len(p.backends) > 0 {
		b = p.backends[p.next%len(p.backends)]
		p.next++
	}
	p.mu.Unlock()
	if b == nil {
		http.Error(w, "no backend available", http.StatusServiceUnavailable)
		return
	}
	b.ServeHTTP(w, r)
}

func (p *embeddedProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	p.transport.CloseIdleConnections()
}

// haproxyFrontend runs haproxy on the configuration the reverseproxy charm
// rendered. The demo is the service manager here, so it also does the
// reload that systemd would do on a real machine.
type haproxyFrontend struct {
	cfgPath string
	listen  string
	log     io.Writer
	proc    *process
}

func (h *haproxyFrontend) addr() string { return h.listen }

// apply starts haproxy, or replaces the running one: the new process takes
// over the listener and "-sf" tells the old one to finish its connections
// and exit. The services are not used: haproxy routes by the file, which
// the charm rendered from the same Services.
func (h *haproxyFrontend) apply(ctx context.Context, _ []httprelation.Service) error {
	if _, err := renderedConfig(h.cfgPath); err != nil {
		return err
	}
	args := []string{"-f", h.cfgPath, "-db"}
	old := h.proc
	if old != nil {
		args = append(args, "-sf", strconv.Itoa(old.pid()))
	}
	p, err := startProcess("haproxy", "haproxy", args...)
	if err != nil {
		return err
	}
	if old != nil {
		if err := waitTakeover(ctx, old, p); err != nil {
			p.stop()
			return err
		}
		fmt.Fprintf(h.log, "  haproxy reloaded: pid %d replaced pid %d\n", p.pid(), old.pid())
	}
	if err := p.waitReady(ctx, accepts(h.listen)); err != nil {
		p.stop()
		return err
	}
	h.proc = p
	if old == nil {
		fmt.Fprintf(h.log, "  haproxy pid %d listening on %s\n", p.pid(), h.listen)
	}
	return nil
}

// waitTakeover waits until the old haproxy has exited after its soft stop,
// so that no request can still reach its stale configuration; a new
// process that dies first failed to load the configuration.
func waitTakeover(ctx context.Context, old, next *process) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	select {
	case <-old.done:
		return nil
	case <-next.done:
		return next.exitError()
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("old haproxy pid %d did not stop", old.pid()), ctx.Err())
	}
}

func (h *haproxyFrontend) close() {
	if h.proc != nil {
		h.proc.stop()
	}
}
