package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmkit/httprelation/toolsim"
)

// The simulated model's identity, as Juju would give it to every hook.
const (
	modelName   = "demo"
	modelUUID   = "8d4f6a52-2c1e-4c4b-9a3e-0c5b5e2a7d11"
	jujuVersion = "3.5.4"
	loopback    = "127.0.0.1"
)

// hookTimeout bounds one hook process: a stuck charm must fail the demo,
// not hang it.
const hookTimeout = 15 * time.Second

// unit is one deployed charm unit: its binary, its own charm directory and
// its own simulated hook tools and model, as each Juju unit has its own
// agent.
type unit struct {
	name     string
	bin      string
	charmDir string
	sim      *toolsim.Sim
	// hostBin holds the only host programs the hooks may find on PATH.
	hostBin string
}

// newUnit lays out a unit under dir: the charm's YAML files copied from
// srcCharm into dir/charm (charms may keep state there, so units must not
// share one) and a simulator holding model m. Its hooks find the hook
// tools and the programs in hostBin on PATH, nothing else.
func newUnit(name, bin, simBin, hostBin, srcCharm, dir string, m *toolsim.Model) (*unit, error) {
	charmDir := filepath.Join(dir, "charm")
	if err := copyCharmFiles(srcCharm, charmDir); err != nil {
		return nil, fmt.Errorf("unit %s: %w", name, err)
	}
	sim, err := toolsim.NewSim(simBin, dir, m, nil)
	if err != nil {
		return nil, fmt.Errorf("unit %s: %w", name, err)
	}
	return &unit{name: name, bin: bin, charmDir: charmDir, sim: sim, hostBin: hostBin}, nil
}

