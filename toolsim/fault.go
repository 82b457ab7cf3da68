package toolsim

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
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
// Hang and Kill only make sense in a tool process (Sim, ExecRunner): Main
// called in-process would hang, or kill the calling process.
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
}

// faultExit ends a faulted call with a non-zero status and no added
// message.
type faultExit struct{ code int }

func (e *faultExit) Error() string { return "fault injected" }

// findFault returns the fault for a call. Faults are keyed "TOOL ARG",
// which matches a call of TOOL that has ARG among its arguments (a
// relation id, a unit, a state key), or "TOOL", which matches every call
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
	if f.Kill || f.Hang {
		for {
			time.Sleep(time.Hour)
		}
	}
	inv.out.WriteString(f.Stdout)
	inv.errOut.WriteString(f.Stderr)
	if f.Exit != 0 {
		return &faultExit{code: f.Exit}
	}
	return nil
}
