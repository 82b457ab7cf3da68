package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
)

const (
	endpoint = "website"
	// defaultPort mirrors config.yaml, for a config-get that answers null.
	defaultPort = 8080
)

// errBadConfig marks a config option the operator must fix.
var errBadConfig = errors.New("invalid config")

// charm is everything a hook of this charm works with: the unit (its
// relations, its flag store, its charm directory, its log) and what lies
// beyond the relations: the hook tools for config and status, and the
// service manager. main fills it with the real ones (newCharm); tests
// with an in-memory model (httprelationtest) or a simulated one.
type charm struct {
	httprelation.Unit
	tools    hooktools.Runner
	services serviceManager
}

// newCharm wires a hook to the real hook tools and service manager.
func newCharm(env hooktools.Env) (charm, error) {
	unit, err := hooktools.NewUnit(hooktools.WithEnv(env))
	return charm{Unit: unit, tools: hooktools.ExecRunner{}, services: detectServiceManager()}, err
}

// hook is the hook's work: what to do is in the unit's hook context.
func hook(ctx context.Context, c charm) error {
	hc, err := c.Accessor.HookContext(ctx)
	if err != nil {
		return err
	}
	switch hc.HookName {
	case "install", "config-changed", "upgrade-charm",
		endpoint + "-relation-joined", endpoint + "-relation-changed":
		return c.configure(ctx, hc)
	case endpoint + "-relation-departed", endpoint + "-relation-broken":
		return c.updateFlags(ctx)
	}
	return nil
}

// configure makes the server and every relation agree with the port
// option.
func (c charm) configure(ctx context.Context, hc httprelation.HookContext) error {
	port, err := c.configPort(ctx)
	if err != nil {
		return err
	}
	if hc.HookName == "install" || hc.HookName == "config-changed" {
		if err := c.ensureService(ctx, port, hc.Unit); err != nil {
			return err
		}
	}
	website, err := c.OpenProvides(endpoint)
	if err != nil {
		return err
	}
	if err := website.Configure(ctx, port); err != nil {
		return err
	}
	if err := c.saveFlags(ctx, website); err != nil {
		return err
	}
	return c.status(ctx, "active", fmt.Sprintf("serving on :%d", port))
}

// updateFlags only refreshes website.available, for hooks where a remote
// unit leaves.
func (c charm) updateFlags(ctx context.Context) error {
	website, err := c.OpenProvides(endpoint)
	if err != nil {
		return err
	}
	return c.saveFlags(ctx, website)
}

func (c charm) saveFlags(ctx context.Context, website *httprelation.Provides) error {
	reg, err := httprelation.NewRegistry(ctx, c.Store)
	if err != nil {
		return err
	}
	if err := website.UpdateFlags(ctx, reg); err != nil {
		return err
	}
	return reg.Save(ctx)
}

// ensureService runs the server under systemd when the machine has it.
func (c charm) ensureService(ctx context.Context, port int, unit string) error {
	if !c.services.present() {
		c.log().InfoContext(ctx, "service manager absent (no running systemd): not installing "+serviceName+"; run 'website serve' yourself",
			"port", port)
		return nil
	}
	binary, err := filepath.Abs(filepath.Join(c.CharmDir, "bin", "website"))
	if err != nil {
		return fmt.Errorf("locate binary: %w", err)
	}
	if err := c.services.ensure(ctx, binary, port, unit); err != nil {
		return fmt.Errorf("install %s: %w", serviceName, err)
	}
	return nil
}

// log is the unit's logger, or slog's default when it has none.
func (c charm) log() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// configPort reads and validates the port option.
func (c charm) configPort(ctx context.Context) (int, error) {
	out, err := c.tools.Run(ctx, "config-get", []string{"--format=json", "port"}, nil)
	if err != nil {
		return 0, fmt.Errorf("read config: %w", err)
	}
	return parsePort(out)
}

// parsePort decodes config-get's JSON answer for an int option. Juju
// prints integers without a fraction; anything else is refused rather than
// rounded.
func parsePort(out []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, fmt.Errorf("read config: config-get printed %s: %w", quote(string(out)), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read config: config-get printed %s: trailing data", quote(string(out)))
	}
	if v == nil {
		return defaultPort, nil
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%w: port must be an integer, got %s", errBadConfig, quote(string(bytes.TrimSpace(out))))
	}
	port, err := strconv.Atoi(num.String())
	if err != nil {
		return 0, fmt.Errorf("%w: port must be an integer, got %s", errBadConfig, num)
	}
	if err := httprelation.CheckPort(port); err != nil {
		return 0, fmt.Errorf("%w: port %d: %w", errBadConfig, port, err)
	}
	return port, nil
}

// status sets the unit's workload status.
func (c charm) status(ctx context.Context, state, msg string) error {
	if _, err := c.tools.Run(ctx, "status-set", []string{state, msg}, nil); err != nil {
		return fmt.Errorf("set status: %w", err)
	}
	return nil
}

// quote renders an untrusted value for an error: Go-quoted, so that no
// control character reaches a log raw, and cut to 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return strconv.Quote(s)
}
