package hooktools

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/juju/charm/v12"
	"gopkg.in/yaml.v2"
)

// charmOptions are the options a charm declares, with its defaults, and
// the file that declares them, for errors.
type charmOptions struct {
	options map[string]charm.Option
	file    string
}

// readCharmOptions reads the options the charm in dir declares, with
// Juju's own parser (charm.ReadConfig: types, and defaults of their
// option's type): config.yaml, or else the config section of
// charmcraft.yaml (the unified format of charmcraft 2.5+, which
// charmcraft pack turns into config.yaml). A charm directory without
// either (one with metadata.yaml) declares no options. When dir is "" or
// holds no charm, the options are unknown: options is nil, and config-get's
// answer is taken as it is.
func readCharmOptions(dir string) (charmOptions, error) {
	if dir == "" {
		return charmOptions{}, nil
	}
	for _, name := range []string{"config.yaml", "charmcraft.yaml", "metadata.yaml"} {
		file := filepath.Join(dir, name)
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return charmOptions{}, fmt.Errorf("read the charm's options: %w", err)
		}
		opts := map[string]charm.Option{}
		switch name {
		case "config.yaml":
			opts, err = parseOptions(data)
		case "charmcraft.yaml":
			file += ": config"
			if data, err = configSection(data); err == nil && data != nil {
				opts, err = parseOptions(data)
			}
		}
		// metadata.yaml alone: the charm declares no options.
		if err != nil {
			return charmOptions{}, fmt.Errorf("read the charm's options: %s: %w", file, err)
		}
		return charmOptions{options: opts, file: file}, nil
	}
	return charmOptions{}, nil
}

// parseOptions reads a config.yaml document as Juju does.
func parseOptions(data []byte) (map[string]charm.Option, error) {
	cfg, err := charm.ReadConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if cfg.Options == nil { // "options:" with nothing under it
		return map[string]charm.Option{}, nil
	}
	return cfg.Options, nil
}

// configSection returns the config section of a charmcraft.yaml as a
// document of its own, as config.yaml would hold it; nil when there is
// none.
func configSection(charmcraft []byte) ([]byte, error) {
	var doc struct {
		Config yaml.MapSlice `yaml:"config"`
	}
	if err := yaml.Unmarshal(charmcraft, &doc); err != nil {
		return nil, err
	}
	if len(doc.Config) == 0 {
		return nil, nil
	}
	return yaml.Marshal(doc.Config)
}
