// Command http-relation reads and writes the Juju "http" relation from a
// shell: from a hook of any charm, or from an operator's
//
//	juju exec --unit haproxy/0 -- http-relation services reverseproxy
//
// It is a thin front end to package httprelation over package hooktools,
// so a bash or Python charm and a Go charm speak the interface the same
// way. Run "http-relation -h" for the commands.
//
// Exit status: 0 on success, 1 when the work failed (the reason is on
// stderr), 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/charmkit/httprelation/hooktools"
	"github.com/charmkit/httprelation/internal/badchar"
)

// Exit statuses, the same convention as Juju's own hook tools.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const progName = "http-relation"

func main() {
	// The context ends on SIGINT or SIGTERM, so a hook that Juju (or an
	// operator) interrupts stops its running tool instead of leaving it
	// behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// cli is what one run of the command works with. The hook environment
// comes from lookupEnv; the tools run with the process's own environment,
// which is the same one outside tests.
type cli struct {
	stdout io.Writer
	env    hooktools.Env
	// contextID is JUJU_CONTEXT_ID, unique to one hook run (or one juju
	// exec): the commands of one run share what they read (see
	// hookcache.go). Empty, nothing is shared.
	contextID string
	log       *slog.Logger
}

// command is one subcommand.
type command struct {
	name string
	// positional names the positional arguments in the usage line, e.g.
	// "<endpoint>"; the flags follow, from the flag set (see synopsis).
	positional string
	// required lists the flags the command cannot run without, in the
	// order the usage line shows them; repeatable those that may be
	// given more than once. Every other flag is optional and single.
	required, repeatable []string
	summary              string
	// setup declares the subcommand's flags on fs and returns the function
	// that runs it with its positional arguments, once they are parsed.
	setup func(fs *flag.FlagSet) runFunc
	// args is the number of positional arguments it takes.
	args int
	// help follows the usage line in "-h".
	help string
}

type runFunc func(ctx context.Context, c *cli, args []string) error

// commands lists the subcommands in the order the help shows them. It is
// a function, not a variable, so that no state is shared between runs.
func commands() []command {
	return []command{servicesCommand(), configureCommand(), flagsCommand()}
}

// usageError is a command line the command cannot run: exit status 2.
type usageError struct {
	cmd string // empty for the top level
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// run is the whole command apart from the process: it returns the exit
// status, so that tests can run it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	contextID, _ := lookupEnv("JUJU_CONTEXT_ID")
	c := &cli{
		stdout:    stdout,
		env:       hooktools.EnvFrom(lookupEnv),
		contextID: contextID,
		log:       newLogger(stderr),
	}
	err := c.dispatch(ctx, args)
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		name := progName
		if usage.cmd != "" {
			name += " " + usage.cmd
		}
		// The message may repeat the command line (the flag package
		// names an unknown flag as given): escaped, it stays one line.
		fmt.Fprintf(stderr, "%s: %s\nRun '%s -h' for usage.\n", name, badchar.Escape(usage.msg), name)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		if errors.Is(err, hooktools.ErrNotInHook) {
			fmt.Fprint(stderr, notInHookHint)
		}
		return exitFailure
	}
}

// notInHookHint follows a failure for want of a hook: how to run the
// command in one, with Juju or with the simulator (docs/simulator.md
// gives the same lines), whose tools answer for the model's hook section
// when no hook variable is set. The command itself needs the unit's
// name, and flags the charm directory; the tools' directory must be
// absolute on PATH, as hooktools refuses a tool found through a relative
// entry.
const notInHookHint = progName + ` needs Juju's hook tools: run it inside a hook, or with
  juju exec --unit <app>/<n> -- ` + progName + ` ...
or, without Juju, under the hook-tool simulator (see its docs/simulator.md):
  ` + simInstallLine + `
  ` + simRunLine + ` ...
`

// The simulator's lines of notInHookHint.
const (
	simInstallLine = "hook-tool-sim install ./bin"
	simRunLine     = `PATH="$PWD/bin:$PATH" TOOLSIM_MODEL=model.json JUJU_UNIT_NAME=<app>/<n> JUJU_CHARM_DIR=<charm dir> ` + progName
)

