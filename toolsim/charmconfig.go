package toolsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v2"

	"github.com/charmkit/httprelation/internal/simtool"
)

// charmOption is one option of a charm's config.yaml.
type charmOption struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
}

// charmOptions are the options a charm declares, read as Juju reads
// config.yaml. The simulator reads it itself, not through charm/v12:
// every hook tool is a hook-tool-sim process, and linking charm/v12 (and
// the network and cgo packages it brings) doubled what each call costs.
type charmOptions map[string]charmOption

// charmConfig reads the options the charm in dir declares, as Juju does
// when it deploys it: config.yaml, or else the config section of
// charmcraft.yaml (the unified format of charmcraft 2.5+). A charm
// directory (one with metadata.yaml or charmcraft.yaml) without either
// declares no options. It returns nil when dir is "" or holds no charm:
// the model's config is then taken as it is.
func charmConfig(dir string) (charmOptions, error) {
	if dir == "" {
		return nil, nil
	}
	path := filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		return readCharmOptions(path, data)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	path = filepath.Join(dir, "charmcraft.yaml")
	craft, err := os.ReadFile(path)
	switch {
	case err == nil:
		var doc struct {
			Config yaml.MapSlice `yaml:"config"`
		}
		if err := yaml.Unmarshal(craft, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		section, err := yaml.Marshal(doc.Config)
		if err != nil {
			return nil, fmt.Errorf("%s: config: %w", path, err)
		}
		return readCharmOptions(path+": config", section)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata.yaml")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // not a charm directory
		}
		return nil, err
	}
	return charmOptions{}, nil
}

// readCharmOptions parses config.yaml's text as Juju does: a type is one
// of string, int, float, boolean, secret (string when left out), and a
// default must be of its option's type.
func readCharmOptions(path string, data []byte) (charmOptions, error) {
	var doc struct {
		Options charmOptions `yaml:"options"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	opts := charmOptions{}
	for name, opt := range doc.Options {
		if opt.Type == "" {
			opt.Type = "string"
		}
		switch opt.Type {
		case "string", "int", "float", "boolean", "secret":
		default:
			return nil, fmt.Errorf("%s: option %q has unknown type %q", path, name, opt.Type)
		}
		def, err := opt.coerce(name, opt.Default)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid config default: %w", path, err)
		}
		opt.Default = def
		opts[name] = opt
	}
	return opts, nil
}

// coerce checks that v is of the option's type, as juju config does, and
// returns it as Juju stores it: int64 for int, float64 for float.
func (opt charmOption) coerce(name string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch opt.Type {
	case "string", "secret":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "int":
		switch n := v.(type) {
		case int:
			return int64(n), nil
		case int64:
			return n, nil
		}
	case "float":
		switch n := v.(type) {
		case float64:
			return n, nil
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		}
	case "boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("option %q expected %s, got %#v", name, opt.Type, v)
}

// parse reads an option's value from text, as juju config reads its
// command line.
func (opt charmOption) parse(name, text string) (any, error) {
	var (
		v   any
		err error
	)
	switch opt.Type {
	case "int":
		v, err = strconv.ParseInt(text, 10, 64)
	case "float":
		v, err = strconv.ParseFloat(text, 64)
	case "boolean":
		v, err = strconv.ParseBool(text)
	default:
		return text, nil
	}
	if err != nil {
		return nil, fmt.Errorf("option %q expected %s, got %q", name, opt.Type, text)
	}
	return v, nil
}

// effectiveConfig is what config-get answers from: the charm's defaults
// (every declared option, nil when it has no default), overlaid with the
// options set in the model, as Juju merges the operator's settings over
// the charm's config.yaml. A null in the model is an option not set, as
// Juju's settings never hold one: the default shows through.
func (m *Model) effectiveConfig() (map[string]any, error) {
	cfg, err := charmConfig(m.CharmDir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the charm's config: %w", err)
	}
	settings := map[string]any{}
	for name, opt := range cfg {
		settings[name] = opt.Default
	}
	for k, v := range m.Config {
		if _, declared := settings[k]; v != nil || !declared {
			settings[k] = v
		}
	}
	return settings, nil
}

// configChanges checks the options an event sets against the charm's
// config, as juju config does, and returns what to store: values of the
// option's type, nil to reset an option to its default.
func configChanges(dir string, changes map[string]any) (map[string]any, error) {
	cfg, err := charmConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the charm's config: %w", err)
	}
	out := make(map[string]any, len(changes))
	for k, v := range changes {
		if raw, ok := v.(simtool.ConfigText); ok {
			if v = configValue(string(raw)); v != nil && cfg != nil {
				v = string(raw) // parsed by its option's type below
			}
		}
		opt, declared := cfg[k]
		if cfg != nil && !declared {
			return nil, unknownOption(k, cfg)
		}
		if cfg == nil || v == nil {
			out[k] = v
			continue
		}
		if n, ok := v.(json.Number); ok {
			v = string(n) // a model file's number: its text, read by the option's type
		}
		if s, isText := v.(string); isText && opt.Type != "string" && opt.Type != "secret" {
			v, err = opt.parse(k, s)
		} else {
			v, err = opt.coerce(k, v)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidModel, err)
		}
		out[k] = v
	}
	return out, nil
}

// unknownOption is the error for an option the charm does not declare.
func unknownOption(name string, cfg charmOptions) error {
	declared := "none"
	if len(cfg) > 0 {
		declared = strings.Join(slices.Sorted(maps.Keys(cfg)), ", ")
	}
	return fmt.Errorf("%w: unknown option %q: the charm declares %s", ErrInvalidModel, name, declared)
}

// configValue reads an option's value as JSON (8080, true, null,
// "quoted"), or else as text.
func configValue(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	switch v.(type) {
	case map[string]any, []any:
		return s // options are scalars
	}
	return v
}
