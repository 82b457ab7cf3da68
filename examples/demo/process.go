package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// startTimeout bounds how long a server may take to answer after start.
const startTimeout = 10 * time.Second

// process is a long-running child (a website server, haproxy) that the
// demo must stop on every path.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *headBuffer
	done chan struct{}
	err  error // set before done is closed
}

// startProcess starts path with args. Its lifetime is managed with stop,
// not with a context, so that cleanup can run after the run's context
// ended.
func startProcess(name, path string, args ...string) (*process, error) {
	cmd := exec.Command(path, args...)
	out := &headBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid is the child's process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exitError describes how the process ended and what it printed.
func (p *process) exitError() error {
	return fmt.Errorf("%s exited (%v): %s", p.name, p.err, p.out.String())
}

// stop kills the process if it still runs and waits for it.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// waitReady polls ready until it succeeds, the process exits or
// startTimeout passes.
func (p *process) waitReady(ctx context.Context, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v)", p.name, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// answersAs is a readiness check for a website server: it must answer as
// unit, which also proves that no other program holds its port.
func answersAs(url, unit string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := readyClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if got := resp.Header.Get(unitHeader); got != unit {
			return fmt.Errorf("%s answers as %q", url, got)
		}
		return nil
	}
}

// accepts is a readiness check for a listener.
func accepts(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// readyClient polls servers; no keep-alive, so that a poll never pins a
// connection to a process about to be replaced.
var readyClient = &http.Client{
	Timeout:   time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// freePort asks the kernel for a free loopback port. Another program may
// take it before the demo's child binds it; the readiness checks catch
// that.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}

// headBuffer keeps the first max bytes a child prints, for error
// messages; it is written from the exec package's copying goroutines.
type headBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// Write implements io.Writer.
func (b *headBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// String returns what was kept.
func (b *headBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// errNoHAProxy says how to get haproxy when -proxy haproxy cannot run.
var errNoHAProxy = errors.New("haproxy is not on PATH; install it with: apt-get update && apt-get install -y haproxy")
