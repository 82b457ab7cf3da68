// Package simtool holds what package toolsim and the hook-tool-sim command
// share beyond toolsim's API: the names of the hook tools the simulator
// implements, their installation as symlinks to its binary, and the
// command-line forms of a bag's keys and of an option's value.
package simtool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Names lists the hook tools the simulator implements, i.e. the names
// Install links.
func Names() []string {
	return []string{
		"relation-ids", "relation-list", "relation-get", "relation-set",
		"network-get", "unit-get", "config-get", "state-get", "state-set",
		"state-delete", "juju-log", "is-leader", "status-set",
	}
}

// Install creates, in dir, one symlink per tool pointing at binary,
// replacing links left by an earlier install.
func Install(binary, dir string) error {
	abs, err := filepath.Abs(binary)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	for _, name := range Names() {
		link := filepath.Join(dir, name)
		if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("install: %w", err)
		}
		if err := os.Symlink(abs, link); err != nil {
			return fmt.Errorf("install: %w", err)
		}
	}
	return nil
}

// KeyValues parses KEY=VALUE arguments as relation-set and the fire
// command take them: values are kept verbatim (no trimming), and an empty
// value means delete. An argument without "=" or without a key, or a key
// given twice, is an error.
func KeyValues(args []string) (map[string]string, error) {
	kvs := map[string]string{}
	for _, kv := range args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("expected \"key=value\", got %q", kv)
		}
		if _, dup := kvs[k]; dup {
			return nil, fmt.Errorf("key %q specified more than once", k)
		}
		kvs[k] = v
	}
	return kvs, nil
}

// ConfigText is an option's value as written on hook-tool-sim's command
// line: text, read by the option's type when the charm declares it, as
// juju config reads its command line, and otherwise as a JSON scalar
// when it is one.
type ConfigText string
