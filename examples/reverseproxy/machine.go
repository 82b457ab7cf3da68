package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmkit/httprelation/hooktools"
)

const (
	// systemdRunDir exists only while systemd is PID 1: sd_booted(3).
	// systemctl alone on PATH proves nothing in a container.
	systemdRunDir = "/run/systemd/system"

	// checkTimeout bounds "haproxy -c": it reads a file and resolves
	// nothing (see configHeader), which takes well under a second even
	// for thousands of servers.
	checkTimeout = 30 * time.Second
	// reloadTimeout bounds "systemctl reload-or-restart": systemd runs
	// the unit's own "haproxy -c" and signals haproxy, or starts it.
	reloadTimeout = 60 * time.Second
)

// errConfigRejected reports a rendered file that haproxy -c refused.
var errConfigRejected = errors.New("haproxy rejected the new configuration")

// programEnv is the environment of every program the charm runs: its own,
// and apt-get must never wait for a question nobody will answer.
func programEnv() []string {
	return append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
}

// machine is what the charm touches outside Juju: the haproxy binary,
// systemd and apt. A false field means the program is not there, as in the
// demo, where the caller runs haproxy itself.
//
// Programs are run by name through run, a hooktools.ExecRunner on a real
// machine: never through a shell, each in a process group of its own that
// is killed whole when its deadline passes, so that nothing it started
// (a hung resolver, a password agent) holds the hook.
type machine struct {
	haproxy   bool // haproxy is on PATH, for haproxy -c
	systemctl bool // set only when systemd is running
	aptGet    bool // set only when systemd is running: a real machine
	run       hooktools.Runner
	log       *slog.Logger
	// checkTimeout and reloadTimeout replace the constants of the same
	// names when set, for tests.
	checkTimeout, reloadTimeout time.Duration
}

// detectMachine looks the programs up on PATH.
func detectMachine(log *slog.Logger) machine {
	m := machine{run: hooktools.ExecRunner{Env: programEnv()}, log: log}
	m.haproxy = onPath("haproxy")
	if info, err := os.Stat(systemdRunDir); err == nil && info.IsDir() {
		m.systemctl = onPath("systemctl")
		m.aptGet = onPath("apt-get")
	}
	return m
}

func onPath(program string) bool {
	_, err := exec.LookPath(program)
	return err == nil
}

// installHAProxy installs haproxy from the archive on a real machine that
// lacks it; anywhere else it only says what is missing. apt-get runs
// without a deadline of its own: killing dpkg half way would leave the
// machine worse than a slow mirror does, and Juju's SIGTERM still ends it.
func (m *machine) installHAProxy(ctx context.Context) error {
	if m.haproxy {
		return nil
	}
	if !m.aptGet || !m.systemctl {
		m.log.InfoContext(ctx, "haproxy is not on PATH and this machine is not managed by systemd: not installing it")
		return nil
	}
	for _, args := range [][]string{{"update"}, {"install", "-y", "haproxy"}} {
		if _, err := m.run.Run(ctx, "apt-get", args, nil); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	if !onPath("haproxy") {
		return errors.New("haproxy installed but not found on PATH")
	}
	m.haproxy = true
	return nil
}

// installConfig puts text in place at path: written to path+".new",
// checked with haproxy -c when haproxy is installed, renamed over path,
// then haproxy reloaded when systemd runs it. A rejected file stays at
// path+".new" for inspection and the live file is untouched.
//
// The check ends within checkTimeout and the reload within reloadTimeout
// (each plus the runner's second of grace for output pipes), whatever
// the relation data: past its deadline a program is killed with its
// process group and the hook fails, so that Juju retries it.
func (m *machine) installConfig(ctx context.Context, path, text string) error {
	next := path + ".new"
	if err := writeFileSync(next, []byte(text)); err != nil {
		return err
	}
	if !m.haproxy {
		m.log.WarnContext(ctx, "haproxy is not on PATH: installing "+path+" unchecked")
	} else if err := m.runWithin(ctx, m.checkTimeout, checkTimeout, "haproxy", "-c", "-f", next); err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("check %s: %w", next, err) // not a verdict on the file
		}
		return fmt.Errorf("%w: %w", errConfigRejected, err)
	}
	if err := os.Rename(next, path); err != nil {
		return fmt.Errorf("install %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if !m.systemctl {
		m.log.InfoContext(ctx, "no service manager: wrote "+path+"; reloading haproxy is left to whoever runs it")
		return nil
	}
	// reload-or-restart also starts an haproxy that is not running yet.
	if err := m.runWithin(ctx, m.reloadTimeout, reloadTimeout, "systemctl", "reload-or-restart", "haproxy.service"); err != nil {
		return fmt.Errorf("reload haproxy: %w", err)
	}
	return nil
}

// runWithin runs program with a deadline: limit, or def when limit is
// zero. The error names the deadline when it is what ended the program.
func (m *machine) runWithin(ctx context.Context, limit, def time.Duration, program string, args ...string) error {
	if limit <= 0 {
		limit = def
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	_, err := m.run.Run(ctx, program, args, nil)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: no answer within %v, killed: %w", program, strings.Join(args, " "), limit, err)
	}
	return err
}

// writeFileSync writes data to path with mode 0644 whatever the umask,
// and flushes it to disk before the rename that publishes it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