// newLogger writes the library's warnings (skipped remote entries) to
// stderr as text. A hook's stderr already lands in the unit's log, and
// under juju exec it reaches the operator; juju-log would cost a tool
// call per warning and say nothing more. The time is left out because
// both of those add their own.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// dispatch parses the top level and runs the subcommand.
func (c *cli) dispatch(ctx context.Context, args []string) error {
	fs := newFlagSet(progName)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c.topUsage(c.stdout)
		}
		return usagef("", "%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usagef("", "missing command")
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		return c.help(rest)
	}
	cmd, ok := lookup(name)
	if !ok {
		return usagef("", "unknown command %q", name)
	}
	return c.runCommand(ctx, cmd, rest)
}

// help serves "http-relation help [command]".
func (c *cli) help(args []string) error {
	switch len(args) {
	case 0:
		return c.topUsage(c.stdout)
	case 1:
		cmd, ok := lookup(args[0])
		if !ok {
			return usagef("", "unknown command %q", args[0])
		}
		fs := newFlagSet(cmd.name)
		cmd.setup(fs)
		return commandUsage(c.stdout, cmd, fs)
	default:
		return usagef("", "help takes at most one command")
	}
}

func lookup(name string) (command, bool) {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd, true
		}
	}
	return command{}, false
}

// runCommand parses a subcommand's flags, which may come before or after
// its positional arguments, and runs it.
func (c *cli) runCommand(ctx context.Context, cmd command, args []string) error {
	fs := newFlagSet(cmd.name)
	runner := cmd.setup(fs)
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return commandUsage(c.stdout, cmd, fs)
	}
	if err != nil {
		return usagef(cmd.name, "%v", err)
	}
	if len(positional) < cmd.args {
		return usagef(cmd.name, "missing argument: want %s", synopsis(cmd, fs))
	}
	if len(positional) > cmd.args {
		return usagef(cmd.name, "unexpected argument %q", positional[cmd.args])
	}
	return runner(ctx, c, positional)
}

// newFlagSet returns a flag set that reports errors instead of printing
// them, so that run decides where messages go and what the status is.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseInterspersed parses flags anywhere among the positional arguments,
// as in "configure website --port 8080", which flag.Parse alone would stop
// at. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (c *cli) topUsage(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s <command> [arguments]\n\n"+
		"Reads and writes the Juju \"http\" relation. Run it inside a hook, or with\n"+
		"  juju exec --unit <app>/<n> -- %s <command> ...\n\nCommands:\n", progName, progName)
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(&b, "\nRun '%s <command> -h' or '%s help <command>' for a command's help.\n"+
		"Exit status: 0 success, 1 failure (reason on stderr), 2 usage error.\n", progName, progName)
	_, err := io.WriteString(w, b.String())
	return err
}

func commandUsage(w io.Writer, cmd command, fs *flag.FlagSet) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s %s %s\n\n%s\n", progName, cmd.name, synopsis(cmd, fs), cmd.help)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// synopsis is the argument part of cmd's usage line, made from fs, the
// flags cmd declared, so that it lists every one of them: the positional
// arguments, the required flags bare in cmd.required's order, then the
// others in brackets in fs's (alphabetical) order; a repeatable flag is
// followed by "...". A flag shows its value's name as the help names it
// (flag.UnquoteUsage); a boolean flag shows none.
func synopsis(cmd command, fs *flag.FlagSet) string {
	var parts []string
	if cmd.positional != "" {
		parts = append(parts, cmd.positional)
	}
	word := func(f *flag.Flag) string {
		w := "--" + f.Name
		if name, _ := flag.UnquoteUsage(f); name != "" {
			w += " " + name
		}
		return w
	}
	for _, name := range cmd.required {
		if f := fs.Lookup(name); f != nil {
			parts = append(parts, word(f)+repeatMark(cmd, name))
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !slices.Contains(cmd.required, f.Name) {
			parts = append(parts, "["+word(f)+"]"+repeatMark(cmd, f.Name))
		}
	})
	return strings.Join(parts, " ")
}

// repeatMark is "..." after a flag that cmd takes more than once.
func repeatMark(cmd command, name string) string {
	if slices.Contains(cmd.repeatable, name) {
		return "..."
	}
	return ""
}
