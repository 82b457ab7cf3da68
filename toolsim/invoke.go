package toolsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/charmkit/httprelation/internal/calllog"
	"github.com/charmkit/httprelation/internal/simtool"
)

// toolFunc runs one hook tool against inv.model with the arguments after
// the tool name.
type toolFunc func(inv *invocation, args []string) error

// hookTool is the implementation of one hook tool.
type hookTool struct {
	run toolFunc
	// writes says the tool may change the model, and so needs the
	// exclusive lock.
	writes bool
}

// tools are the hook tools the simulator implements, by name: the names
// simtool.Names lists.
var tools = map[string]hookTool{
	"relation-ids":            {relationIDs, false},
	"relation-list":           {relationList, false},
	"relation-get":            {relationGet, false},
	"relation-set":            {relationSet, true},
	"relation-model-get":      {relationModelGet, false},
	"network-get":             {networkGet, false},
	"unit-get":                {unitGet, false},
	"config-get":              {configGet, false},
	"state-get":               {stateGet, false},
	"state-set":               {stateSet, true},
	"state-delete":            {stateDelete, true},
	"juju-log":                {jujuLog, true},
	"is-leader":               {isLeader, false},
	"leader-get":              {leaderGet, false},
	"leader-set":              {leaderSet, true},
	"status-get":              {statusGet, false},
	"status-set":              {statusSet, true},
	"application-version-set": {applicationVersionSet, true},
	"open-port":               {openPort, true},
	"close-port":              {closePort, true},
	"opened-ports":            {openedPorts, false},
	"goal-state":              {goalState, false},
}

// lookupTool returns a tool's implementation and whether it changes the
// model (and so needs the exclusive lock). Juju's other hook tools
// (simtool.JujuNames) answer that the simulator does not simulate them.
func lookupTool(name string) (run toolFunc, writes bool, ok bool) {
	if t, ok := tools[name]; ok {
		return t.run, t.writes, true
	}
	if slices.Contains(simtool.JujuNames(), name) {
		return notSimulated, false, true
	}
	return nil, false, false
}

// RunTool is the simulator binary acting as a hook tool. Invoked under a
// tool's name (argv0's base name, as through the symlinks "hook-tool-sim
// install" makes), or with the tool's name as args[0], it answers from the
// model file named by TOOLSIM_MODEL in getenv as Juju's tool would (a
// Juju hook tool it does not implement with an error), and returns the
// exit status. It also serves the hidden command that a [Fault]'s Spawn
// starts, which never returns, and, as the stand-in for a charm that
// [TestMain] left unbuilt, builds the charm and executes it. ok is false,
// and nothing ran, when neither argv0 nor args[0] names a tool: the
// caller's command line is then its own. RunTool never calls os.Exit, so
// tests can run it in-process.
func RunTool(argv0 string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	if code, ok := runStandIn(argv0, args, stderr); ok {
		return code, true
	}
	if name := filepath.Base(argv0); isTool(name) {
		return runTool(name, args, getenv, stdin, stdout, stderr), true
	}
	if len(args) == 0 {
		return 0, false
	}
	if isTool(args[0]) {
		return runTool(args[0], args[1:], getenv, stdin, stdout, stderr), true
	}
	if args[0] == hangCommand {
		hang()
	}
	return 0, false
}

// isTool reports whether name is one of Juju's hook tools, which the
// simulator answers, implemented or not.
func isTool(name string) bool {
	_, _, ok := lookupTool(name)
	return ok
}

// invocation is one run of one tool.
type invocation struct {
	tool   string
	getenv func(string) string
	model  *Model
	// snap, when set, holds the remote units' bags, which model then
	// lacks (see loadView).
	snap  *snapshot
	stdin io.Reader
	// stdinText is what was read from stdin (--file -), for the log.
	stdinText *string
	out       bytes.Buffer
	errOut    bytes.Buffer
	// dirty says the tool changed the model and it must be written back.
	dirty bool
}

func runTool(name string, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	start := time.Now()
	inv := &invocation{tool: name, getenv: env, stdin: stdin}
	code := 0
	if err := inv.run(args); err != nil {
		code = inv.report(err)
	}
	dur := time.Since(start)
	_, _ = stdout.Write(inv.out.Bytes())
	_, _ = stderr.Write(inv.errOut.Bytes())
	if path := env("TOOLSIM_LOG"); path != "" {
		err := calllog.Append(path, calllog.Call{
			Tool: name, Args: args, Stdin: inv.stdinText, Exit: code,
			Stdout: inv.out.String(), Stderr: inv.errOut.String(), Start: start, Duration: dur,
		})
		if err != nil {
			fmt.Fprintf(stderr, "hook-tool-sim: %v\n", err)
		}
	}
	return code
}

