package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/charmkit/httprelation"
)

// unitNameRE matches Juju unit names. The name ends up in a response
// header and a systemd unit file, so nothing looser is accepted.
var unitNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*/[0-9]+$`)

// shutdownGrace bounds how long in-flight requests may take once the
// server is asked to stop; systemd's default stop timeout is 90s.
const shutdownGrace = 5 * time.Second

// serveMain parses the serve command line and runs the server until ctx
// ends.
func serveMain(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("website serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 0, "TCP port to listen on (1-65535)")
	unit := fs.String("unit", "", "Juju unit name to answer with, e.g. website/0")
	bind := fs.String("bind", "127.0.0.1", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := checkServeArgs(fs.Args(), *port, *unit, *bind); err != nil {
		fmt.Fprintf(stderr, "website serve: %v\n%s", err, usage)
		return exitUsage
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(stderr, "website serve: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stderr, "website: serving %s on %s\n", *unit, ln.Addr())
	if err := serve(ctx, ln, *unit); err != nil {
		fmt.Fprintf(stderr, "website serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func checkServeArgs(extra []string, port int, unit, bind string) error {
	if len(extra) > 0 {
		return fmt.Errorf("unexpected arguments %q", extra)
	}
	if err := httprelation.CheckPort(port); err != nil {
		return fmt.Errorf("--port: %w", err)
	}
	if !unitNameRE.MatchString(unit) {
		return fmt.Errorf("--unit %q is not a Juju unit name such as website/0", unit)
	}
	if err := httprelation.CheckAddress(bind); err != nil {
		return fmt.Errorf("--bind: %w", err)
	}
	return nil
}

// unitHandler answers every request with the unit's name, so that a client
// behind a load balancer sees which backend served it.
func unitHandler(unit string) http.Handler {
	body := []byte(unit + "\n")
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("X-Unit", unit)
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", length)
		_, _ = w.Write(body) // a client that went away is not our error
	})
}

// serve runs the HTTP server on ln until ctx ends, then shuts it down
// gracefully.
func serve(ctx context.Context, ln net.Listener, unit string) error {
	srv := &http.Server{
		Handler:           unitHandler(unit),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
