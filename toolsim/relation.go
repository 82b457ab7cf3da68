package toolsim

import (
	"errors"
	"maps"
	"slices"
	"sort"

	"gopkg.in/yaml.v2"

	"github.com/charmkit/httprelation/internal/relationid"
	"github.com/charmkit/httprelation/internal/simtool"
)

// hookRelation is the relation of the running hook (JUJU_RELATION_ID), ""
// outside relation hooks. An id the model does not know is reported rather
// than ignored: it is a mistake in the simulation's setup.
func (inv *invocation) hookRelation() (string, error) {
	id := inv.hook().RelationID
	if id == "" {
		return "", nil
	}
	if key, found := inv.model.findRelation(id); found {
		return key, nil
	}
	return "", failure("JUJU_RELATION_ID %q names no relation of the model", id)
}

// hook is the running hook: the one the environment describes, else the
// model's.
func (inv *invocation) hook() Hook {
	if h, ok := hookFromEnv(inv.getenv); ok {
		return h
	}
	return inv.model.Hook
}

// relationOption adds -r/--relation; its value is the relation's model key,
// "" when the option was not given.
func (inv *invocation) relationOption(fs *flagSet) *string {
	key := new(string)
	fs.funcVar(func(v string) error {
		n, ok := relationid.Number(v)
		if !ok {
			return errors.New("invalid relation id")
		}
		k, found := relationid.WithNumber(inv.model.Relations, n)
		if !found {
			return errors.New("relation not found")
		}
		*key = k
		return nil
	}, "r", "relation")
	return key
}

// relationOrHook resolves the relation to act on: -r, else the hook's.
func (inv *invocation) relationOrHook(key string) (string, error) {
	if key != "" {
		return key, nil
	}
	key, err := inv.hookRelation()
	if err != nil {
		return "", err
	}
	if key == "" {
		return "", usageError("no relation id specified")
	}
	return key, nil
}

