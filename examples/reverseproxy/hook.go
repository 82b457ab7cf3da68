package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
)

const (
	endpoint = "reverseproxy"
	// changeKey names the change detector of what the file was rendered
	// from.
	changeKey = "reverseproxy.config"
)

// Defaults mirror config.yaml, for a config-get that omits an option.
const (
	defaultFrontendPort = 80
	defaultBindAddress  = "0.0.0.0"
	defaultConfigPath   = "/etc/haproxy/haproxy.cfg"
)

// errBadConfig marks a config option the operator must fix.
var errBadConfig = errors.New("invalid config")

// settings are the charm's validated options.
type settings struct {
	frontend frontend
	path     string
}

// renderInput is everything the configuration file is rendered from: when
// it has not changed since the last successful hook, neither has the file.
type renderInput struct {
	Services []httprelation.Service `json:"services"`
	Frontend frontend               `json:"frontend"`
	Path     string                 `json:"path"`
}

// charm is everything a hook of this charm works with: the unit (its
// relations, its flag store, its charm directory, its log) and what lies
// beyond the relations: the hook tools for config and status, and the
// machine (haproxy, systemd, apt). main fills it with the real ones
// (newCharm); tests with an in-memory model (httprelationtest) or a
// simulated one.
type charm struct {
	httprelation.Unit
	tools   hooktools.Runner
	machine machine
}

// newCharm wires a hook to the real hook tools and machine.
func newCharm(env hooktools.Env) (charm, error) {
	unit, err := hooktools.NewUnit(hooktools.WithEnv(env))
	if err != nil {
		return charm{}, err
	}
	return charm{Unit: unit, tools: hooktools.ExecRunner{}, machine: detectMachine(unit.Logger)}, nil
}

// hook is the hook's work: what to do is in the unit's hook context.
func hook(ctx context.Context, c charm) error {
	hc, err := c.Accessor.HookContext(ctx)
	if err != nil {
		return err
	}
	switch hc.HookName {
	case "install":
		return c.machine.installHAProxy(ctx)
	case "upgrade-charm":
		// A new charm may render differently from the same input.
		return c.reconcile(ctx, true)
	case "config-changed",
		endpoint + "-relation-joined", endpoint + "-relation-changed",
		endpoint + "-relation-departed", endpoint + "-relation-broken":
		return c.reconcile(ctx, false)
	}
	return nil
}

// reconcile renders haproxy's configuration from the services behind the
// relation, when they or the options changed since the last successful
// hook, or always when force is set.
func (c charm) reconcile(ctx context.Context, force bool) error {
	cfg, err := c.settings(ctx)
	if err != nil {
		return err
	}
	proxy, err := c.OpenRequires(endpoint)
	if err != nil {
		return err
	}
	services, err := proxy.Services(ctx)
	if err != nil {
		return err
	}
	reg, err := httprelation.NewRegistry(ctx, c.Store)
	if err != nil {
		return err
	}
	changed, err := reg.Changed(changeKey, renderInput{Services: services, Frontend: cfg.frontend, Path: cfg.path})
	if err != nil || !(changed || force) {
		return err
	}
	text, skipped, err := renderHAProxy(services, cfg.frontend)
	if err != nil {
		return err
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	for _, e := range skipped {
		log.LogAttrs(ctx, slog.LevelWarn, "reverseproxy: left out of the haproxy configuration", slog.Any("error", e))
	}
	if err := c.machine.installConfig(ctx, cfg.path, text); err != nil {
		return err
	}
	// The rule of Requires.UpdateFlags, without reading the relations
	// a second time.
	if flag := httprelation.AvailableFlag(endpoint); len(services) > 0 {
		err = reg.Set(flag)
	} else {
		err = reg.Clear(flag)
	}
	if err != nil {
		return err
	}
	if err := c.status(ctx, services); err != nil {
		return err
	}
	// Only now: a hook that failed earlier must see the change again.
	return reg.Save(ctx)
}

// status reports the backends in the unit's workload status.
func (c charm) status(ctx context.Context, services []httprelation.Service) error {
	args := []string{"waiting", "no backends"}
	if len(services) > 0 {
		hosts := 0
		for _, svc := range services {
			hosts += len(svc.Hosts)
		}
		args = []string{"active", fmt.Sprintf("%d services, %d hosts", len(services), hosts)}
	}
	if _, err := c.tools.Run(ctx, "status-set", args, nil); err != nil {
		return fmt.Errorf("set status: %w", err)
	}
	return nil
}

// settings reads and validates the charm's options with one config-get.
func (c charm) settings(ctx context.Context) (settings, error) {
	out, err := c.tools.Run(ctx, "config-get", []string{"--format=json"}, nil)
	if err != nil {
		return settings{}, fmt.Errorf("read config: %w", err)
	}
	return parseSettings(out)
}

// parseSettings decodes config-get's JSON map. A missing or null option
// takes its config.yaml default; a wrong type or value is an error rather
// than a guess.
func parseSettings(out []byte) (settings, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var opts map[string]any
	if err := dec.Decode(&opts); err != nil {
		return settings{}, fmt.Errorf("read config: config-get printed %s: %w", quote(string(out)), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return settings{}, fmt.Errorf("read config: config-get printed %s: trailing data", quote(string(out)))
	}
	s := settings{frontend: frontend{Bind: defaultBindAddress, Port: defaultFrontendPort}, path: defaultConfigPath}
	if v, ok := opts["frontend-port"]; ok && v != nil {
		num, ok := v.(json.Number)
		port, err := strconv.Atoi(string(num))
		if !ok || err != nil {
			return settings{}, fmt.Errorf("%w: frontend-port must be an integer, got %s", errBadConfig, quote(fmt.Sprint(v)))
		}
		if err := httprelation.CheckPort(port); err != nil {
			return settings{}, fmt.Errorf("%w: frontend-port %d: %w", errBadConfig, port, err)
		}
		s.frontend.Port = port
	}
	if v, ok := opts["bind-address"]; ok && v != nil {
		str, _ := v.(string)
		addr, err := netip.ParseAddr(str)
		if err != nil || addr.Zone() != "" {
			return settings{}, fmt.Errorf("%w: bind-address must be an IP address, got %s", errBadConfig, quote(fmt.Sprint(v)))
		}
		s.frontend.Bind = addr.String()
	}
	if v, ok := opts["haproxy-config"]; ok && v != nil {
		str, _ := v.(string)
		if !filepath.IsAbs(str) || filepath.Clean(str) != str || str == "/" ||
			strings.ContainsFunc(str, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return settings{}, fmt.Errorf("%w: haproxy-config must be a clean absolute file path, got %s", errBadConfig, quote(fmt.Sprint(v)))
		}
		s.path = str
	}
	return s, nil
}
