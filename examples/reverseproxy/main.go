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

func main() {
	// Juju stops a hook with SIGTERM; the running tool call or haproxy
	// check is cancelled rather than left behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], hooktools.EnvFrom(os.LookupEnv), os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process.
func run(ctx context.Context, args []string, env hooktools.Env, stderr io.Writer) int {
	switch {
	case len(args) > 0:
		fmt.Fprintf(stderr, "reverseproxy: unexpected arguments %q: the charm takes none, Juju's environment says what to do\n", args)
		return exitUsage
	case env.Unit == "":
		fmt.Fprintln(stderr, "reverseproxy: not in a Juju hook (JUJU_UNIT_NAME is not set)")
		return exitUsage
	}
	c, err := newCharm(env)
	if err == nil {
		err = hook(ctx, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "reverseproxy: %s: %v\n", env.HookName, err)
		return exitFailure
	}
	return exitOK
}
