package toolsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v2"
)

// exitError carries the exit status Juju's command runner uses: 2 for bad
// options or arguments, 1 for a failure while running.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageError(format string, a ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, a...)}
}

func failure(format string, a ...any) error {
	return &exitError{code: 1, msg: fmt.Sprintf(format, a...)}
}

// errHelp asks for the usage text (-h, --help), which exits 0.
var errHelp = errors.New("help requested")

// flagSet parses options the way Juju's gnuflag does: options and
// positional arguments may be interspersed, "--" ends the options, a long
// option takes "--name=value" or "--name value", a short one "-r value",
// "-rvalue" or "-r=value", a boolean one no value unless written
// "--name=value", and a lone "-" or "" is positional. One leniency:
// gnuflag gives "-r=value" the value "=value", which Juju's -r accepts
// for "-r=endpoint:N" but refuses for "-r=N"; the simulator takes "value",
// as package hooktools passes "-r=ID" (see docs/simulator.md).
type flagSet struct {
	defs map[string]flagDef
}

type flagDef struct {
	isBool bool
	set    func(string) error
}

func newFlagSet() *flagSet { return &flagSet{defs: map[string]flagDef{}} }

func (fs *flagSet) boolVar(p *bool, names ...string) {
	set := func(v string) error {
		b, err := strconv.ParseBool(v)
		*p = b
		return err // gnuflag reports strconv's error as it is
	}
	for _, n := range names {
		fs.defs[n] = flagDef{isBool: true, set: set}
	}
}

func (fs *flagSet) stringVar(p *string, names ...string) {
	fs.funcVar(func(v string) error { *p = v; return nil }, names...)
}

func (fs *flagSet) funcVar(set func(string) error, names ...string) {
	for _, n := range names {
		fs.defs[n] = flagDef{set: set}
	}
}

// parse applies the options in args and returns the positional arguments.
func (fs *flagSet) parse(args []string) ([]string, error) {
	pos := []string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case len(a) < 2 || a[0] != '-':
			pos = append(pos, a)
		case a[1] == '-':
			name, val, hasVal := strings.Cut(a[2:], "=")
			if hasVal && name == "" {
				return nil, usageError("empty option in argument %q", a)
			}
			used, err := fs.apply(name, val, hasVal, args[i+1:])
			if err != nil {
				return nil, err
			}
			i += used
		default:
			used, err := fs.applyShort(a[1:], args[i+1:])
			if err != nil {
				return nil, err
			}
			i += used
		}
	}
	return pos, nil
}

// applyShort handles a cluster of one-letter options ("-ab", "-rvalue").
// As in gnuflag, the rest of the cluster is the value of the first option
// that is not a boolean, and a boolean followed by "=" takes the rest as
// its value too, "=" included: "-r=4" is the relation id "=4", which
// Juju refuses, while "-r=website:4" is read by its number.
func (fs *flagSet) applyShort(cluster string, next []string) (int, error) {
	for cluster != "" {
		_, size := utf8.DecodeRuneInString(cluster)
		name := cluster[:size]
		cluster = cluster[size:]
		if d, ok := fs.defs[name]; ok && d.isBool && !strings.HasPrefix(cluster, "=") {
			if err := d.set("true"); err != nil {
				return 0, err
			}
			continue
		}
		if cluster != "" {
			return fs.apply(name, cluster, true, next)
		}
		return fs.apply(name, "", false, next)
	}
	return 0, nil
}

// apply sets one option and reports how many of the following arguments
// it consumed as its value.
func (fs *flagSet) apply(name, val string, hasVal bool, next []string) (int, error) {
	d, ok := fs.defs[name]
	if !ok {
		if name == "h" || name == "help" {
			return 0, errHelp
		}
		return 0, usageError("option provided but not defined: %s", withMinus(name))
	}
	used := 0
	switch {
	case d.isBool && !hasVal:
		val = "true"
	case !hasVal && len(next) > 0:
		val, used = next[0], 1
	case !hasVal:
		return 0, usageError("option needs an argument: %s", withMinus(name))
	}
	if err := d.set(val); err != nil {
		return 0, usageError("invalid value %q for option %s: %v", val, withMinus(name), err)
	}
	return used, nil
}

func withMinus(name string) string {
	if utf8.RuneCountInString(name) > 1 {
		return "--" + name
	}
	return "-" + name
}

// checkEmpty rejects left-over positional arguments as Juju's commands do.
func checkEmpty(args []string) error {
	if len(args) > 0 {
		return usageError("unrecognized args: %q", args)
	}
	return nil
}

