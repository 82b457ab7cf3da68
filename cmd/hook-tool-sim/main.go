// Command hook-tool-sim simulates Juju 3's hook tools (relation-get,
// relation-set, network-get, ...) so that charm binaries and the hook-tool
// accessor can run outside Juju, and runs a charm through the hooks Juju
// fires for an event ("hook-tool-sim fire CHARM join REL UNIT ...",
// committing a hook's writes only when it exits 0). See package toolsim
// for the model format and how to use it.
package main

import (
	"os"

	"github.com/charmkit/httprelation/toolsim"
)

func main() {
	os.Exit(toolsim.Main(os.Args[0], os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
