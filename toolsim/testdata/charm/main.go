// Command charm is a charm for the tests of toolsim's events: it prints,
// as one JSON object, what its hook looks like (the JUJU_ variables,
// relation-list of the hook's relation, the remote unit's bag), then
// writes "last-hook" to the hook's relation and to the charm state, opens
// port 10000 plus the length of the hook's name, sets its workload
// version to the hook's name, sets its status and logs. When TEST_FAIL
// names the hook, it exits 1 after writing.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

func tool(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %q: %v\n", name, args, err)
		os.Exit(100)
	}
	return string(out)
}

func main() {
	seen := map[string]any{}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "JUJU_") || k == "CHARM_DIR" {
			seen[k] = v
		}
	}
	wd, _ := os.Getwd()
	seen["cwd"] = wd
	hook := os.Getenv("JUJU_HOOK_NAME")
	if rel := os.Getenv("JUJU_RELATION_ID"); rel != "" {
		seen["listed"] = json.RawMessage(tool("relation-list", "--format=json", "-r", rel))
		seen["ids"] = json.RawMessage(tool("relation-ids", "--format=json", os.Getenv("JUJU_RELATION")))
		if unit := os.Getenv("JUJU_REMOTE_UNIT"); unit != "" {
			seen["bag"] = json.RawMessage(tool("relation-get", "--format=json", "-r", rel, "-", unit))
		}
		tool("relation-set", "-r", rel, "last-hook="+hook)
		seen["own"] = json.RawMessage(tool("relation-get", "--format=json", "-r", rel, "-", os.Getenv("JUJU_UNIT_NAME")))
	}
	seen["config"] = json.RawMessage(tool("config-get", "--format=json"))
	tool("state-set", "last-hook="+hook)
	tool("open-port", strconv.Itoa(10000+len(hook)))
	tool("application-version-set", hook)
	tool("status-set", "active", hook)
	tool("juju-log", "ran "+hook)
	if err := json.NewEncoder(os.Stdout).Encode(seen); err != nil {
		os.Exit(100)
	}
	if os.Getenv("TEST_FAIL") == hook {
		fmt.Fprintln(os.Stderr, "failing as asked")
		os.Exit(1)
	}
}
