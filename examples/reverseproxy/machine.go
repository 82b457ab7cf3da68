package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
)

const (
	// systemdRunDir exists only while systemd is PID 1: sd_booted(3).
	// systemctl alone on PATH proves nothing in a container.
	systemdRunDir = "/run/systemd/system"
	// maxToolOutput caps what an error quotes of haproxy's or systemctl's
	// output.
	maxToolOutput = 2048
)

// errConfigRejected reports a rendered file that haproxy -c refused.
var errConfigRejected = errors.New("haproxy rejected the new configuration")

// commandFunc runs a program with an argument list (never a shell) and
// returns its combined output.
type commandFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

func execCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	// apt-get must never wait for a question nobody will answer.
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.CombinedOutput()
}

// machine is what the charm touches outside Juju: the haproxy binary,
// systemd and apt. An empty path means the program is not there, as in the
// demo, where the caller runs haproxy itself.
type machine struct {
	haproxy   string // haproxy binary, used for haproxy -c
	systemctl string // set only when systemd is running
	aptGet    string // set only when systemd is running: a real machine
	run       commandFunc
	log       *slog.Logger
}

// detectMachine looks the programs up on PATH.
func detectMachine(log *slog.Logger) machine {
	m := machine{run: execCommand, log: log}
	m.haproxy, _ = exec.LookPath("haproxy")
	if info, err := os.Stat(systemdRunDir); err == nil && info.IsDir() {
		m.systemctl, _ = exec.LookPath("systemctl")
		m.aptGet, _ = exec.LookPath("apt-get")
	}
	return m
}

// installHAProxy installs haproxy from the archive on a real machine that
// lacks it; anywhere else it only says what is missing.
func (m *machine) installHAProxy(ctx context.Context) error {
	if m.haproxy != "" {
		return nil
	}
	if m.aptGet == "" || m.systemctl == "" {
		m.log.InfoContext(ctx, "haproxy is not on PATH and this machine is not managed by systemd: not installing it")
		return nil
	}
	for _, args := range [][]string{{"update"}, {"install", "-y", "haproxy"}} {
		if out, err := m.run(ctx, m.aptGet, args...); err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", args[0], err, tail(out))
		}
	}
	path, err := exec.LookPath("haproxy")
	if err != nil {
		return fmt.Errorf("haproxy installed but not found on PATH: %w", err)
	}
	m.haproxy = path
	return nil
}

// installConfig puts text in place at path: written to path+".new",
// checked with haproxy -c when haproxy is installed, renamed over path,
// then haproxy reloaded when systemd runs it. A rejected file stays at
// path+".new" for inspection and the live file is untouched.
func (m *machine) installConfig(ctx context.Context, path, text string) error {
	next := path + ".new"
	if err := writeFileSync(next, []byte(text)); err != nil {
		return err
	}
	if m.haproxy == "" {
		m.log.WarnContext(ctx, "haproxy is not on PATH: installing "+path+" unchecked")
	} else if out, err := m.run(ctx, m.haproxy, "-c", "-f", next); err != nil {
		return fmt.Errorf("%w: haproxy -c -f %s: %w: %s", errConfigRejected, next, err, tail(out))
	}
	if err := os.Rename(next, path); err != nil {
		return fmt.Errorf("install %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if m.systemctl == "" {
		m.log.InfoContext(ctx, "no service manager: wrote "+path+"; reloading haproxy is left to whoever runs it")
		return nil
	}
	// reload-or-restart also starts an haproxy that is not running yet.
	if out, err := m.run(ctx, m.systemctl, "reload-or-restart", "haproxy.service"); err != nil {
		return fmt.Errorf("reload haproxy: %w: %s", err, tail(out))
	}
	return nil
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

// tail keeps the end of a tool's output, where the reason usually is.
func tail(out []byte) []byte {
	out = bytes.TrimSpace(out)
	if len(out) > maxToolOutput {
		out = append([]byte("..."), out[len(out)-maxToolOutput:]...)
	}
	return out
}