func relationIDs(inv *invocation, args []string) error {
	fs := newFlagSet()
	out := addOutputFlags(fs)
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	var name string
	if len(args) > 0 {
		name, args = args[0], args[1:]
	} else {
		key, err := inv.hookRelation()
		if err != nil {
			return err
		}
		if name = relationid.Endpoint(key); name == "" {
			return usageError("no relation name specified")
		}
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	return out.write(inv, relationid.OnEndpoint(inv.model.Relations, name))
}

// readOptions parses what relation-list and relation-get share: the output
// format, the relation (-r, else the hook's) and --app. It returns the
// remaining arguments.
func (inv *invocation) readOptions(args []string) (out *output, key string, app bool, rest []string, err error) {
	fs := newFlagSet()
	out = addOutputFlags(fs)
	rel := inv.relationOption(fs)
	fs.boolVar(&app, "app")
	if rest, err = fs.parse(args); err != nil {
		return nil, "", false, nil, err
	}
	if key, err = inv.relationOrHook(*rel); err != nil {
		return nil, "", false, nil, err
	}
	return out, key, app, rest, nil
}

func relationList(inv *invocation, args []string) error {
	out, key, listApp, args, err := inv.readOptions(args)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	r := inv.model.Relations[key]
	if listApp {
		return out.write(inv, r.RemoteApp)
	}
	names, err := inv.unitNames(key)
	if err != nil {
		return err
	}
	return out.write(inv, listed(inv.model, inv.hook(), key, names))
}

// listed is what relation-list answers in hook h for the relation key
// whose remote units are names: sorted, without the unit leaving in a
// relation-departed hook (Juju 3 no longer lists it, though its bag stays
// readable) and empty in the relation's relation-broken hook.
func listed(m *Model, h Hook, key string, names []string) []string {
	units := []string{}
	if h.is(m, key, kindBroken) {
		return units
	}
	departing := h.is(m, key, kindDeparted)
	for _, u := range names {
		if departing && (u == h.DepartingUnit || u == h.RemoteUnit) {
			continue
		}
		units = append(units, u)
	}
	sort.Strings(units)
	return units
}

// ListedUnits is what relation-list answers for relationID in the model's
// hook: the relation's remote units, sorted, less the one leaving in a
// relation-departed hook, and none in the relation's relation-broken
// hook. A relation the model does not have lists nothing.
func (m *Model) ListedUnits(relationID string) []string {
	key, ok := m.findRelation(relationID)
	if !ok {
		return []string{}
	}
	return listed(m, m.Hook, key, slices.Collect(maps.Keys(m.Relations[key].Units)))
}

// Network is what network-get answers for binding, or for the relation
// relationID (a model key, or "" for none) when the relation has a network
// of its own. It reports false when network-get finds no network config.
func (m *Model) Network(relationID, binding string) (Network, bool) {
	n, ok := m.Networks[binding]
	if r, found := m.Relations[relationID]; found && r.Network != nil {
		n, ok = *r.Network, true
	}
	return n, ok && len(n.BindAddresses) > 0
}

func relationGet(inv *invocation, args []string) error {
	out, key, app, args, err := inv.readOptions(args)
	if err != nil {
		return err
	}
	settingKey, args := keyArg(args)
	name, app, args, err := inv.unitOrApp(app, args)
	if err != nil {
		return err
	}
	if err := checkEmpty(args); err != nil {
		return err
	}
	bag, err := inv.readBag(key, name, app)
	if err != nil {
		return err
	}
	return out.writeKey(inv, bag, settingKey)
}

// unitOrApp picks whose bag relation-get reads, with Juju's defaults: the
// named unit or application, else the remote unit of the hook, else its
// remote application (as in broken hooks, which have no remote unit).
func (inv *invocation) unitOrApp(app bool, args []string) (string, bool, []string, error) {
	if len(args) > 0 {
		name := args[0]
		if app && appOf(name) != "" {
			name = appOf(name) // --app with a unit name means its application
		}
		if !app && !validUnit.MatchString(name) {
			if validApp.MatchString(name) {
				return "", false, nil, usageError("expected unit name, got application name %q", name)
			}
			return "", false, nil, usageError("invalid unit name %q", name)
		}
		return name, app, args[1:], nil
	}
	h := inv.hook()
	remoteApp := h.RemoteApp
	if app {
		if remoteApp == "" {
			return "", false, nil, usageError("no unit or application specified")
		}
		return remoteApp, true, args, nil
	}
	if u := h.RemoteUnit; u != "" {
		return u, false, args, nil
	}
	if remoteApp != "" {
		return remoteApp, true, args, nil
	}
	return "", false, nil, usageError("no unit or application specified")
}

// readBag returns a copy of a data bag, applying Juju's access rules.
func (inv *invocation) readBag(key, name string, app bool) (map[string]string, error) {
	r := inv.model.Relations[key]
	local := inv.unitName()
	switch {
	case app && name == appOf(local):
		if !inv.model.Leader {
			return nil, failure("permission denied")
		}
		return copyBag(r.LocalApp), nil
	case app && name == r.RemoteApp:
		return copyBag(r.App), nil
	case app:
		return nil, failure("permission denied")
	case name == local:
		return copyBag(r.Local), nil
	}
	if a := appOf(name); a == "" || (a != r.RemoteApp && a != appOf(local)) {
		return nil, failure("permission denied")
	}
	bag, ok, err := inv.unitBag(key, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, failure("cannot read settings for unit %q in relation %q: unit %q: settings not found",
			name, appOf(local)+":"+relationid.Endpoint(key)+" "+r.RemoteApp+":"+r.RemoteEndpoint, name)
	}
	return copyBag(bag), nil
}

// unitNames lists the remote units of the relation key, in no order.
func (inv *invocation) unitNames(key string) ([]string, error) {
	if inv.snap != nil {
		return inv.snap.unitNames(key)
	}
	return slices.Collect(maps.Keys(inv.model.Relations[key].Units)), nil
}

// unitBag returns the bag of a remote unit of the relation key, and false
// if the unit is not in the relation. It is the one place that reads a
// remote unit's bag, so that a snapshot reads only that bag.
func (inv *invocation) unitBag(key, name string) (map[string]string, bool, error) {
	if inv.snap != nil {
		return inv.snap.unitBag(key, name)
	}
	bag, ok := inv.model.Relations[key].Units[name]
	return bag, ok, nil
}

// copyBag never returns nil, so an empty bag prints as {} and not null.
func copyBag(bag map[string]string) map[string]string {
	if bag == nil {
		return map[string]string{}
	}
	return maps.Clone(bag)
}

func relationSet(inv *invocation, args []string) error {
	fs := newFlagSet()
	rel := inv.relationOption(fs)
	var (
		app              bool
		file, formatFlag string
	)
	fs.boolVar(&app, "app")
	fs.stringVar(&file, "file")
	fs.stringVar(&formatFlag, "format")
	args, err := fs.parse(args)
	if err != nil {
		return err
	}
	key, err := inv.relationOrHook(*rel)
	if err != nil {
		return err
	}
	settings, err := parseKeyValues(args)
	if err != nil {
		return err
	}
	if formatFlag != "" {
		inv.errOut.WriteString(`--format flag deprecated for command "relation-set"`)
	}
	if settings, err = inv.mergeFile(file, settings); err != nil {
		return err
	}
	r := inv.model.Relations[key]
	if app {
		if !inv.model.Leader {
			return failure("cannot write relation settings")
		}
		r.LocalApp = applySettings(r.LocalApp, settings)
	} else {
		r.Local = applySettings(r.Local, settings)
	}
	inv.model.Relations[key] = r
	inv.dirty = true
	return nil
}

// parseKeyValues parses key=value arguments (see simtool.KeyValues); a
// malformed one is a usage error.
func parseKeyValues(args []string) (map[string]string, error) {
	kvs, err := simtool.KeyValues(args)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return kvs, nil
}

// mergeFile reads a --file YAML map (scalars kept as written, so yes and
// 0755 stay text) and lays the key=value arguments over it.
func (inv *invocation) mergeFile(path string, overrides map[string]string) (map[string]string, error) {
	if path == "" {
		return overrides, nil
	}
	data, err := inv.readInput(path)
	if err != nil {
		return nil, err
	}
	kvs := map[string]string{}
	if err := yaml.Unmarshal(data, &kvs); err != nil {
		return nil, failure("%v", err)
	}
	maps.Copy(kvs, overrides)
	return kvs, nil
}

// applySettings sets keys and deletes those set to "": Juju never stores
// an empty value.
func applySettings(bag, settings map[string]string) map[string]string {
	if bag == nil {
		bag = map[string]string{}
	}
	for k, v := range settings {
		if v == "" {
			delete(bag, k)
		} else {
			bag[k] = v
		}
	}
	return bag
}
