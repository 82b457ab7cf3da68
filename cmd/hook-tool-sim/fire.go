package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/charmkit/httprelation/internal/simtool"
	"github.com/charmkit/httprelation/toolsim"
)

const fireUsage = `Usage: hook-tool-sim fire [-model FILE] [-log FILE] CHARM EVENT [ARGS...]

Makes EVENT happen to the model as Juju would, and runs CHARM (a hook
binary or dispatch script) for every hook Juju fires for it, in Juju's
order. What a hook writes to relations and to the charm state is kept only
when it exits 0; the first hook that fails stops the event (exit status 1).

Events:
  join REL UNIT [KEY=VALUE...]     UNIT enters REL with that bag: REL-relation-joined, -changed
  change REL UNIT KEY=VALUE...     UNIT sets keys ("KEY=" deletes): -relation-changed
  depart REL UNIT                  -relation-departed, then UNIT is gone
  add-relation REL APP ENDPOINT    REL enters the model: -relation-created
  remove-relation REL              -relation-departed per unit, -relation-broken, then REL is gone
  config KEY=VALUE...              sets options (VALUE read by the option's type in the charm's
                                   config.yaml, else as JSON if it parses; KEY=null resets): config-changed
  hook NAME                        a hook with no model change: install, start, update-status, ...

REL is a relation id such as website:3. The model is -model, else
TOOLSIM_MODEL; the call log -log, else TOOLSIM_LOG. The charm's output is
passed through; one line per hook goes to stderr.
`

// fireCommand is "hook-tool-sim fire": the events of [toolsim.Sim.Fire]
// from the command line, for the model file of a charm run by hand.
func fireCommand(ctx context.Context, self string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fire", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	model := fs.String("model", getenv("TOOLSIM_MODEL"), "")
	logPath := fs.String("log", getenv("TOOLSIM_LOG"), "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, fireUsage)
			return 0
		}
		fmt.Fprintf(stderr, "ERROR %v\n%s", err, fireUsage)
		return 2
	}
	if fs.NArg() < 2 || *model == "" {
		fmt.Fprint(stderr, "ERROR want a model (-model or TOOLSIM_MODEL), a charm and an event\n"+fireUsage)
		return 2
	}
	ev, err := parseEvent(fs.Arg(1), fs.Args()[2:])
	if err != nil {
		fmt.Fprintf(stderr, "ERROR %v\n%s", err, fireUsage)
		return 2
	}
	tools, err := os.MkdirTemp("", "hook-tool-sim-")
	if err != nil {
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	defer os.RemoveAll(tools)
	if err := simtool.Install(self, tools); err != nil {
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	s := &toolsim.Sim{Dir: tools, ModelPath: *model, LogPath: *logPath}
	runs, err := s.Fire(ctx, fs.Arg(0), ev)
	for _, r := range runs {
		_, _ = io.WriteString(stdout, r.Result.Stdout)
		_, _ = io.WriteString(stderr, r.Result.Stderr)
		fmt.Fprintf(stderr, "hook-tool-sim: %s: exit status %d\n", r.Hook.Name, r.Result.ExitCode)
	}
	var he *toolsim.HookError
	switch {
	case errors.As(err, &he):
		return 1
	case errors.Is(err, toolsim.ErrInvalidModel):
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	return 0
}

// parseEvent reads an event from the command line.
func parseEvent(name string, args []string) (toolsim.Event, error) {
	want := func(n int, what string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s", name, what)
		}
		return nil
	}
	switch name {
	case "join", "change":
		if len(args) < 2 || (name == "change" && len(args) < 3) {
			return toolsim.Event{}, fmt.Errorf("%s takes REL UNIT and KEY=VALUE pairs", name)
		}
		data, err := simtool.KeyValues(args[2:])
		if err != nil {
			return toolsim.Event{}, err
		}
		if name == "join" {
			return toolsim.Join(args[0], args[1], data), nil
		}
		return toolsim.Change(args[0], args[1], data), nil
	case "depart":
		if err := want(2, "REL UNIT"); err != nil {
			return toolsim.Event{}, err
		}
		return toolsim.Depart(args[0], args[1]), nil
	case "add-relation":
		if err := want(3, "REL APP ENDPOINT"); err != nil {
			return toolsim.Event{}, err
		}
		return toolsim.AddRelation(args[0], args[1], args[2]), nil
	case "remove-relation":
		if err := want(1, "REL"); err != nil {
			return toolsim.Event{}, err
		}
		return toolsim.RemoveRelation(args[0]), nil
	case "config":
		if len(args) == 0 {
			return toolsim.Event{}, errors.New("config takes KEY=VALUE pairs")
		}
		kvs, err := simtool.KeyValues(args)
		if err != nil {
			return toolsim.Event{}, err
		}
		config := make(map[string]any, len(kvs))
		for k, v := range kvs {
			config[k] = simtool.ConfigText(v) // read by the option's type
		}
		return toolsim.ChangeConfig(config), nil
	case "hook":
		if err := want(1, "NAME"); err != nil {
			return toolsim.Event{}, err
		}
		return toolsim.RunHook(args[0]), nil
	}
	return toolsim.Event{}, fmt.Errorf("unknown event %q", name)
}
