package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
)

const (
	serviceName = "website.service"
	// systemdUnitDir is where administrators' and charms' units live.
	systemdUnitDir = "/etc/systemd/system"
	// systemdRunDir exists only while systemd is PID 1: sd_booted(3).
	// systemctl alone on PATH proves nothing in a container.
	systemdRunDir = "/run/systemd/system"
)

// safePathRE is what a binary path may hold to appear unquoted on an
// ExecStart line: no whitespace, quotes, backslashes or '%' (systemd
// specifiers). Juju's charm directories always match.
var safePathRE = regexp.MustCompile(`^/[A-Za-z0-9/._+@-]*$`)

// commandFunc runs a program with an argument list (never a shell) and
// returns its combined output.
type commandFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

// execCommand is the commandFunc of real hooks.
func execCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// serviceManager runs the web server as a systemd service. Its zero value
// stands for a machine without systemd, such as the demo's simulator.
type serviceManager struct {
	systemctl string // path of systemctl; "" when systemd is absent
	unitDir   string
	run       commandFunc
}

// detectServiceManager returns the manager of this machine: systemd when
// systemctl is on PATH and systemd is running, else the zero value.
func detectServiceManager() serviceManager {
	path, err := exec.LookPath("systemctl")
	if err != nil {
		return serviceManager{}
	}
	if info, err := os.Stat(systemdRunDir); err != nil || !info.IsDir() {
		return serviceManager{}
	}
	return serviceManager{systemctl: path, unitDir: systemdUnitDir, run: execCommand}
}

// present reports whether there is a service manager to use.
func (m serviceManager) present() bool { return m.systemctl != "" }

// ensure installs the unit for binary serving port as unit, and restarts
// it so that a new port takes effect.
func (m serviceManager) ensure(ctx context.Context, binary string, port int, unit string) error {
	content, err := unitFile(binary, port, unit)
	if err != nil {
		return err
	}
	changed, err := writeIfChanged(filepath.Join(m.unitDir, serviceName), content)
	if err != nil {
		return err
	}
	steps := [][]string{{"enable", serviceName}, {"restart", serviceName}}
	if changed {
		steps = append([][]string{{"daemon-reload"}}, steps...)
	}
	for _, args := range steps {
		if out, err := m.run(ctx, m.systemctl, args...); err != nil {
			return fmt.Errorf("systemctl %s: %w: %s", args[0], err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// unitFile renders the systemd unit. The server runs as root, as Juju's
// charm directory may not be readable by anyone else, but with every
// capability dropped except binding low ports and with the file system
// read-only.
func unitFile(binary string, port int, unit string) ([]byte, error) {
	if !safePathRE.MatchString(binary) {
		return nil, fmt.Errorf("binary path %q cannot go on an ExecStart line", binary)
	}
	if !unitNameRE.MatchString(unit) {
		return nil, fmt.Errorf("unit name %q is not a Juju unit name", unit)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `[Unit]
Description=website charm web server of %[3]s
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=%[1]s serve --port %[2]s --unit %[3]s --bind 0.0.0.0
Restart=on-failure
NoNewPrivileges=yes
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`, binary, strconv.Itoa(port), unit)
	return b.Bytes(), nil
}

// writeIfChanged replaces path with content atomically unless it already
// holds exactly that, and reports whether it wrote.
func writeIfChanged(path string, content []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, content) {
		return false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(content)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}