// report prints an error the way Juju does and returns the exit status.
func (inv *invocation) report(err error) int {
	if errors.Is(err, errHelp) {
		fmt.Fprintf(&inv.out, "Usage: %s [options] %s\n", inv.tool, toolArgs(inv.tool))
		return 0
	}
	var fe *faultExit
	if errors.As(err, &fe) {
		return fe.code // the fault printed exactly what it was told to
	}
	fmt.Fprintf(&inv.errOut, "ERROR %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func (inv *invocation) run(args []string) error {
	run, writes, _ := lookupTool(inv.tool)
	path := inv.getenv("TOOLSIM_MODEL")
	if path == "" {
		return failure("TOOLSIM_MODEL is not set")
	}
	// A write decodes the model again under the exclusive lock, and would
	// make a snapshot stale at once: it builds none, and decodes here
	// only what it needs before the lock.
	decode := parseModel
	if writes {
		decode = inv.decodeSettings
	}
	m, snap, err := loadView(path, !writes, decode)
	if err != nil {
		return err
	}
	if snap != nil {
		defer snap.close()
	}
	delay, err := latency(m, inv.getenv)
	if err != nil {
		return err
	}
	time.Sleep(delay)
	inv.model = m
	if err := inv.applyFault(args); !errors.Is(err, errNoFault) {
		return err
	}
	if !writes {
		return inv.read(run, args, path, m, snap)
	}
	return withLock(path, syscall.LOCK_EX, func() error {
		m, err := readModelFile(path)
		if err != nil {
			return err
		}
		inv.model = m
		if err := run(inv, args); err != nil {
			return err
		}
		if !inv.dirty {
			return nil
		}
		return writeModelFile(path, m)
	})
}

// read runs a read-only tool. Should the snapshot turn out damaged, the
// call is answered again from the model file: a read-only tool has no
// effect until it prints.
func (inv *invocation) read(run toolFunc, args []string, path string, m *Model, snap *snapshot) error {
	inv.model, inv.snap = m, snap
	err := run(inv, args)
	if snap == nil || !errors.Is(err, errCacheBroken) {
		return err
	}
	snap.discard()
	inv.out.Reset()
	inv.errOut.Reset()
	if inv.model, err = loadModel(path); err != nil {
		return err
	}
	inv.snap = nil
	return run(inv, args)
}

// latency is how long a call sleeps before it runs, outside any lock so
// that concurrent calls overlap as they do in Juju: TOOLSIM_LATENCY_MS, or
// else the model's latency_ms.
func latency(m *Model, getenv func(string) string) (time.Duration, error) {
	ms := m.LatencyMS
	if s := getenv("TOOLSIM_LATENCY_MS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, failure("invalid TOOLSIM_LATENCY_MS %q", s)
		}
		ms = n
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// callSettings are the fields of a model that a call reads before it
// runs: the latency it sleeps, and the faults.
type callSettings struct {
	LatencyMS int              `json:"latency_ms"`
	Faults    map[string]Fault `json:"faults"`
}

// decodeSettings decodes the model file for a write tool's call before it
// takes the exclusive lock, under which the call decodes the whole model
// again: only the latency, all that the call reads before the lock when
// no fault is set. Where the call could end before the lock (the settings
// do not decode, a fault is set in the model or TOOLSIM_FAULTS,
// TOOLSIM_LATENCY_MS is invalid) it decodes the whole model instead, so
// that a model file that does not decode fails the call first, with the
// error it gives under the lock.
func (inv *invocation) decodeSettings(data []byte) (*Model, error) {
	var s callSettings
	if json.Unmarshal(data, &s) != nil || len(s.Faults) > 0 || inv.getenv("TOOLSIM_FAULTS") != "" {
		return parseModel(data)
	}
	m := &Model{LatencyMS: s.LatencyMS}
	if _, err := latency(m, inv.getenv); err != nil {
		return parseModel(data)
	}
	return m, nil
}

// unitName is the local unit: JUJU_UNIT_NAME, else the model's.
func (inv *invocation) unitName() string {
	if u := inv.getenv("JUJU_UNIT_NAME"); u != "" {
		return u
	}
	return inv.model.Unit
}

// readInput reads a --file argument, "-" meaning stdin.
func (inv *invocation) readInput(path string) ([]byte, error) {
	if path != "-" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, failure("%v", err)
		}
		return data, nil
	}
	if inv.stdin == nil {
		inv.stdinText = new(string)
		return nil, nil
	}
	data, err := io.ReadAll(inv.stdin)
	if err != nil {
		return nil, failure("read stdin: %v", err)
	}
	s := string(data)
	inv.stdinText = &s
	return data, nil
}

func toolArgs(tool string) string {
	switch tool {
	case "relation-ids":
		return "[<name>]"
	case "relation-get":
		return "[<key> [<unit id>]]"
	case "relation-set", "state-set":
		return "key=value [key=value ...]"
	case "network-get":
		return "<binding-name> [--ingress-address] [--bind-address] [--egress-subnets]"
	case "unit-get":
		return "<setting>"
	case "config-get", "state-get":
		return "[<key>]"
	case "state-delete":
		return "<key>"
	case "juju-log":
		return "<message>"
	case "status-set":
		return "<maintenance | blocked | waiting | active> [message]"
	case "status-get":
		return "[--include-data] [--application]"
	case "leader-get":
		return "[<key>]"
	case "leader-set":
		return "<key>=<value> [...]"
	case "application-version-set":
		return "<new-version>"
	case "open-port", "close-port":
		return "<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp"
	}
	return ""
}
