package toolsim

import (
	"maps"
	"slices"
	"strings"
)

// Juju's fixed limits for charm state (core/quota).
const (
	maxStateKeySize   = 256
	maxStateValueSize = 64 * 1024
)

func networkGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	rel := inv.relationOption(fs)
	var primary, bind, ingress, egress bool
	fs.boolVar(&primary, "primary-address")
	fs.boolVar(&bind, "bind-address")
	fs.boolVar(&ingress, "ingress-address")
	fs.boolVar(&egress, "egress-subnets")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(args) < 1 {
		return usageError("no arguments specified")
	}
	binding := args[0]
	if binding == "" {
		return usageError("no binding name specified")
	}
	if err := checkEmpty(args[1:]); err != nil {
		return err
	}
	ni, ok := inv.model.Network(*rel, binding)
	if !ok {
		return failure("no network config found for binding %q", binding)
	}
	var keys []string
	if bind {
		keys = append(keys, "bind-address")
	}
	if ingress {
		keys = append(keys, "ingress-address")
	}
	if egress {
		keys = append(keys, "egress-subnets")
	}
	if !primary && len(keys) == 0 {
		return out.write(inv, ni)
	}
	noAddr := failure("no addresses attached to space for binding %q", binding)
	first := ni.BindAddresses[0].Addresses
	if primary {
		if len(keys) > 0 {
			return failure("--primary-address must be the only flag specified")
		}
		if len(first) == 0 {
			return noAddr
		}
		return out.write(inv, first[0].Value)
	}
	values := map[string]any{}
	if egress {
		values["egress-subnets"] = ni.EgressSubnets
	}
	if ingress {
		switch {
		case len(ni.IngressAddresses) > 0:
			values["ingress-address"] = ni.IngressAddresses[0]
		case len(first) > 0:
			values["ingress-address"] = first[0].Value
		default:
			return noAddr
		}
	}
	if bind {
		if len(first) == 0 {
			return noAddr
		}
		values["bind-address"] = first[0].Value
	}
	if len(keys) == 1 {
		return out.write(inv, values[keys[0]])
	}
	return out.write(inv, values)
}

func unitGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageError("no setting specified")
	}
	var value, what string
	switch args[0] {
	case "private-address":
		value, what = inv.model.PrivateAddress, "private address"
	case "public-address":
		value, what = inv.model.PublicAddress, "public address"
	default:
		return usageError("unknown setting %q", args[0])
	}
	if err := checkEmpty(args[1:]); err != nil {
		return err
	}
	if value == "" {
		return failure("%s not found", what)
	}
	return out.write(inv, value)
}

func configGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	var all bool
	fs.boolVar(&all, "a", "all")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	var key string
	if len(args) > 0 {
		key = args[0]
		if key != "" && all {
			return usageError("cannot use argument --all together with key %q", key)
		}
		if err := checkEmpty(args[1:]); err != nil {
			return err
		}
	}
	config, err := inv.model.effectiveConfig()
	if err != nil {
		return failure("%v", err)
	}
	if key != "" {
		return out.write(inv, config[key])
	}
	settings := map[string]any{}
	for k, v := range config {
		if v != nil || all {
			settings[k] = v
		}
	}
	return out.write(inv, settings)
}

func stateGet(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	var strict bool
	fs.boolVar(&strict, "strict")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	key, args := keyArg(args)
	if err := checkEmpty(args); err != nil {
		return err
	}
	if key == "" {
		if len(inv.model.State) == 0 {
			return out.write(inv, nil) // Juju answers null, not {}
		}
		return out.write(inv, maps.Clone(inv.model.State))
	}
	value, ok := inv.model.State[key]
	if !ok && strict {
		return failure("%q not found", key)
	}
	return out.write(inv, value)
}

func stateSet(inv *invocation, args []string) error {
	fs := newFlagSet()
	var file string
	fs.stringVar(&file, "file")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	settings, err := parseKeyValues(args)
	if err != nil {
		return err
	}
	if settings, err = inv.mergeFile(file, settings); err != nil {
		return err
	}
	// In order, to report the same offending key every time.
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		if len(k) > maxStateKeySize {
			return failure("max allowed key length (%d) exceeded", maxStateKeySize)
		}
		if len(settings[k]) > maxStateValueSize {
			return failure("max allowed value length (%d) exceeded", maxStateValueSize)
		}
	}
	// Unlike relation-set, an empty value is stored as is: Juju's
	// state-set calls SetCharmStateValue(k, "") and only state-delete
	// removes a key.
	if inv.model.State == nil {
		inv.model.State = map[string]string{}
	}
	maps.Copy(inv.model.State, settings)
	inv.dirty = true
	return nil
}

// stateDelete removes one key. Like Juju's, it accepts no key or an empty
// one and then does nothing, and deleting a missing key is no error.
func stateDelete(inv *invocation, args []string) error {
	args, err := newFlagSet().parse(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return nil
	}
	if err := checkEmpty(args[1:]); err != nil {
		return err
	}
	if _, ok := inv.model.State[args[0]]; ok {
		delete(inv.model.State, args[0])
		inv.dirty = true
	}
	return nil
}

func jujuLog(inv *invocation, args []string) error {
	fs := newFlagSet()
	var (
		debug             bool
		level, formatFlag string
	)
	fs.boolVar(&debug, "debug")
	fs.stringVar(&level, "l", "log-level")
	fs.stringVar(&formatFlag, "format")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageError("no message specified")
	}
	if formatFlag != "" {
		inv.errOut.WriteString(`--format flag deprecated for command "juju-log"`)
	}
	lvl := logLevel(level)
	if debug {
		lvl = "DEBUG"
	}
	prefix := ""
	if key, err := inv.hookRelation(); err == nil && key != "" {
		prefix = key + ": "
	}
	inv.model.Log = append(inv.model.Log, lvl+" "+prefix+strings.Join(args, " "))
	inv.dirty = true
	return nil
}

// logLevel normalises a level name as loggo does; Juju logs an unknown
// level at INFO.
func logLevel(s string) string {
	switch l := strings.ToUpper(s); l {
	case "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL":
		return l
	case "WARN":
		return "WARNING"
	}
	return "INFO"
}

func isLeader(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	return out.write(inv, inv.model.Leader)
}

func statusSet(inv *invocation, args []string) error {
	fs := newFlagSet()
	var app bool
	fs.boolVar(&app, "application")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(args) < 1 {
		return usageError("invalid args, require <status> [message]")
	}
	switch args[0] {
	case "maintenance", "blocked", "waiting", "active":
	default:
		return usageError("invalid status %q, expected one of [maintenance blocked waiting active]", args[0])
	}
	st := &Status{Status: args[0]}
	if len(args) > 1 {
		st.Message = args[1]
		if err := checkEmpty(args[2:]); err != nil {
			return err
		}
	}
	// Juju sets a status at once (HookContext.SetUnitStatus and
	// SetApplicationStatus call the controller): a failing hook does not
	// take it back.
	if app {
		if !inv.model.Leader {
			return failure("this unit is not the leader")
		}
		inv.model.AppStatus = st
	} else {
		inv.model.Status = st
	}
	inv.dirty = true
	return nil
}
