package toolsim

import (
	"errors"
	"fmt"
	"io"
)

// Call runs one hook tool in-process against m, which it may change, as
// the simulator's processes do against the model file, and returns the
// exit status. getenv supplies the environment; when it names no hook
// (JUJU_HOOK_NAME, JUJU_RELATION_ID, ...), or is nil, the tools answer
// for the model's hook. Faults apply as in a process, except that Hang
// and Kill would hang or kill the caller; latency and the call log do
// not. A Juju hook tool the simulator does not implement answers with an
// error (exit 1); a name that is no Juju hook tool with exit 127, as a
// shell's command not found. The caller serialises calls on one model.
func (m *Model) Call(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, tool string, args ...string) int {
	run, _, ok := lookupTool(tool)
	if !ok {
		fmt.Fprintf(stderr, "ERROR %s is not a Juju hook tool\n", tool)
		return 127 // what a shell reports for a command not found
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	inv := &invocation{tool: tool, getenv: getenv, stdin: stdin, model: m}
	code := 0
	err := inv.applyFault(args)
	if errors.Is(err, errNoFault) {
		err = run(inv, args)
	}
	if err != nil {
		code = inv.report(err)
	}
	_, _ = stdout.Write(inv.out.Bytes())
	_, _ = stderr.Write(inv.errOut.Bytes())
	return code
}
