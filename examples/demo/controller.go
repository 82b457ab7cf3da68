package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/toolsim"
)

// The deployment the demo plays: application web (the website charm)
// related to application proxy (the reverseproxy charm).
const (
	webApp    = "web"
	proxyName = "proxy/0"
	webUnits  = 3
	// departing is the unit removed half-way through.
	departing = "web/1"
	// hostileUnit is the extra unit with hostile relation data; it
	// belongs to web so that it lands in the very service it attacks.
	hostileUnit = "web/3"

	websiteEndpoint = "website"
	proxyEndpoint   = "reverseproxy"
	// Each side names the one relation with its own endpoint.
	websiteRel = websiteEndpoint + ":1"
	proxyRel   = proxyEndpoint + ":1"
)

// controller does what the Juju controller would: it keeps each unit's
// model, moves relation data from one side to the other and fires the
// hooks that follow, in Juju's order.
type controller struct {
	log     io.Writer
	verbose bool
	proxy   *unit
	web     map[string]*unit
}

// hook runs one hook of u with the controller's logging settings.
func (c *controller) hook(ctx context.Context, u *unit, hook string, rel map[string]string) error {
	return u.runHook(ctx, c.log, c.verbose, hook, rel)
}

// deployProxy deploys the proxy unit already related to application web,
// which has no units yet: the proxy's relation lists nobody.
func deployProxy(name, bin, simBin, hostBin, srcCharm, dir string, config map[string]any) (*unit, error) {
	m := unitModel(name, config, proxyEndpoint)
	m.Relations[proxyRel] = toolsim.Relation{
		RemoteApp:      webApp,
		RemoteEndpoint: websiteEndpoint,
		Local:          jujuBag(),
		Units:          map[string]map[string]string{},
	}
	return newUnit(name, bin, simBin, hostBin, srcCharm, dir, m)
}

// addWebUnit brings up one website unit as `juju add-unit web` would once
// web is related to proxy: install and config-changed, then the unit
// enters the relation and gets website-relation-joined and -changed. After
// each hook the controller hands the unit's bag to the proxy.
func (c *controller) addWebUnit(ctx context.Context, w *unit) error {
	c.web[w.name] = w
	for _, hook := range []string{"install", "config-changed"} {
		if err := c.hook(ctx, w, hook, nil); err != nil {
			return err
		}
		if err := c.syncToProxy(ctx, w); err != nil {
			return err
		}
	}
	proxyBag, err := c.proxy.localBag(proxyRel)
	if err != nil {
		return err
	}
	err = w.updateModel(func(m *toolsim.Model) {
		m.Relations[websiteRel] = toolsim.Relation{
			RemoteApp:      appOf(c.proxy.name),
			RemoteEndpoint: proxyEndpoint,
			Local:          jujuBag(),
			Units:          map[string]map[string]string{c.proxy.name: proxyBag},
		}
	})
	if err != nil {
		return err
	}
	for _, hook := range []string{"website-relation-joined", "website-relation-changed"} {
		if err := c.hook(ctx, w, hook, relationEnv(websiteRel, c.proxy.name, "")); err != nil {
			return err
		}
		if err := c.syncToProxy(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// syncToProxy copies w's bag into the proxy's model. A unit new to the
// proxy gets reverseproxy-relation-joined then -changed there; a known one
// gets -changed only when its bag really changed, since Juju fires
// relation-changed on data changes, never on the writer's side.
func (c *controller) syncToProxy(ctx context.Context, w *unit) error {
	wm, err := w.sim.Model()
	if err != nil {
		return err
	}
	rel, related := wm.Relations[websiteRel]
	if !related {
		return nil
	}
	return c.offerToProxy(ctx, w.name, rel.Local)
}

// offerToProxy makes bag the proxy's view of remote unit name and fires
// the hooks Juju would fire for it.
func (c *controller) offerToProxy(ctx context.Context, name string, bag map[string]string) error {
	var joined, changed bool
	err := c.proxy.updateModel(func(m *toolsim.Model) {
		rel := m.Relations[proxyRel]
		old, known := rel.Units[name]
		joined, changed = !known, !maps.Equal(old, bag)
		rel.Units[name] = maps.Clone(bag)
		m.Relations[proxyRel] = rel
	})
	if err != nil {
		return err
	}
	env := relationEnv(proxyRel, name, "")
	if joined {
		if err := c.hook(ctx, c.proxy, "reverseproxy-relation-joined", env); err != nil {
			return err
		}
	}
	if joined || changed {
		return c.hook(ctx, c.proxy, "reverseproxy-relation-changed", env)
	}
	return nil
}

// removeWebUnit is `juju remove-unit`: the proxy gets
// reverseproxy-relation-departed for the unit, whose data stays readable
// during that hook, and then the unit leaves the proxy's model.
func (c *controller) removeWebUnit(ctx context.Context, name string) error {
	err := c.hook(ctx, c.proxy, "reverseproxy-relation-departed", relationEnv(proxyRel, name, name))
	if err != nil {
		return err
	}
	delete(c.web, name)
	return c.proxy.updateModel(func(m *toolsim.Model) {
		delete(m.Relations[proxyRel].Units, name)
	})
}

// services reads what the proxy unit sees, as `juju exec --unit proxy/0`
// would: the same hook tools, no hook running. Warnings about remote data
// the library skipped go to the log.
func (c *controller) services(ctx context.Context) ([]httprelation.Service, error) {
	env := c.proxy.baseEnv()
	c.proxy.sim.SetHookEnv(env)
	unit, err := hooktools.NewUnit(
		hooktools.WithRunner(hooktools.ExecRunner{Env: c.proxy.sim.Environ()}),
		hooktools.WithEnv(hooktools.EnvFrom(func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		})),
	)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(c.log, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	services, err := httprelation.NewRequires(unit.Accessor, proxyEndpoint, httprelation.WithLogger(logger)).Services(ctx)
	if err != nil {
		return nil, fmt.Errorf("read services of %s: %w", c.proxy.name, err)
	}
	return services, nil
}

// renderedConfig reads the haproxy configuration the proxy charm wrote.
func renderedConfig(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the reverseproxy charm rendered no configuration: %w", err)
	}
	return string(data), nil
}
