// Command reverseproxy is an example requirer charm for the http
// interface, written with github.com/charmkit/httprelation: it puts haproxy
// in front of every application related on its "reverseproxy" endpoint,
// one backend per application and one server per private address and port
// its units publish. Like the haproxy charm (canonical/haproxy-operator),
// it connects to each unit's private-address and port; the hostname is
// what the unit gives its clients, and never reaches haproxy.
//
// It shows the data_changed idiom: the configuration is rendered only when
// the services behind the relation or the options changed, and the change
// is recorded only once the new file is in place, so a failed hook retries.
// Copy this directory to start a charm of your own.
//
// # Contract
//
// Other tools (the examples/demo program, Juju) rely on exactly this
// interface; keep it stable.
//
// Charm files: metadata.yaml (requires reverseproxy: interface http),
// config.yaml (frontend-port int 80, bind-address string "0.0.0.0",
// haproxy-config string "/etc/haproxy/haproxy.cfg"), dispatch (a two-line
// POSIX sh script that execs "${JUJU_CHARM_DIR:-.}/bin/reverseproxy" "$@"),
// charmcraft.yaml (packs bin/reverseproxy, built beforehand, with
// dispatch).
//
// The binary takes no arguments; inside a hook (JUJU_UNIT_NAME set; the hook
// is JUJU_HOOK_NAME or taken from JUJU_DISPATCH_PATH) it handles:
//
// reverseproxy-relation-joined, -changed, -departed, -broken,
// config-changed and upgrade-charm:
//
//  1. reads the options through hooktools.ToolsOf, with one
//     "config-get --format=json --all" (an option missing or null takes its
//     config.yaml default), and validates them:
//     frontend-port 1..65535, bind-address an IP literal, haproxy-config a
//     clean absolute path;
//  2. reads the services with Requires.Services (the endpoint checked
//     against the metadata in $JUJU_CHARM_DIR, or the working directory);
//  3. loads a Registry from Juju's charm state (state-get) and asks
//     Changed("reverseproxy.config", {services, frontend, path}); when
//     nothing changed it stops there, exit 0, status untouched, nothing
//     written (upgrade-charm always goes on, as a new charm may render
//     differently);
//  4. renders the configuration (renderHAProxy in haproxycfg.go) and writes
//     it to <haproxy-config>.new with mode 0644;
//  5. when haproxy is on PATH, runs "haproxy -c -f <haproxy-config>.new"
//     with a 30 s deadline; if haproxy refuses the file or does not answer
//     in time, the hook fails (exit 1), the live file is kept and the .new
//     file is left for inspection;
//  6. renames the .new file over <haproxy-config>;
//  7. when systemd manages the machine (systemctl on PATH and
//     /run/systemd/system present), runs "systemctl reload-or-restart
//     haproxy.service" with a 60 s deadline (the hook fails past it, and
//     Juju retries it); otherwise logs through juju-log that reloading is
//     left to whoever runs haproxy (the demo does);
//  8. sets or clears the reverseproxy.available flag, sets the status with
//     status-set active "N services, M hosts" or waiting "no backends",
//     and only then saves the Registry (state-set / state-delete).
//
// install: on a systemd machine without haproxy, runs apt-get update and
// apt-get install -y haproxy, with no deadline of its own (killing dpkg half
// way would do more harm than a slow mirror); elsewhere logs that haproxy
// is missing. Every other hook is a no-op that runs no tool and exits 0.
//
// Every program runs through hooktools.ExecRunner: by name from PATH,
// never through a shell, with DEBIAN_FRONTEND=noninteractive, in a process
// group of its own that is killed whole at its deadline or when Juju
// stops the hook (SIGTERM). So the check and the reload of one hook end
// within 30 s and 60 s (plus a second each for output pipes), whatever
// the relation data (TestInstallConfigKillsHungPrograms).
//
// Exit statuses: 0 success; 1 failure, with "reverseproxy: <hook>:
// <reason>" on stderr (invalid options included); 2 arguments given or not
// in a hook.
//
// # Rendered configuration
//
// A global section, a "resolvers dns" section (parse-resolv-conf), a
// defaults section (mode http, timeouts, option forwardfor, default-server
// init-addr none resolvers dns resolve-prefer ipv4), then frontend http-in
// binding bind-address:frontend-port (IPv6 in brackets), default_backend
// the first service (by name) and "use_backend be_<service> if { hdr(host)
// -m str <service> }" for every service; then per service "backend
// be_<service>", "balance roundrobin" and per distinct private address
// and port "server <service>_<private-address>_<port>
// <private-address>:<port> check". Hosts that differ only in hostname
// (virtual IPs of one unit) are one server; units that share a hostname
// but not a private address are one server each. Without services the
// frontend answers 503.
//
// # Names and DNS
//
// Remote units choose the names, so no name is resolved while haproxy
// checks or loads the file: "haproxy -c" sends no DNS query and takes
// the same time with 257 names on a resolver that never answers as with
// none (TestHAProxyCheckResolvesNothing), and a reload or restart loads
// the file the same way. With init-addr none a server
// named by DNS starts without an address, in maintenance, and haproxy's
// own resolver fills it in once haproxy runs, and again as DNS changes
// (TestHAProxyResolvesNamesAtRuntime); a name that never resolves keeps
// its server out of rotation and stops nothing else. Juju's private
// addresses are IP literals, which need no resolution at all. haproxy's
// resolver asks the nameservers of /etc/resolv.conf and does not read
// /etc/hosts: a provider whose private-address is a name only /etc/hosts
// knows must publish an IP instead.
//
// Nothing from remote units reaches the file unchecked: the library drops
// invalid hosts, and the renderer checks every service name against Juju's
// application name rule (validServiceName) and every private address and
// port again. A service or host that fails is left out with a warning and
// the others are rendered: one bad service never costs the good ones. A
// fuzz test asserts that no input adds a line or drops a good service.
//
// # Packing
//
// As for examples/website: the binary is built before packing, in this
// directory, since charmcraft sees nothing else:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o bin/reverseproxy .
//	charmcraft pack
//
// See README.md.
package main
