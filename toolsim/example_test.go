package toolsim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/charmkit/httprelation/toolsim"
)

// An event's steps are the hooks Juju runs for it, in Juju's order: here
// a relation with two units being removed.
func ExampleEvent_Steps() {
	m := &toolsim.Model{
		Unit: "lb/0",
		Relations: map[string]toolsim.Relation{"backends:1": {RemoteApp: "web", Units: map[string]map[string]string{
			"web/1": {"private-address": "10.0.0.2"}, "web/0": {"private-address": "10.0.0.1"},
		}}},
	}
	steps, err := toolsim.RemoveRelation("backends:1").Steps(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range steps {
		s.Before(m) // what Juju changes before the hook, and the hook itself
		fmt.Printf("%s remote=%q departing=%q listed=%v\n",
			s.Hook.Name, s.Hook.RemoteUnit, s.Hook.DepartingUnit, m.ListedUnits("backends:1"))
		s.After(m) // what Juju changes once the hook succeeded
	}
	fmt.Println("relations left:", len(m.Relations))
	// Output:
	// backends-relation-departed remote="web/0" departing="web/0" listed=[web/1]
	// backends-relation-departed remote="web/1" departing="web/1" listed=[]
	// backends-relation-broken remote="" departing="" listed=[]
	// relations left: 0
}

// A mistake in a test's model is an error that says what is wrong, not a
// hook that silently sees nothing; so is an event that does not fit it.
func ExampleModel_Validate() {
	m := &toolsim.Model{
		Unit:      "lb/0",
		Hook:      toolsim.Hook{Name: "backends-relation-joined", RelationID: "backends:1", RemoteUnit: "web/0"},
		Relations: map[string]toolsim.Relation{"backends:1": {RemoteApp: "web"}},
	}
	fmt.Println(m.Validate())
	_, err := toolsim.RunHook("update_status").Steps(m)
	fmt.Println(errors.Is(err, toolsim.ErrInvalidModel))
	// Output:
	// invalid model: hook "backends-relation-joined": remote unit "web/0" is not in relation backends:1
	// true
}

// Call answers a hook tool in-process, as the simulator's processes do.
// Here config-get answers the default of the charm's config.yaml for an
// option the model does not set, and the model's value for one it does.
func ExampleModel_Call() {
	dir, err := os.MkdirTemp("", "charm-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	for name, text := range map[string]string{
		"metadata.yaml": "name: web\nprovides:\n  website:\n    interface: http\n",
		"config.yaml":   "options:\n  port: {type: int, default: 8080}\n  name: {type: string, default: web}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	m := &toolsim.Model{Unit: "web/0", CharmDir: dir, Config: map[string]any{"name": "shop"}}
	var out, errOut bytes.Buffer
	code := m.Call(nil, nil, &out, &errOut, "config-get", "--format=json")
	fmt.Print(code, " ", out.String())
	// Output:
	// 0 {"name":"shop","port":8080}
}

// Sim.Fire runs a charm binary as Juju would, one process per hook; a
// program (here, not a test) builds the simulator with the go command and
// lays it out with NewSim. In a test, Start and TestMain do both.
func ExampleSim_Fire() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sim-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// The simulator, and the charm: this package's test charm, which
	// prints what it sees. The trailing separator makes -o a directory.
	build := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"github.com/charmkit/httprelation/cmd/hook-tool-sim", "./testdata/charm")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Println(err, string(out))
		return
	}
	sim, charm := filepath.Join(dir, "hook-tool-sim"), filepath.Join(dir, "charm")
	s, err := toolsim.NewSim(sim, dir, &toolsim.Model{
		Unit:      "lb/0",
		Relations: map[string]toolsim.Relation{"backends:1": {RemoteApp: "web", RemoteEndpoint: "website"}},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range []toolsim.Event{
		toolsim.Join("backends:1", "web/0", map[string]string{"private-address": "10.0.0.1"}),
		toolsim.ChangeConfig(map[string]any{"debug": true}),
		toolsim.RemoveRelation("backends:1"),
	} {
		runs, err := s.Fire(ctx, charm, ev)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev, "->", runs.Names())
	}
	m, err := s.Model()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("state:", m.State)
	// Output:
	// join web/0 to backends:1 -> [backends-relation-joined backends-relation-changed]
	// change config debug -> [config-changed]
	// remove relation backends:1 -> [backends-relation-departed backends-relation-broken]
	// state: map[last-hook:backends-relation-broken]
}
