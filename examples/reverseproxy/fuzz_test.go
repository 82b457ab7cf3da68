package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/juju/names/v5"

	"github.com/charmkit/httprelation"
)

// wantHeader is the test's own copy of the fixed start of every file, so
// that a change to the renderer's header shows up here too.
var wantHeader = []string{
	"# Written by the reverseproxy charm from its relation data; edits are overwritten.",
	"global",
	"    log /dev/log local0",
	"    maxconn 4096",
	"",
	"resolvers dns",
	"    parse-resolv-conf",
	"    hold valid 10s",
	"",
	"defaults",
	"    mode http",
	"    log global",
	"    option httplog",
	"    option forwardfor",
	"    timeout connect 5s",
	"    timeout client 30s",
	"    timeout server 30s",
	"    default-server init-addr none resolvers dns resolve-prefer ipv4",
	"",
	"frontend http-in",
}

// bodyPatterns is every line allowed after the header. Nothing else may
// appear, whatever the input.
var bodyPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^    bind ([0-9]{1,3}(\.[0-9]{1,3}){3}|\[[0-9a-f:.]+\]):[0-9]{1,5}$`),
	regexp.MustCompile(`^    default_backend be_[a-z][a-z0-9-]*$`),
	regexp.MustCompile(`^    http-request deny deny_status 503$`),
	regexp.MustCompile(`^    use_backend be_[a-z][a-z0-9-]* if \{ hdr\(host\) -m str [a-z][a-z0-9-]* \}$`),
	regexp.MustCompile(`^$`),
	regexp.MustCompile(`^backend be_[a-z][a-z0-9-]*$`),
	regexp.MustCompile(`^    balance roundrobin$`),
	regexp.MustCompile(`^    server [a-z][a-z0-9-]*_[0-9A-Za-z.:-]+_[0-9]{1,5} (\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):[0-9]{1,5} check$`),
}

// jujuAppName is the test's own statement of the service name rule:
// Juju's application syntax, and juju deploy's 63-character limit.
func jujuAppName(name string) bool {
	return len(name) <= 63 && names.IsValidApplication(name)
}

// structureProblems checks a rendered file against what its input allows:
// the fixed header, then exactly 2 frontend lines, 4 lines per service and
// 1 per distinct private address and port, each matching an allowlisted
// pattern, and one server line per distinct private address and port, in
// order, named after it and pointing at it: never at the hostname.
func structureProblems(services []httprelation.Service, text string) []string {
	var problems []string
	if !strings.HasSuffix(text, "\n") {
		problems = append(problems, "file does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	hosts := 0
	var wantServers []string
	for _, svc := range services {
		seen := map[string]bool{}
		for _, h := range svc.Hosts {
			// Hosts differing only in hostname are one server.
			addr := net.JoinHostPort(h.PrivateAddress, strconv.Itoa(h.Port))
			if !seen[addr] {
				seen[addr] = true
				hosts++
				wantServers = append(wantServers, fmt.Sprintf("    server %s_%s_%d %s check", svc.Name, h.PrivateAddress, h.Port, addr))
			}
		}
	}
	if want := len(wantHeader) + 2 + 4*len(services) + hosts; len(lines) != want {
		problems = append(problems, fmt.Sprintf("%d lines, want %d", len(lines), want))
	}
	for i, want := range wantHeader {
		if i >= len(lines) || lines[i] != want {
			problems = append(problems, fmt.Sprintf("header line %d is not %q", i+1, want))
		}
	}
	var servers []string
	for i := len(wantHeader); i < len(lines); i++ {
		allowed := false
		for _, re := range bodyPatterns {
			allowed = allowed || re.MatchString(lines[i])
		}
		if !allowed {
			problems = append(problems, fmt.Sprintf("line %d %q matches no allowed pattern", i+1, lines[i]))
		}
		if strings.HasPrefix(lines[i], "    server ") {
			servers = append(servers, lines[i])
		}
	}
	if fmt.Sprint(servers) != fmt.Sprint(wantServers) {
		problems = append(problems, fmt.Sprintf("server lines %q, want %q", servers, wantServers))
	}
	return problems
}

func checkStructure(t *testing.T, services []httprelation.Service, text string) {
	t.Helper()
	for _, p := range structureProblems(services, text) {
		t.Error(p)
	}
}

// expectRendered is the test's oracle of what renderHAProxy must do: fail
// on a bad frontend only, and otherwise render the services with a good,
// first-seen name, each with its good hosts (a good private address and
// port; the hostname is not rendered, so not judged), and skip one item
// per bad service or host.
func expectRendered(services []httprelation.Service, fe frontend) (kept []httprelation.Service, skipped int, ok bool) {
	if addr, err := netip.ParseAddr(fe.Bind); err != nil || addr.Zone() != "" || httprelation.CheckPort(fe.Port) != nil {
		return nil, 0, false
	}
	seen := map[string]bool{}
	for _, svc := range services {
		if seen[svc.Name] || !jujuAppName(svc.Name) {
			skipped++
			continue
		}
		seen[svc.Name] = true
		good := httprelation.Service{Name: svc.Name}
		for _, h := range svc.Hosts {
			if httprelation.CheckAddress(h.PrivateAddress) != nil || httprelation.CheckPort(h.Port) != nil {
				skipped++
				continue
			}
			good.Hosts = append(good.Hosts, h)
		}
		kept = append(kept, good)
	}
	return kept, skipped, true
}

// FuzzRenderHAProxy asserts that no input adds a line or directive and no
// bad service costs a good one: the renderer refuses a bad frontend, and
// otherwise renders exactly the allowlisted lines that the good services
// and hosts call for, skipping the rest one by one. The first byte picks 0,
// 1 or 2 services; hosts are comma-separated, each "private-address" or
// "hostname>private-address".
func FuzzRenderHAProxy(f *testing.F) {
	f.Add(uint8(1), "website", "10.0.0.1,10.0.0.2", 8080, "", "", 0, "0.0.0.0", 80)
	f.Add(uint8(2), "api", "fd00::1", 9000, "web", "web-0.internal", 80, "::", 443)
	f.Add(uint8(1), "web", "10.0.0.1\n    server evil 6.6.6.6:80 check", 8080, "", "", 0, "0.0.0.0", 80)
	f.Add(uint8(2), "web", "10.0.0.1", 8080, "web", "10.0.0.2", 8080, "0.0.0.0", 80)
	f.Add(uint8(0), "", "", 0, "", "", 0, "127.0.0.1\nlisten x", 80)
	f.Add(uint8(2), "web-1", "10.0.0.1", 8080, "web", "10.0.0.2", 8080, "0.0.0.0", 80)
	f.Add(uint8(2), "web", "10.0.0.1,bad host,0x7f000001,WEB.example", 80, "web", "10.0.0.3", 0, "::", 80)
	f.Add(uint8(1), "web", "public.example.com>10.0.0.5,public.example.com>10.0.0.6,192.0.2.1>10.0.0.5", 8080, "", "", 0, "0.0.0.0", 80)
	f.Add(uint8(1), "web", "a\nserver evil 6.6.6.6:80>10.0.0.5,10.0.0.6>web-0.invalid,x>fd00::1", 80, "", "", 0, "0.0.0.0", 80)
	f.Add(uint8(1), "web", "good.example>bad host,10.0.0.1>,>10.0.0.2", 80, "", "", 0, "0.0.0.0", 80)
	f.Fuzz(func(t *testing.T, n uint8, name1, hosts1 string, port1 int, name2, hosts2 string, port2 int, bind string, fePort int) {
		mk := func(name, hosts string, port int) httprelation.Service {
			svc := httprelation.Service{Name: name}
			if hosts != "" {
				for _, h := range strings.Split(hosts, ",") {
					hostname, priv, ok := strings.Cut(h, ">")
					if !ok {
						hostname, priv = h, h
					}
					svc.Hosts = append(svc.Hosts, httprelation.Host{Hostname: hostname, PrivateAddress: priv, Port: port})
				}
			}
			return svc
		}
		services := []httprelation.Service{mk(name1, hosts1, port1), mk(name2, hosts2, port2)}[:n%3]
		fe := frontend{Bind: bind, Port: fePort}

		text, skipped, err := renderHAProxy(services, fe)
		kept, wantSkipped, ok := expectRendered(services, fe)
		if ok != (err == nil) {
			t.Fatalf("frontend ok=%v but render error %v", ok, err)
		}
		if err != nil {
			if text != "" || len(skipped) != 0 {
				t.Fatalf("rendered %q and skipped %v along with error %v", text, skipped, err)
			}
			return
		}
		if len(skipped) != wantSkipped {
			t.Errorf("skipped %d items, want %d: %v", len(skipped), wantSkipped, skipped)
		}
		for _, e := range skipped {
			if !errors.Is(e, errUnsafe) || strings.Contains(e.Error(), "\n") {
				t.Errorf("skipped item reported as %q", e)
			}
		}
		for _, p := range structureProblems(kept, text) {
			t.Error(p)
		}
		again, _, _ := renderHAProxy(services, fe)
		if again != text {
			t.Error("rendering is not deterministic")
		}
	})
}
