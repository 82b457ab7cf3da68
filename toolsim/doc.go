// Package toolsim simulates Juju 3's hook tools as real processes, so that
// a charm binary, or code that runs hook tools, can be run and tested
// without a Juju controller.
//
// One binary, cmd/hook-tool-sim, answers as relation-ids, relation-list,
// relation-get, relation-set, relation-model-get, network-get, unit-get,
// config-get, state-get, state-set, state-delete, juju-log, is-leader,
// leader-get, leader-set, status-get, status-set, application-version-set,
// open-port, close-port, opened-ports and goal-state when invoked under
// those names (symlinks made by "hook-tool-sim install DIR", which links
// every Juju 3 hook tool: the others answer with an error saying they are
// not simulated). Output, error messages and exit statuses are Juju's,
// byte for byte, as recorded in the module's testdata/transcripts/*.json;
// the tests replay every recorded call.
//
// # Running your own charm locally
//
//	go install github.com/charmkit/httprelation/cmd/hook-tool-sim@latest
//	hook-tool-sim install ./bin
//	cat > model.json <<'EOF'
//	{
//	  "unit": "web/0",
//	  "leader": true,
//	  "config": {"port": 8080},
//	  "private_address": "10.0.0.9",
//	  "public_address": "203.0.113.9",
//	  "relations": {
//	    "website:3": {
//	      "remote_app": "haproxy",
//	      "remote_endpoint": "reverseproxy",
//	      "local": {"private-address": "10.0.0.9"},
//	      "units": {"haproxy/0": {"private-address": "10.0.0.20"}}
//	    }
//	  },
//	  "networks": {
//	    "website": {
//	      "bind-addresses": [{"mac-address": "", "interface-name": "eth0",
//	        "addresses": [{"hostname": "", "value": "10.0.0.9", "cidr": "10.0.0.0/24"}]}],
//	      "egress-subnets": ["10.0.0.9/32"],
//	      "ingress-addresses": ["10.0.0.9"]
//	    }
//	  },
//	  "state_get": {}
//	}
//	EOF
//	PATH=./bin:$PATH TOOLSIM_MODEL=model.json TOOLSIM_LOG=calls.jsonl \
//	  JUJU_UNIT_NAME=web/0 JUJU_HOOK_NAME=website-relation-changed \
//	  JUJU_RELATION_ID=website:3 JUJU_REMOTE_UNIT=haproxy/0 JUJU_REMOTE_APP=haproxy \
//	  ./mycharm
//
// Afterwards model.json holds what the charm wrote (relation-set,
// state-set, status-set, juju-log lines) and calls.jsonl one JSON line per
// tool call. Run by hand like this, the tools write through at once; the
// runners below keep a hook's writes only when it exits 0, as Juju does.
//
// # Events
//
// "hook-tool-sim fire" (and [Sim.Fire] in Go) makes an event happen to
// the model and runs the charm for every hook Juju fires for it, in
// Juju's order:
//
//	hook-tool-sim fire ./mycharm join website:3 haproxy/1 private-address=10.0.0.21
//	    # website-relation-joined, then -changed; haproxy/1 is in the model from the first
//	hook-tool-sim fire ./mycharm change website:3 haproxy/1 port=80
//	    # website-relation-changed
//	hook-tool-sim fire ./mycharm depart website:3 haproxy/1
//	    # website-relation-departed (not listed, bag readable), then haproxy/1 is gone
//	hook-tool-sim fire ./mycharm remove-relation website:3
//	    # -relation-departed per unit, -relation-broken, then website:3 is gone
//	hook-tool-sim fire ./mycharm config port=8081
//	    # config-changed; port=null resets port to its default
//	hook-tool-sim fire ./mycharm add-relation website:4 cdn edge   # website-relation-created
//	hook-tool-sim fire ./mycharm hook install                      # any other hook
//
// Each hook runs as a process from the charm directory with Juju's
// environment for it (see [Model.HookEnv]). What a hook writes to
// relations, to the charm state and to its opened ports is kept only
// when it exits 0, as Juju does; status-set, application-version-set,
// leader-set and juju-log take effect at once, as in Juju. Within
// the hook, reads see its own writes, as Juju's hook context does. The
// first hook that fails stops the event, as Juju stops until the hook is
// resolved.
//
// When the charm directory holds the charm (metadata.yaml or
// charmcraft.yaml), config-get answers the defaults of its config.yaml
// (or charmcraft.yaml's config section) for options the model does not
// set, as Juju does, and the config event checks options and reads values
// by their type, as juju config does.
//
// # Environment
//
//	TOOLSIM_MODEL        the model file (required)
//	TOOLSIM_LOG          file that gets one JSON line per call (optional)
//	TOOLSIM_LATENCY_MS   per-call delay, overriding the model's latency_ms
//	TOOLSIM_FAULTS       JSON faults laid over the model's (see Fault)
//	JUJU_UNIT_NAME       the local unit (default: the model's unit)
//	JUJU_RELATION_ID     the hook's relation: the default of -r
//	JUJU_REMOTE_UNIT     the default unit of relation-get
//	JUJU_REMOTE_APP      the default application of relation-get --app
//	JUJU_HOOK_NAME       "<endpoint>-relation-departed" or "-broken" change
//	                     what relation-list reports for the hook's relation
//	JUJU_DEPARTING_UNIT  the unit leaving in a departed hook
//
// When the environment sets none of the hook variables (JUJU_HOOK_NAME,
// JUJU_DISPATCH_PATH, JUJU_RELATION, JUJU_RELATION_ID, JUJU_REMOTE_UNIT,
// JUJU_REMOTE_APP, JUJU_DEPARTING_UNIT), the tools answer for the
// model's hook section.
//
// In a departed hook the leaving unit (JUJU_REMOTE_UNIT, and
// JUJU_DEPARTING_UNIT) is not listed by relation-list, but its bag stays
// readable. In a broken hook the relation lists no units while
// relation-ids still lists the relation, as Juju does.
//
// # Model
//
// The model file is the "model" object of the recorded transcripts (see
// [Model]), the one format that package httprelationtest reads too. The
// simulator adds the optional fields hook (the running hook: name,
// relation_id, remote_unit, remote_app, departing_unit), charm_dir,
// status, app_status, log, faults and, per relation, app (the remote
// application's bag), local_app and network (network-get -r's answer for
// that relation). Unknown fields are an error. [ReadModel] loads a model
// file and checks it with [Model.Validate]: a hook naming a relation or
// unit the model lacks is an error rather than an empty answer.
//
// As in Juju, state-set stores an empty value as it is, and only
// state-delete KEY removes a key; relation-set deletes a key set to "".
//
// # Faults
//
// The faults field (or TOOLSIM_FAULTS) makes chosen calls misbehave
// instead of answering, keyed by tool or by tool and one argument:
//
//	"faults": {
//	  "relation-get web/1": {"exit": 1, "stderr": "ERROR permission denied\n"},
//	  "network-get": {"stdout": "not json"},
//	  "relation-set website:4": {"kill": true},
//	  "relation-list": {"hang": true}
//	}
//
// See [Fault].
// Writes take an exclusive flock on a lock file beside the model and
// replace the model atomically, so many simulator processes can run at
// once.
//
// Read-only calls answer from a snapshot cache beside the model
// (.model.json.cache/ for model.json): one file per version of the model
// file, named by its inode, size and mtime, that holds the model without
// the remote units' bags and an index of the bags, so that a call reads
// only what it answers, whatever the number of units. The first read of
// a version builds it; writes, through the tools or [Model.WriteFile],
// remove it. It can be deleted at any time, and a damaged one is noticed
// and rebuilt. A model edited in place rather than replaced is noticed
// by its new mtime.
//
// # In tests
//
// [Start] builds the binary once per test process and lays out a [Sim],
// much as httptest.NewServer starts a server:
//
//	s := toolsim.Start(t, model, map[string]string{
//		"JUJU_HOOK_NAME":   "website-relation-joined",
//		"JUJU_RELATION_ID": "website:3",
//		"JUJU_REMOTE_UNIT": "haproxy/0",
//	})
//	res, err := s.Run(ctx, charmBinary)
//	// check res.ExitCode and res.Stderr, then s.Model(), and the calls
//	// logged in s.LogPath
//
// With a model that has a hook section and a charm_dir, Start(t, model,
// nil) takes the hook environment from the model, and [Sim.Fire] runs a
// charm through events. [TestMain] builds the charm under test once per
// test binary, on its first run; [Sim.SetPath] keeps the machine's own programs out of the
// charm's PATH. Programs that are not tests build cmd/hook-tool-sim with
// the go command and lay it out with [NewSim].
package toolsim
