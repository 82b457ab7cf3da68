package hooktools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/charmkit/httprelation/internal/badchar"
)

var (
	// ErrInvalidConfig reports an option value the charm cannot use,
	// which the operator must fix: of another type than config.yaml
	// declares, or an option config.yaml does not declare. A charm may
	// wrap it for values it refuses itself (a port out of range), so
	// that one errors.Is tells every such mistake.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrConfigUnset reports an option that has no value and whose
	// config.yaml declares no default.
	ErrConfigUnset = errors.New("config option unset")
)

// Config is the charm's configuration as config-get gives it, with the
// defaults of the charm's config.yaml for options it prints as null or
// leaves out. Its getters check each value against the option's type as
// config.yaml declares it; Juju's values never fail them, but a hook
// must not act on a guess when they do. The zero Config holds no option.
type Config struct {
	values   map[string]json.RawMessage
	declared charmOptions
}

// Config returns the charm's configuration: one config-get --all for
// the unit's Tools, and the options its config.yaml (or the config
// section of charmcraft.yaml) declares, read from the unit's charm
// directory; both are kept for the hook. When the charm directory holds
// no charm, config-get's answer is taken as it is: options are not
// checked against declarations, and one printed as null is unset.
//
// Juju's config-get --all prints every option the charm declares, with
// its default where the operator set no value, and null for an option
// with neither (worker/uniter/runner/jujuc/config-get.go over the
// charm's DefaultSettings); so Juju's null is an option without a
// default, and config.yaml's default fills in only for a tool that
// leaves defaults out.
func (t *Tools) Config(ctx context.Context) (Config, error) {
	const tool = "config-get"
	c, err := t.caller(tool)
	if err != nil {
		return Config{}, err
	}
	return t.config.get(ctx, t.charmDir, func() (Config, error) {
		declared, err := readCharmOptions(t.charmDir)
		if err != nil {
			return Config{}, err
		}
		out, err := c.run(ctx, tool, []string{"--format=json", "--all"}, nil)
		if err != nil {
			return Config{}, err
		}
		if err := checkNotBlank(tool, out); err != nil {
			return Config{}, err
		}
		var values map[string]json.RawMessage
		if err := json.Unmarshal(out, &values); err != nil {
			return Config{}, newParseError(tool, out, err)
		}
		if values == nil {
			return Config{}, newParseError(tool, out, errors.New("null, not an object (Juju prints {} for a charm without options)"))
		}
		if len(values) != countMembers(out) {
			return Config{}, newParseError(tool, out, fmt.Errorf("key %s appears twice", badchar.Quote(repeatedKey(out))))
		}
		return Config{values: values, declared: declared}, nil
	})
}

// Int returns the value of the int option name.
func (c Config) Int(name string) (int, error) {
	raw, err := c.lookup(name, "int")
	if err != nil {
		return 0, err
	}
	// Juju prints an int as digits alone: 8080.0 or 8e3 is not one.
	n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
	if err != nil {
		return 0, invalidValue(name, "an int", raw)
	}
	return int(n), nil
}

// Float returns the value of the float option name. A whole number
// counts: Juju prints the float 2 as 2.
func (c Config) Float(name string) (float64, error) {
	raw, err := c.lookup(name, "float")
	if err != nil {
		return 0, err
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, invalidValue(name, "a float", raw)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil { // past float64's range
		return 0, invalidValue(name, "a float", raw)
	}
	return f, nil
}

// Bool returns the value of the boolean option name.
func (c Config) Bool(name string) (bool, error) {
	raw, err := c.lookup(name, "boolean")
	if err != nil {
		return false, err
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidValue(name, "a boolean", raw)
}

// String returns the value of the string (or secret) option name.
func (c Config) String(name string) (string, error) {
	raw, err := c.lookup(name, "string")
	if err != nil {
		return "", err
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", invalidValue(name, "a string", raw)
	}
	return s, nil
}

// lookup returns the JSON value of option name, or of its default when
// config-get prints it as null or leaves it out, after checking that the
// charm declares the option with type typ.
func (c Config) lookup(name, typ string) (json.RawMessage, error) {
	opts := c.declared.options
	if opts != nil {
		opt, ok := opts[name]
		if !ok {
			declared := "none"
			if len(opts) > 0 {
				declared = strings.Join(slices.Sorted(maps.Keys(opts)), ", ")
			}
			return nil, fmt.Errorf("%w: option %s is not declared in %s, which declares %s",
				ErrInvalidConfig, badchar.Quote(name), c.declared.file, declared)
		}
		if declaredType := opt.Type; declaredType != typ && !(typ == "string" && declaredType == "secret") {
			return nil, fmt.Errorf("%w: option %s is declared with type %s in %s, not %s",
				ErrInvalidConfig, badchar.Quote(name), declaredType, c.declared.file, typ)
		}
	}
	if raw := c.values[name]; len(raw) > 0 && string(raw) != "null" {
		return raw, nil
	}
	def := opts[name].Default
	if def == nil {
		return nil, fmt.Errorf("%w: option %s has no value and no default", ErrConfigUnset, badchar.Quote(name))
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("option %s: default %v in %s: %w", badchar.Quote(name), def, c.declared.file, err)
	}
	return raw, nil
}

// invalidValue is the error for a value of option name that is not what
// the option's type wants: want, "an int" say.
func invalidValue(name, want string, raw json.RawMessage) error {
	got := jsonKind(raw) + " " + badchar.Quote(string(raw))
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		got = "the string " + badchar.Quote(s)
	}
	return fmt.Errorf("%w: option %s: want %s, got %s", ErrInvalidConfig, badchar.Quote(name), want, got)
}