// keyArg takes the optional key argument of a get tool off args: "" when
// there is none, or when it is "-", which means every key.
func keyArg(args []string) (key string, rest []string) {
	if len(args) == 0 {
		return "", args
	}
	if args[0] == "-" {
		return "", args[1:]
	}
	return args[0], args[1:]
}

// output holds the --format and -o options shared by the reading tools.
type output struct {
	format string
	path   string
}

// addOutputFlags adds --format (json, yaml or smart: Juju's
// cmd.DefaultFormatters, smart by default) and -o/--output.
func addOutputFlags(fs *flagSet) *output {
	return addFormatFlags(fs, "smart", "json", "yaml", "smart")
}

// addFormatFlags adds --format, taking one of formats, and -o/--output.
func addFormatFlags(fs *flagSet, defaultFormat string, formats ...string) *output {
	o := &output{format: defaultFormat}
	fs.funcVar(func(v string) error {
		if slices.Contains(formats, v) {
			o.format = v
			return nil
		}
		return fmt.Errorf("unknown format %q", v)
	}, "format")
	fs.stringVar(&o.path, "o", "output")
	return o
}

// write renders v and sends it to stdout or the -o file. Like Juju, a
// non-empty rendering gets a trailing newline and an empty one prints
// nothing at all.
func (o *output) write(inv *invocation, v any) error {
	var (
		b   []byte
		err error
	)
	switch o.format {
	case "json":
		b, err = json.Marshal(v)
	case "yaml":
		b, err = formatYAML(v)
	default:
		b, err = formatSmart(v)
	}
	if err != nil {
		return failure("%v", err)
	}
	if len(b) > 0 {
		b = append(b, '\n')
	}
	if o.path != "" {
		if err := os.WriteFile(o.path, b, 0o644); err != nil {
			return failure("%v", err)
		}
		return nil
	}
	inv.out.Write(b)
	return nil
}

// writeKey writes what relation-get and leader-get print for key: the
// whole of settings when key is "", else the key's value, or nil (null,
// or nothing in the smart format) when settings lack it.
func (o *output) writeKey(inv *invocation, settings map[string]string, key string) error {
	if key == "" {
		return o.write(inv, settings)
	}
	if v, ok := settings[key]; ok {
		return o.write(inv, v)
	}
	return o.write(inv, nil)
}

// formatSmart prints strings bare, string lists one per line, booleans as
// Python does (True/False) and everything else as YAML.
func formatSmart(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	case json.Number:
		return []byte(x), nil
	case []string:
		return []byte(strings.Join(x, "\n")), nil
	case bool:
		if x {
			return []byte("True"), nil
		}
		return []byte("False"), nil
	case Network:
		return formatYAML(networkYAML(x))
	}
	return formatYAML(v)
}

func formatYAML(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if n, ok := v.(Network); ok {
		v = networkYAML(n)
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b, nil
}

// Juju's YAML rendering of network-get also carries the deprecated field
// names next to the current ones.
type yamlNetwork struct {
	BindAddresses    []yamlBind `yaml:"bind-addresses,omitempty"`
	EgressSubnets    []string   `yaml:"egress-subnets,omitempty"`
	IngressAddresses []string   `yaml:"ingress-addresses,omitempty"`
}

type yamlBind struct {
	MACAddress       string     `yaml:"mac-address"`
	InterfaceName    string     `yaml:"interface-name"`
	Addresses        []yamlAddr `yaml:"addresses"`
	OldMACAddress    string     `yaml:"macaddress"`
	OldInterfaceName string     `yaml:"interfacename"`
}

type yamlAddr struct {
	Hostname   string `yaml:"hostname"`
	Value      string `yaml:"value"`
	CIDR       string `yaml:"cidr"`
	OldAddress string `yaml:"address"`
}

func networkYAML(n Network) yamlNetwork {
	y := yamlNetwork{EgressSubnets: n.EgressSubnets, IngressAddresses: n.IngressAddresses}
	for _, b := range n.BindAddresses {
		yb := yamlBind{
			MACAddress: b.MACAddress, InterfaceName: b.InterfaceName,
			OldMACAddress: b.MACAddress, OldInterfaceName: b.InterfaceName,
		}
		for _, a := range b.Addresses {
			yb.Addresses = append(yb.Addresses, yamlAddr{Hostname: a.Hostname, Value: a.Value, CIDR: a.CIDR, OldAddress: a.Value})
		}
		y.BindAddresses = append(y.BindAddresses, yb)
	}
	return y
}
