package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
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
// relations, its flag store, its charm directory, its log, and through
// hooktools.ToolsOf its config and status) and the machine (haproxy,
// systemd, apt). main fills it with the real ones (newCharm); tests with
// an in-memory model (httprelationtest) or a simulated one.
type charm struct {
	httprelation.Unit
	machine machine
}

// newCharm wires a hook to the real hook tools and machine.
func newCharm(env hooktools.Env) (charm, error) {
	unit, err := hooktools.NewUnit(hooktools.WithEnv(env))
	if err != nil {
		return charm{}, err
	}
	return charm{Unit: unit, machine: detectMachine(unit.Logger)}, nil
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
	tools := hooktools.ToolsOf(c.Unit)
	cfg, err := readSettings(ctx, tools)
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
	if err := tools.SetPorts(ctx, hooktools.Port{Number: cfg.frontend.Port}); err != nil { // what juju expose opens
		return err
	}
	// From the hook's one read of the relations, as Services was.
	if err := proxy.UpdateFlags(ctx, reg); err != nil {
		return err
	}
	if err := tools.SetStatus(ctx, backendStatus(services)); err != nil {
		return err
	}
	// Only now: a hook that failed earlier must see the change again.
	return reg.Save(ctx)
}

// backendStatus is the unit's workload status: the backends it serves.
func backendStatus(services []httprelation.Service) hooktools.WorkloadStatus {
	if len(services) == 0 {
		return hooktools.WorkloadStatus{Status: "waiting", Message: "no backends"}
	}
	hosts := 0
	for _, svc := range services {
		hosts += len(svc.Hosts)
	}
	return hooktools.WorkloadStatus{Status: "active", Message: fmt.Sprintf("%d services, %d hosts", len(services), hosts)}
}

// readSettings reads the charm's options, with config.yaml's defaults,
// and checks them: a value the operator must fix wraps
// hooktools.ErrInvalidConfig and names the option.
func readSettings(ctx context.Context, tools *hooktools.Tools) (settings, error) {
	cfg, err := tools.Config(ctx)
	if err != nil {
		return settings{}, fmt.Errorf("read config: %w", err)
	}
	port, err := cfg.Int("frontend-port")
	if err != nil {
		return settings{}, err
	}
	if err := httprelation.CheckPort(port); err != nil {
		return settings{}, fmt.Errorf("%w: option \"frontend-port\": %w", hooktools.ErrInvalidConfig, err)
	}
	bind, err := cfg.String("bind-address")
	if err != nil {
		return settings{}, err
	}
	addr, err := netip.ParseAddr(bind)
	if err != nil || addr.Zone() != "" {
		return settings{}, fmt.Errorf("%w: option \"bind-address\": want an IP address, got %s", hooktools.ErrInvalidConfig, quote(bind))
	}
	path, err := cfg.String("haproxy-config")
	if err != nil {
		return settings{}, err
	}
	if !filepath.IsAbs(path) || filepath.Clean(path) != path || path == "/" ||
		strings.ContainsFunc(path, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return settings{}, fmt.Errorf("%w: option \"haproxy-config\": want a clean absolute file path, got %s", hooktools.ErrInvalidConfig, quote(path))
	}
	return settings{frontend: frontend{Bind: addr.String(), Port: port}, path: path}, nil
}
