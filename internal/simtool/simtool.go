// Package simtool holds what package toolsim and the hook-tool-sim command
// share beyond toolsim's API: the names of Juju's hook tools and of those
// the simulator implements, their installation as symlinks to its binary,
// and the command-line forms of a bag's keys and of an option's value.
package simtool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Names lists the hook tools the simulator implements: those it answers
// as Juju does.
func Names() []string {
	return []string{
		"relation-ids", "relation-list", "relation-get", "relation-set",
		"relation-model-get", "network-get", "unit-get", "config-get",
		"state-get", "state-set", "state-delete", "juju-log", "is-leader",
		"leader-get", "leader-set", "status-get", "status-set",
		"application-version-set", "open-port", "close-port",
		"opened-ports", "goal-state",
	}
}

// JujuNames lists every hook tool a Juju 3 unit agent installs, sorted:
// the names of jujuc.CommandNames() (the baseCommands, secret, storage,
// leader, resource, payload and action commands of Juju's
// worker/uniter/runner/jujuc/server.go), i.e. the names Install links. The
// simulator answers those it does not implement with an error (see
// Names).
func JujuNames() []string {
	return []string{
		"action-fail", "action-get", "action-log", "action-set",
		"add-metric", "application-version-set", "close-port",
		"config-get", "credential-get", "goal-state", "is-leader",
		"juju-log", "juju-reboot", "k8s-raw-get", "k8s-raw-set",
		"k8s-spec-get", "k8s-spec-set", "leader-get", "leader-set",
		"network-get", "open-port", "opened-ports", "payload-register",
		"payload-status-set", "payload-unregister", "pod-spec-get",
		"pod-spec-set", "relation-get", "relation-ids", "relation-list",
		"relation-model-get", "relation-set", "resource-get",
		"secret-add", "secret-get", "secret-grant", "secret-ids",
		"secret-info-get", "secret-remove", "secret-revoke",
		"secret-set", "state-delete", "state-get", "state-set",
		"status-get", "status-set", "storage-add", "storage-get",
		"storage-list", "unit-get",
	}
}

// Install creates, in dir, one symlink per Juju hook tool (JujuNames)
// pointing at binary, replacing links left by an earlier install.
func Install(binary, dir string) error {
	abs, err := filepath.Abs(binary)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	for _, name := range JujuNames() {
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
