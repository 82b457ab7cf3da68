// Package httprelationtest runs a charm's hook code in-process against an
// in-memory Juju unit, in the manner of net/http/httptest: the code runs
// its real path, hooktools' accessor, store and logger included, over the
// simulator's hook tools called in-process, so a charm's tests exercise
// the real parsing, limits and errors.
//
// The world is a [toolsim.Model], the one model format shared with the
// process-level simulator (package toolsim, command hook-tool-sim): Go
// values, or a JSON file read with toolsim.ReadModel. The format is the
// "model" object of Juju's recorded transcripts with a "hook" section;
// [New] checks it, so a hook naming a relation or unit the model lacks is
// an error, not an empty answer.
//
// Write the hook's work as a [HookFunc], a function of an
// httprelation.Unit; main runs it with hooktools.NewUnit, tests with a
// Harness:
//
//	h := httprelationtest.New(t, &toolsim.Model{
//		Unit:     "haproxy/0",
//		CharmDir: ".", // holds metadata.yaml
//		Relations: map[string]toolsim.Relation{
//			"reverseproxy:1": {RemoteApp: "web", RemoteEndpoint: "website"},
//		},
//	})
//	_, err := h.Fire(ctx, toolsim.Join("reverseproxy:1", "web/0", map[string]string{
//		"private-address": "10.0.0.1", "port": "8080",
//	}), charm.Hook) // runs reverseproxy-relation-joined, then -changed
//
// [Harness.Fire] makes an event happen as Juju would, with the hooks Juju
// runs for it in Juju's order (see [toolsim.Event]); [Harness.Run] runs
// the model's current hook. As in Juju, a hook that fails leaves the
// relation data and the charm state as they were. Then assert on what the
// charm did: [Harness.Local] (its bag in a relation), [Harness.Flags],
// [Harness.Warnings] (the library's notes about bad remote data),
// [Harness.Status], and [Harness.Calls] by the tools' own names.
//
// As in Juju 3, a unit departing in a relation-departed hook is not
// listed but its data stays readable, and the relation of a
// relation-broken hook lists no units. Hook tools that the library does
// not call (config-get, status-set, ...) run in-process too: typed through
// hooktools.ToolsOf on the hook's unit, or raw through [Harness.Tools].
package httprelationtest
