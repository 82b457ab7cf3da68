package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/charmkit/httprelation/hooktools"
)

// Exit statuses, as documented in the package comment.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `usage:
  website                                          handle the Juju hook in the environment
  website serve --port N --unit U [--bind ADDR]    run the web server
`

func main() {
	// Juju stops a hook and systemd stops the service with SIGTERM; both
	// deserve a clean shutdown rather than a killed tool call or a cut
	// connection.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], hooktools.EnvFrom(os.LookupEnv), os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: the mode is chosen from the arguments
// and the hook environment, and the exit status returned.
func run(ctx context.Context, args []string, env hooktools.Env, stderr io.Writer) int {
	switch {
	case len(args) > 0 && args[0] == "serve":
		return serveMain(ctx, args[1:], stderr)
	case len(args) > 0:
		fmt.Fprintf(stderr, "website: unknown command %q\n%s", args[0], usage)
		return exitUsage
	case env.Unit == "":
		fmt.Fprintf(stderr, "website: not in a Juju hook (JUJU_UNIT_NAME is not set)\n%s", usage)
		return exitUsage
	}
	c, err := newCharm(env)
	if err == nil {
		err = hook(ctx, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "website: %s: %v\n", env.HookName, err)
		return exitFailure
	}
	return exitOK
}