// copyCharmFiles copies the top-level YAML files of a charm source
// directory (metadata.yaml, config.yaml, ...), which is what the charm
// binary reads from its charm directory.
func copyCharmFiles(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	yamls, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil {
		return err
	}
	if len(yamls) == 0 {
		return fmt.Errorf("no charm metadata in %s", src)
	}
	for _, f := range yamls {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// baseEnv is what Juju sets for every hook and for juju exec.
func (u *unit) baseEnv() map[string]string {
	return map[string]string{
		"JUJU_UNIT_NAME":            u.name,
		"JUJU_CHARM_DIR":            u.charmDir,
		"CHARM_DIR":                 u.charmDir,
		"JUJU_MODEL_NAME":           modelName,
		"JUJU_MODEL_UUID":           modelUUID,
		"JUJU_VERSION":              jujuVersion,
		"JUJU_AGENT_SOCKET_ADDRESS": "@/var/lib/juju/agents/unit-" + strings.ReplaceAll(u.name, "/", "-") + "/agent.socket",
	}
}

// hookEnv is the environment of one hook; rel holds the relation
// variables of a relation hook and is nil otherwise. PATH is narrowed to
// the hook tools and hostBin: a charm that found systemctl would install
// real services on the developer's machine.
func (u *unit) hookEnv(hook string, rel map[string]string) map[string]string {
	env := u.baseEnv()
	env["PATH"] = u.sim.Dir + string(os.PathListSeparator) + u.hostBin
	env["JUJU_HOOK_NAME"] = hook
	env["JUJU_DISPATCH_PATH"] = "hooks/" + hook
	maps.Copy(env, rel)
	return env
}

// relationEnv holds the variables of a relation hook. departing is set
// only for relation-departed.
func relationEnv(relID, remoteUnit, departing string) map[string]string {
	endpoint, _, _ := strings.Cut(relID, ":")
	env := map[string]string{
		"JUJU_RELATION":    endpoint,
		"JUJU_RELATION_ID": relID,
		"JUJU_REMOTE_UNIT": remoteUnit,
		"JUJU_REMOTE_APP":  appOf(remoteUnit),
	}
	if departing != "" {
		env["JUJU_DEPARTING_UNIT"] = departing
	}
	return env
}

// appOf is the application of a unit name.
func appOf(unitName string) string {
	app, _, _ := strings.Cut(unitName, "/")
	return app
}

// runHook runs the charm binary as hook, from the charm directory as Juju
// does. The hook's output is shown when it fails, or always with verbose.
func (u *unit) runHook(ctx context.Context, log io.Writer, verbose bool, hook string, rel map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	logged := 0
	if verbose {
		logged = u.logLines()
	}
	u.sim.SetHookEnv(u.hookEnv(hook, rel))
	cmd := exec.CommandContext(ctx, u.bin)
	cmd.Env = u.sim.Environ()
	cmd.Dir = u.charmDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	detail := ""
	if r := rel["JUJU_REMOTE_UNIT"]; r != "" {
		detail = " (remote " + r + ")"
	}
	if err != nil {
		fmt.Fprintf(log, "  %-7s %s%s FAILED after %s\n", u.name, hook, detail, took)
		indent(log, out.Bytes())
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		return fmt.Errorf("%s hook %s: %w", u.name, hook, err)
	}
	fmt.Fprintf(log, "  %-7s %s%s ok (%s)\n", u.name, hook, detail, took)
	if verbose {
		indent(log, out.Bytes())
		u.showLog(log, logged)
	}
	return nil
}

// logLines counts the juju-log lines the unit's model holds, so that
// showLog can print those a hook added.
func (u *unit) logLines() int {
	m, err := u.sim.Model()
	if err != nil {
		return 0
	}
	return len(m.Log)
}

// showLog prints the juju-log lines after the first skip.
func (u *unit) showLog(log io.Writer, skip int) {
	m, err := u.sim.Model()
	if err != nil || skip > len(m.Log) {
		return
	}
	for _, line := range m.Log[skip:] {
		indent(log, []byte("juju-log "+line+"\n"))
	}
}

// indent copies a child's output to the log, set off from the demo's own
// lines.
func indent(log io.Writer, out []byte) {
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if line == "" {
			continue // what SplitAfter yields after a final newline
		}
		fmt.Fprintf(log, "      | %s", strings.TrimSuffix(line, "\n")+"\n")
	}
}

// updateModel applies change to the unit's model under the simulator's
// lock, the way the controller changes what a unit's agent reports.
func (u *unit) updateModel(change func(m *toolsim.Model)) error {
	m, err := u.sim.Model()
	if err != nil {
		return fmt.Errorf("unit %s: %w", u.name, err)
	}
	change(m)
	if err := m.WriteFile(u.sim.ModelPath); err != nil {
		return fmt.Errorf("unit %s: %w", u.name, err)
	}
	return nil
}

// localBag returns the unit's own data bag in relID, as its hooks left it.
func (u *unit) localBag(relID string) (map[string]string, error) {
	m, err := u.sim.Model()
	if err != nil {
		return nil, fmt.Errorf("unit %s: %w", u.name, err)
	}
	rel, ok := m.Relations[relID]
	if !ok {
		return nil, fmt.Errorf("unit %s: no relation %s", u.name, relID)
	}
	return maps.Clone(rel.Local), nil
}

// hostPrograms makes dir hold links to the host programs hooks may run:
// haproxy, when installed, so that the proxy charm can check what it
// renders.
func hostPrograms(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("host programs: %w", err)
	}
	path, err := exec.LookPath("haproxy")
	if err != nil {
		return nil
	}
	if err := os.Symlink(path, filepath.Join(dir, "haproxy")); err != nil {
		return fmt.Errorf("host programs: %w", err)
	}
	return nil
}

// unitModel is the model of a freshly deployed unit on loopback: it knows
// no relation yet, and every binding's ingress address is 127.0.0.1.
func unitModel(name string, config map[string]any, bindings ...string) *toolsim.Model {
	m := &toolsim.Model{
		Unit:           name,
		Leader:         strings.HasSuffix(name, "/0"),
		Config:         config,
		PrivateAddress: loopback,
		Relations:      map[string]toolsim.Relation{},
		Networks:       map[string]toolsim.Network{},
		State:          map[string]string{},
	}
	for _, b := range bindings {
		m.Networks[b] = toolsim.Network{
			BindAddresses: []toolsim.BindAddress{{
				InterfaceName: "lo",
				Addresses:     []toolsim.InterfaceAddress{{Value: loopback, CIDR: "127.0.0.0/8"}},
			}},
			EgressSubnets:    []string{loopback + "/32"},
			IngressAddresses: []string{loopback},
		}
	}
	return m
}

// jujuBag is what Juju itself puts in a unit's bag when it enters a
// relation, before any hook of the charm runs.
func jujuBag() map[string]string {
	return map[string]string{
		"private-address": loopback,
		"ingress-address": loopback,
		"egress-subnets":  loopback + "/32",
	}
}
