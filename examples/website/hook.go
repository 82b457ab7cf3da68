package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
)

const endpoint = "website"

// charm is everything a hook of this charm works with: the unit (its
// relations, its flag store, its charm directory, its log, and through
// hooktools.ToolsOf its config and status) and the service manager. main
// fills it with the real ones (newCharm); tests with an in-memory model
// (httprelationtest) or a simulated one.
type charm struct {
	httprelation.Unit
	services serviceManager
}

// newCharm wires a hook to the real hook tools and service manager.
func newCharm(env hooktools.Env) (charm, error) {
	unit, err := hooktools.NewUnit(hooktools.WithEnv(env))
	return charm{Unit: unit, services: detectServiceManager()}, err
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
	tools := hooktools.ToolsOf(c.Unit)
	port, err := configPort(ctx, tools)
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
	if err := tools.SetPorts(ctx, hooktools.Port{Number: port}); err != nil { // what juju expose opens
		return err
	}
	if err := c.saveFlags(ctx, website); err != nil {
		return err
	}
	return tools.SetStatus(ctx, hooktools.WorkloadStatus{Status: "active", Message: fmt.Sprintf("serving on :%d", port)})
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

// configPort reads the port option, one the server can listen on. Its
// default is config.yaml's; a value the operator must fix wraps
// hooktools.ErrInvalidConfig.
func configPort(ctx context.Context, tools *hooktools.Tools) (int, error) {
	cfg, err := tools.Config(ctx)
	if err != nil {
		return 0, fmt.Errorf("read config: %w", err)
	}
	port, err := cfg.Int("port")
	if err != nil {
		return 0, err
	}
	if err := httprelation.CheckPort(port); err != nil {
		return 0, fmt.Errorf("%w: option \"port\": %w", hooktools.ErrInvalidConfig, err)
	}
	return port, nil
}
