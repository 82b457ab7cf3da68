// Command hook-tool-sim simulates Juju 3's hook tools (relation-get,
// relation-set, network-get, ...) so that charm binaries and the hook-tool
// accessor can run outside Juju, and runs a charm through the hooks Juju
// fires for an event ("hook-tool-sim fire CHARM join REL UNIT ...",
// committing a hook's writes only when it exits 0). See package toolsim
// for the model format and how to use it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmkit/httprelation/internal/simtool"
	"github.com/charmkit/httprelation/toolsim"
)

func main() {
	os.Exit(run(os.Args[0], os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole simulator: invoked as a hook tool (argv0's base name,
// or the first argument) it answers as [toolsim.RunTool] does; otherwise
// it takes the commands of usage. It returns the exit status.
func run(argv0 string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if code, ok := toolsim.RunTool(argv0, args, getenv, stdin, stdout, stderr); ok {
		return code
	}
	return command(args, getenv, stdout, stderr)
}

const usage = `Usage: hook-tool-sim install DIR
       hook-tool-sim fire [-model FILE] [-log FILE] CHARM EVENT [ARGS...]
       hook-tool-sim TOOL [ARGS...]

Simulates Juju's hook tools. Invoked through a symlink named after a tool
(hook-tool-sim install DIR creates them), it answers from the JSON model
named by TOOLSIM_MODEL, with the hook context taken from JUJU_UNIT_NAME,
JUJU_RELATION_ID, JUJU_REMOTE_UNIT, JUJU_REMOTE_APP, JUJU_HOOK_NAME and
JUJU_DEPARTING_UNIT. TOOLSIM_LOG names a file that gets one JSON line per
call; TOOLSIM_LATENCY_MS overrides the model's latency_ms; TOOLSIM_FAULTS
(JSON) makes chosen calls fail, lie, hang or die. "fire" runs a charm
through the hooks of an event (join, change, depart, add-relation,
remove-relation, config, hook); "hook-tool-sim fire -h" says more.

Tools: `

// command runs one of the simulator's own commands: install, fire or
// help.
func command(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	text := usage + strings.Join(simtool.Names(), ", ") +
		"\n(install also links Juju's other hook tools, which answer that they are not simulated)\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, text)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, text)
		return 0
	case "fire":
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "ERROR %v\n", err)
			return 1
		}
		return fireCommand(context.Background(), self, args[1:], getenv, stdout, stderr)
	case "install":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "ERROR usage: hook-tool-sim install DIR")
			return 2
		}
		self, err := os.Executable()
		if err == nil {
			err = simtool.Install(self, args[1])
		}
		if err != nil {
			fmt.Fprintf(stderr, "ERROR %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "ERROR unknown command %q\n", args[0])
	return 2
}
