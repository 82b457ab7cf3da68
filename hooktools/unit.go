// Package hooktools connects the httprelation library to Juju 3's hook
// tools (relation-get, relation-set, state-get, juju-log, ...). One call
// wires the unit a hook works on:
//
//	unit, err := hooktools.NewUnit()
//	if err != nil {
//		return err // hooktools.ErrNotInHook outside Juju
//	}
//	proxy, err := unit.OpenRequires("reverseproxy")
//
// The unit's Accessor reads relations through the tools, caching what it
// read for the hook; its Store keeps flags in Juju's charm state; its
// Logger sends records to juju-log.
//
// What a charm needs besides its relations comes from the same unit,
// through ToolsOf: config typed and with config.yaml's defaults, status,
// ports, workload version, leadership and goal state.
//
//	tools := hooktools.ToolsOf(unit)
//	cfg, err := tools.Config(ctx)
//	...
//	port, err := cfg.Int("port") // errors.Is(err, hooktools.ErrInvalidConfig): the operator's to fix
//	...
//	err = tools.SetStatus(ctx, hooktools.WorkloadStatus{Status: "active", Message: "ready"})
//
// What a tool prints is read up to a cap (httprelation.MaxBagBytes for a
// bag, MaxListOutput for a listing, MaxOutput otherwise), and a tool that
// runs past the per-call deadline (WithTimeout) is killed with its process
// group and is not run again by the same Unit: one hung tool costs a hook
// one deadline.
//
// Tools run through a [Runner]: [ExecRunner] by default, [FromGoops] for
// the runner of a goops charm, or a simulator's (see WithRunner).
package hooktools

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/charmkit/httprelation"
)

// DefaultTimeout bounds one tool call unless WithTimeout says otherwise:
// a hung tool must not hang the hook until Juju kills it.
const DefaultTimeout = 30 * time.Second

// NewUnit returns the unit the running hook works on, wired to Juju's
// hook tools: an Accessor over the relation tools, a Store over the charm
// state (state-get, state-set, state-delete), the charm directory
// (JUJU_CHARM_DIR) and a Logger that sends records to juju-log. By default
// the tools are the programs on PATH and the hook is the one this
// process's environment describes; outside a hook (no JUJU_UNIT_NAME)
// NewUnit fails with ErrNotInHook before running any tool.
//
// Build a new Unit in every hook: what its Accessor read is kept for the
// hook.
func NewUnit(opts ...UnitOption) (httprelation.Unit, error) {
	c := newConfig(opts)
	env := c.hookEnv()
	if !env.inHook() {
		return httprelation.Unit{}, fmt.Errorf("%w: JUJU_UNIT_NAME is unset", ErrNotInHook)
	}
	c.env = &env
	// Built from one config, the tools of one unit share what stalled
	// (see stallSet).
	return httprelation.Unit{
		Accessor: c.accessor(),
		Store:    c.stateStore(),
		CharmDir: env.CharmDir,
		Logger:   slog.New(c.logHandler()),
	}, nil
}

type config struct {
	runner   Runner
	timeout  time.Duration
	env      *Env // nil: the process's own
	logLevel slog.Leveler
	stalls   *stallSet
}

// UnitOption configures NewUnit.
type UnitOption func(*config)

// WithRunner runs the tools through r instead of as programs on PATH: a
// goops runner (FromGoops), or a simulator's.
func WithRunner(r Runner) UnitOption {
	return func(c *config) {
		if r != nil {
			c.runner = r
		}
	}
}

// WithEnv sets the hook environment instead of reading the process's:
// the unit, the charm directory and the running hook.
func WithEnv(env Env) UnitOption {
	return func(c *config) { c.env = &env }
}

// WithTimeout sets the per-call deadline: every tool call is ended
// after d, or sooner when its context ends first (the earlier of the two
// wins); zero or less leaves calls to their contexts alone. A requirer's
// read of many bags ends at the first call to reach it. A tool that runs
// into it is not run again by the same Unit: its later calls in the hook
// fail at once with an error wrapping context.DeadlineExceeded, so that
// one hung tool costs a hook one deadline, not one per relation or per
// retry. A call that its own context ends does not count.
func WithTimeout(d time.Duration) UnitOption {
	return func(c *config) { c.timeout = d }
}

// WithLogLevel sets the lowest level the unit's Logger sends to Juju
// (slog.LevelInfo by default); nil keeps the default.
func WithLogLevel(level slog.Leveler) UnitOption {
	return func(c *config) {
		if level != nil {
			c.logLevel = level
		}
	}
}

func newConfig(opts []UnitOption) config {
	c := config{runner: ExecRunner{}, timeout: DefaultTimeout, logLevel: slog.LevelInfo, stalls: new(stallSet)}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	return c
}

// caller runs tools through c.runner as c says.
func (c config) caller() caller {
	return caller{runner: c.runner, timeout: c.timeout, stalls: c.stalls}
}

// hookEnv is the environment WithEnv set, or the process's.
func (c config) hookEnv() Env {
	if c.env == nil {
		return EnvFrom(os.LookupEnv)
	}
	return *c.env
}
