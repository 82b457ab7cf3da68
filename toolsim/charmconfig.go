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
	"strings"

	"github.com/juju/charm/v12"
	"gopkg.in/yaml.v2"
)

// charmConfig reads the options the charm in dir declares, as Juju does
// when it deploys it: config.yaml, or else the config section of
// charmcraft.yaml (the unified format of charmcraft 2.5+). A charm
// directory (one with metadata.yaml or charmcraft.yaml) without either
// declares no options. It returns nil when dir is "" or holds no charm:
// the model's config is then taken as it is.
func charmConfig(dir string) (*charm.Config, error) {
	if dir == "" {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	switch {
	case err == nil:
		cfg, err := charm.ReadConfig(strings.NewReader(string(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.yaml"), err)
		}
		return cfg, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	craft, err := os.ReadFile(filepath.Join(dir, "charmcraft.yaml"))
	switch {
	case err == nil:
		return craftConfig(filepath.Join(dir, "charmcraft.yaml"), craft)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata.yaml")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // not a charm directory
		}
		return nil, err
	}
	return charm.NewConfig(), nil
}

// craftConfig reads the config section of a charmcraft.yaml; none means
// no options.
func craftConfig(path string, data []byte) (*charm.Config, error) {
	var doc struct {
		Config any `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Config == nil {
		return charm.NewConfig(), nil
	}
	section, err := yaml.Marshal(doc.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", path, err)
	}
	cfg, err := charm.ReadConfig(strings.NewReader(string(section)))
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", path, err)
	}
	return cfg, nil
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
	if cfg != nil {
		maps.Copy(settings, cfg.DefaultSettings())
	}
	for k, v := range m.Config {
		if _, declared := settings[k]; v != nil || !declared {
			settings[k] = v
		}
	}
	return settings, nil
}

// cliValue is an option's value as written on hook-tool-sim's command
// line: text, read by the option's type when the charm declares it, as
// juju config does.
type cliValue string

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
		if raw, ok := v.(cliValue); ok {
			if v = configValue(string(raw)); v != nil && cfg != nil {
				v = string(raw) // parsed by its option's type below
			}
		}
		if cfg == nil || v == nil {
			if cfg != nil {
				if _, ok := cfg.Options[k]; !ok {
					return nil, unknownOption(k, cfg)
				}
			}
			out[k] = v
			continue
		}
		opt, ok := cfg.Options[k]
		if !ok {
			return nil, unknownOption(k, cfg)
		}
		if n, ok := v.(json.Number); ok {
			v = string(n) // a model file's number: its text, read by the option's type
		}
		var settings charm.Settings
		if s, isText := v.(string); isText && opt.Type != "string" && opt.Type != "secret" {
			settings, err = cfg.ParseSettingsStrings(map[string]string{k: s})
		} else {
			settings, err = cfg.ValidateSettings(charm.Settings{k: v})
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidModel, err)
		}
		out[k] = settings[k]
	}
	return out, nil
}

// unknownOption is the error for an option the charm does not declare.
func unknownOption(name string, cfg *charm.Config) error {
	declared := "none"
	if len(cfg.Options) > 0 {
		declared = strings.Join(slices.Sorted(maps.Keys(cfg.Options)), ", ")
	}
	return fmt.Errorf("%w: unknown option %q: the charm declares %s", ErrInvalidModel, name, declared)
}
