package toolsim

import (
	"strings"

	"github.com/juju/utils/v3/keyvalues"
)

// The tools below are the ones a charm calls beyond relations, config and
// state. Each follows its command in Juju 3's
// worker/uniter/runner/jujuc: flags, argument checks (usage errors, exit
// 2) and the errors of the hook context (exit 1).

// applicationVersionSet sets the workload version. Juju sets it at once
// (HookContext.SetUnitWorkloadVersion calls the controller), so a failing
// hook does not take it back.
func applicationVersionSet(inv *invocation, args []string) error {
	args, err := newFlagSet().parse(args)
	if err != nil {
		return err
	}
	if len(args) < 1 {
		return usageError("no version specified")
	}
	if err := checkEmpty(args[1:]); err != nil {
		return err
	}
	inv.model.WorkloadVersion = args[0]
	inv.dirty = true
	return nil
}

// openPort and closePort record a port range for every endpoint or for
// those --endpoints names. Juju commits them with the hook (HookContext
// Flush), so a failing hook's are taken back (see Model.RestoreWrites);
// opened-ports shows them at once, as Juju merges pending changes.
func openPort(inv *invocation, args []string) error  { return portCommand(inv, args, true) }
func closePort(inv *invocation, args []string) error { return portCommand(inv, args, false) }

func portCommand(inv *invocation, args []string, open bool) error {
	fs := newFlagSet()
	var formatFlag, endpoints string
	fs.stringVar(&formatFlag, "format")
	fs.stringVar(&endpoints, "endpoints")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageError("no port or range specified")
	}
	pr, err := parsePortRange(strings.ToLower(args[0]))
	if err != nil {
		return usageError("%v", err)
	}
	if err := checkEmpty(args[1:]); err != nil {
		return err
	}
	if formatFlag != "" {
		inv.errOut.WriteString(`--format flag deprecated for command "` + inv.tool + `"`)
	}
	targets := []string{allEndpoints}
	if endpoints != "" {
		targets = nil
		for _, e := range strings.Split(endpoints, ",") {
			if e = strings.TrimSpace(e); e == "" {
				e = allEndpoints // Juju's "" endpoint: all of them
			}
			targets = append(targets, e)
		}
	}
	unit := inv.unitName()
	for _, endpoint := range targets {
		change := inv.model.closePortRange
		if open {
			change = inv.model.openPortRange
		}
		changed, err := change(unit, endpoint, pr)
		if err != nil {
			return err
		}
		inv.dirty = inv.dirty || changed
	}
	return nil
}

func openedPorts(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	var showEndpoints bool
	fs.boolVar(&showEndpoints, "endpoints")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	ranges, byRange, err := inv.model.openedRanges()
	if err != nil {
		return failure("%v", err)
	}
	results := make([]string, len(ranges))
	for i, pr := range ranges {
		results[i] = pr.String()
		if showEndpoints {
			results[i] += " (" + strings.Join(byRange[pr], ", ") + ")"
		}
	}
	return out.write(inv, results)
}

// statusGet prints the unit's status, or with --application the
// application's and its units'. Like the recorded Juju, it answers
// --application on any unit (see docs/simulator.md).
func statusGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	var includeData, application bool
	fs.boolVar(&includeData, "include-data")
	fs.boolVar(&application, "application")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	unit := statusOrEmpty(inv.model.Status)
	if !application {
		if !includeData && out.format == "smart" {
			return out.write(inv, unit.Status)
		}
		return out.write(inv, statusDetails(unit, includeData))
	}
	app := statusOrEmpty(inv.model.AppStatus)
	if !includeData && out.format == "smart" {
		return out.write(inv, app.Status)
	}
	details := statusDetails(app, includeData)
	units := map[string]any{}
	if inv.model.Status != nil {
		units[inv.unitName()] = statusDetails(unit, includeData)
	}
	details["units"] = units
	return out.write(inv, map[string]any{"application-status": details})
}

func statusOrEmpty(st *Status) Status {
	if st == nil {
		return Status{}
	}
	return *st
}

// statusDetails is Juju's toDetails: the status, and with data its
// message and (always empty: status-set takes no data) status-data.
func statusDetails(st Status, includeData bool) map[string]any {
	details := map[string]any{"status": st.Status}
	if includeData {
		details["message"] = st.Message
		details["status-data"] = map[string]any{}
	}
	return details
}

// goalStatus is one unit's entry in goal-state's output; the simulator
// has no clock, so it leaves out Juju's "since".
type goalStatus struct {
	Status string `json:"status" yaml:"status"`
}

// goalStateOutput is goal-state's output, in Juju's field order.
type goalStateOutput struct {
	Units     map[string]goalStatus            `json:"units" yaml:"units"`
	Relations map[string]map[string]goalStatus `json:"relations" yaml:"relations"`
}

func goalState(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addFormatFlags(fs, "yaml", "yaml", "json")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	units := func(in map[string]string) map[string]goalStatus {
		out := make(map[string]goalStatus, len(in))
		for name, st := range in {
			out[name] = goalStatus{Status: st}
		}
		return out
	}
	gs := goalStateOutput{Units: units(inv.model.GoalUnits), Relations: map[string]map[string]goalStatus{}}
	for endpoint, us := range inv.model.GoalRelations {
		gs.Relations[endpoint] = units(us)
	}
	return out.write(inv, gs)
}

func leaderGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	key, args := keyArg(args)
	if strings.Contains(key, "=") {
		return usageError("invalid key %q", key)
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	return out.writeKey(inv, copyBag(inv.model.LeaderSettings), key)
}

// leaderSet merges settings into the leader settings; "" deletes a key.
// Juju writes them at once (leadershipContext.WriteLeaderSettings calls
// the controller), so a failing hook does not take them back.
func leaderSet(inv *invocation, args []string) error {
	args, err := newFlagSet().parse(args)
	if err != nil {
		return err
	}
	// Unlike relation-set's, Juju's leader-set parses its arguments with
	// juju/utils' keyvalues: keys and values trimmed, "" arguments skipped.
	settings, err := keyvalues.Parse(args, true)
	if err != nil {
		return usageError("%v", err)
	}
	if !inv.model.Leader {
		return failure("cannot write leadership settings: cannot write settings: not the leader")
	}
	inv.model.LeaderSettings = applySettings(inv.model.LeaderSettings, settings)
	inv.dirty = true
	return nil
}

// modelDetails is relation-model-get's output.
type modelDetails struct {
	UUID string `json:"uuid" yaml:"uuid"`
}

func relationModelGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	rel := inv.relationOption(fs)
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	key, err := inv.relationOrHook(*rel)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	uuid := inv.model.Relations[key].RemoteModelUUID
	if uuid == "" {
		if uuid = inv.getenv("JUJU_MODEL_UUID"); uuid == "" {
			uuid = modelUUID // a relation within the simulated model
		}
	}
	return out.write(inv, modelDetails{UUID: uuid})
}

// notSimulated answers a Juju hook tool the simulator does not implement:
// an error, never a silent success or a missing command.
func notSimulated(inv *invocation, _ []string) error {
	return failure("%s is a Juju hook tool that hook-tool-sim does not simulate (see docs/simulator.md)", inv.tool)
}
