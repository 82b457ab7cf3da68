package toolsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Fault replaces a tool's answer, so that tests can see how a charm copes
// with a tool that fails, lies, hangs or dies: things a real Juju agent
// does when it is overloaded, restarted or out of memory.
//
// A faulted call neither reads nor changes the model: it prints Stdout and
// Stderr verbatim and exits with Exit. So {"exit": 0} is a tool that
// prints nothing, and {"stdout": "garbage"} one that prints garbage.
//
// Hang and Kill only make sense in a tool process (Sim, ExecRunner):
// RunTool or [Model.Call] called in-process would hang, or kill the
// calling process.
type Fault struct {
	// Exit is the exit status.
	Exit int `json:"exit,omitempty"`
	// Stdout and Stderr are printed as given, without Juju's "ERROR "
	// prefix being added.
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	// Hang makes the tool sleep until it is killed, as a call to a wedged
	// agent does; the caller's deadline has to end it.
	Hang bool `json:"hang,omitempty"`
	// Kill makes the tool send itself SIGKILL, as the OOM killer would.
	Kill bool `json:"kill,omitempty"`
	// Fill, when above zero, prints that many bytes of 'x' after Stdout,
	// and then StdoutEnd: a tool that prints megabytes, such as
	// relation-get of a remote unit that published a huge value, without
	// a model or a fault of that size:
	//
	//	{"stdout": "{\"port\":\"80\",\"big\":\"", "fill": 10485760, "stdout_end": "\"}"}
	Fill      int    `json:"fill,omitempty"`
	StdoutEnd string `json:"stdout_end,omitempty"`
	// Spawn, with Hang, makes the tool first start a child process that
	// hangs too and shares its output, and write the child's pid in
	// decimal to the file Spawn names: a test can then check that killing
	// the hung tool killed what it started.
	Spawn string `json:"spawn,omitempty"`
}

// faultExit ends a faulted call with a non-zero status and no added
// message.
type faultExit struct{ code int }

func (e *faultExit) Error() string { return "fault injected" }

// findFault returns the fault for a call. Faults are keyed "TOOL ARG",
// which matches a call of TOOL that has ARG among its arguments or as the
// value of an option (a relation id, "-r ID" or "-r=ID"; a unit; a state
// key), or "TOOL", which matches every call
// of TOOL; the first argument with a "TOOL ARG" fault wins over "TOOL".
// TOOLSIM_FAULTS, a JSON object of the same form, is laid over the model's
// faults, so a test can inject faults without rewriting the model.
func findFault(m *Model, getenv func(string) string, tool string, args []string) (Fault, bool, error) {
	faults := m.Faults
	if raw := getenv("TOOLSIM_FAULTS"); raw != "" {
		var extra map[string]Fault
		if err := json.Unmarshal([]byte(raw), &extra); err != nil {
			return Fault{}, false, failure("invalid TOOLSIM_FAULTS: %v", err)
		}
		faults = maps.Clone(faults)
		if faults == nil {
			faults = map[string]Fault{}
		}
		maps.Copy(faults, extra)
	}
	if len(faults) == 0 {
		return Fault{}, false, nil
	}
	for _, a := range args {
		if f, ok := faults[tool+" "+a]; ok {
			return f, true, nil
		}
		// An option's value given as "-r=ID" matches as "-r ID" would.
		if _, value, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			if f, ok := faults[tool+" "+value]; ok {
				return f, true, nil
			}
		}
	}
	f, ok := faults[tool]
	return f, ok, nil
}

// errNoFault says that no fault applies to a call, which then runs.
var errNoFault = errors.New("no fault")

// applyFault carries out the fault for a call of inv.tool with args on
// inv.model, and returns errNoFault when there is none.
func (inv *invocation) applyFault(args []string) error {
	fault, ok, err := findFault(inv.model, inv.getenv, inv.tool, args)
	if err != nil {
		return err
	}
	if !ok {
		return errNoFault
	}
	return inv.apply(fault)
}

// apply carries out a fault. Kill and Hang never return.
func (inv *invocation) apply(f Fault) error {
	if f.Kill {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	if f.Hang && f.Spawn != "" {
		if err := spawnHangingChild(f.Spawn); err != nil {
			return failure("fault spawn: %v", err)
		}
	}
	if f.Kill || f.Hang {
		hang()
	}
	inv.out.WriteString(f.Stdout)
	if f.Fill > 0 {
		inv.out.Grow(f.Fill + len(f.StdoutEnd))
		chunk := bytes.Repeat([]byte{'x'}, min(f.Fill, 64<<10))
		for left := f.Fill; left > 0; left -= len(chunk) {
			inv.out.Write(chunk[:min(left, len(chunk))])
		}
		inv.out.WriteString(f.StdoutEnd)
	}
	inv.errOut.WriteString(f.Stderr)
	if f.Exit != 0 {
		return &faultExit{code: f.Exit}
	}
	return nil
}

// hangCommand is the simulator's hidden command that only hangs: the
// child a Spawn fault starts.
const hangCommand = "_hang"

// hang sleeps until the process is killed.
func hang() {
	for {
		time.Sleep(time.Hour)
	}
}

// spawnHangingChild starts the simulator's own binary as a child that
// hangs, on this process's stdout and stderr, and writes its pid to
// pidFile.
func spawnHangingChild(pidFile string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self, hangCommand)
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	return os.WriteFile(pidFile, []byte(strconv.Itoa(child.Process.Pid)), 0o644)
}
