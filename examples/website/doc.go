// Command website is an example provider charm for the http interface,
// written with github.com/charmkit/httprelation: a web server that answers
// every request with the name of the unit that served it, and publishes
// where it serves to every application related on its "website" endpoint.
//
// The same binary is the charm and its workload, so one go build makes the
// whole charm. Copy this directory to start a charm of your own.
//
// # Contract
//
// Other tools (the examples/demo program, systemd, Juju) rely on exactly
// this interface; keep it stable.
//
// Charm files: metadata.yaml (provides website: interface http),
// config.yaml (option port, int, default 8080), dispatch (a two-line POSIX
// sh script that execs "${JUJU_CHARM_DIR:-.}/bin/website" "$@", Juju's
// dispatch convention), charmcraft.yaml (packs bin/website, built
// beforehand, with dispatch).
//
// Serve mode, what the systemd service runs:
//
//	website serve --port N --unit U [--bind 127.0.0.1]
//
// listens on bind:N (default bind 127.0.0.1) and answers every request,
// whatever its method and path, with status 200, body "U\n" and the header
// "X-Unit: U". U must be a Juju unit name such as website/0. Once listening
// it prints "website: serving U on ADDR" on stderr; SIGINT or SIGTERM shut
// it down gracefully with exit status 0.
//
// Hook mode: without arguments, inside a hook (JUJU_UNIT_NAME set; the hook
// is JUJU_HOOK_NAME or taken from JUJU_DISPATCH_PATH), on install,
// config-changed, upgrade-charm, website-relation-joined and
// website-relation-changed it:
//
//  1. reads the port through hooktools.ToolsOf, with one
//     "config-get --format=json --all" (a null value means the config.yaml
//     default, 8080), and validates it (1..65535);
//  2. on install and config-changed only, when systemd manages the machine
//     (systemctl is on PATH and /run/systemd/system exists, the test of
//     sd_booted(3)), writes /etc/systemd/system/website.service running
//     "$JUJU_CHARM_DIR/bin/website serve --port N --unit $JUJU_UNIT_NAME
//     --bind 0.0.0.0", then runs systemctl daemon-reload (when the file
//     changed), enable and restart; otherwise it logs through juju-log that
//     the service manager is absent and goes on (the demo starts the server
//     itself);
//  3. publishes hostname, private-address and port on every website
//     relation (Provides.Configure; the endpoint is checked against the
//     metadata in $JUJU_CHARM_DIR, or the working directory when unset);
//  4. updates the website.available flag in a Registry kept in Juju's charm
//     state (state-get / state-set) and saves it;
//  5. sets the status with status-set active "serving on :N".
//
// On website-relation-departed and website-relation-broken it only updates
// and saves the website.available flag, so that the flag drops with the last
// remote unit. Every other hook is a no-op that runs no tool and exits 0.
//
// Exit statuses: 0 success; 1 failure, with "website: <hook>: <reason>" on
// stderr (an invalid port is such a failure, so the unit shows the error
// until the operator fixes the option); 2 bad command line or not in a hook.
//
// # Packing
//
// Charmcraft sees the charm directory and nothing else, so the binary is
// built before packing, in this directory:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o bin/website .
//	charmcraft pack
//
// charmcraft.yaml's one part (plugin dump, source ".") stages bin/website
// and dispatch; charmcraft adds metadata.yaml and config.yaml. The tests
// pack a copy of this directory alone as charmcraft does and check the
// charm (pack_test.go, charmcraft_test.go). See README.md.
package main
