package main

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"

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
	"defaults",
	"    mode http",
	"    log global",
	"    option httplog",
	"    option forwardfor",
	"    timeout connect 5s",
	"    timeout client 30s",
	"    timeout server 30s",
	"    default-server init-addr libc,none",
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

// appNameRE is the test's own copy of Juju's application name syntax.
var appNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$`)

// structureProblems checks a rendered file against what its input allows:
// the fixed header, then exactly 2 frontend lines, 4 lines per service and
// 1 per distinct host address, each matching an allowlisted pattern, and
// one server line per distinct input address, in order, named after it.
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
			// Hosts differing only in private-address are one server.
			if addr := h.Addr(); !seen[addr] {
				seen[addr] = true
				hosts++
				wantServers = append(wantServers, fmt.Sprintf("    server %s_%s_%d %s check", svc.Name, h.Hostname, h.Port, addr))
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

// acceptable is the test's oracle of what renderHAProxy must accept.
func acceptable(services []httprelation.Service, fe frontend) bool {
	if addr, err := netip.ParseAddr(fe.Bind); err != nil || addr.Zone() != "" || httprelation.CheckPort(fe.Port) != nil {
		return false
	}
	seen := map[string]bool{}
	for _, svc := range services {
		if seen[svc.Name] || len(svc.Name) > maxServiceName || !appNameRE.MatchString(svc.Name) {
			return false
		}
		seen[svc.Name] = true
		for _, h := range svc.Hosts {
			if httprelation.CheckAddress(h.Hostname) != nil || httprelation.CheckPort(h.Port) != nil {
				return false
			}
		}
	}
	return true
}

// FuzzRenderHAProxy asserts that no input adds a line or directive: the
// renderer either refuses the input or renders exactly the allowlisted
// lines its structure calls for. The first byte picks 0, 1 or 2 services;
// hosts are comma-separated.
func FuzzRenderHAProxy(f *testing.F) {
	f.Add(uint8(1), "website", "10.0.0.1,10.0.0.2", 8080, "", "", 0, "0.0.0.0", 80)
	f.Add(uint8(2), "api", "fd00::1", 9000, "web", "web-0.internal", 80, "::", 443)
	f.Add(uint8(1), "web", "10.0.0.1\n    server evil 6.6.6.6:80 check", 8080, "", "", 0, "0.0.0.0", 80)
	f.Add(uint8(2), "web", "10.0.0.1", 8080, "web", "10.0.0.2", 8080, "0.0.0.0", 80)
	f.Add(uint8(0), "", "", 0, "", "", 0, "127.0.0.1\nlisten x", 80)
	f.Fuzz(func(t *testing.T, n uint8, name1, hosts1 string, port1 int, name2, hosts2 string, port2 int, bind string, fePort int) {
		mk := func(name, hosts string, port int) httprelation.Service {
			svc := httprelation.Service{Name: name}
			if hosts != "" {
				for _, h := range strings.Split(hosts, ",") {
					svc.Hosts = append(svc.Hosts, httprelation.Host{Hostname: h, PrivateAddress: h, Port: port})
				}
			}
			return svc
		}
		services := []httprelation.Service{mk(name1, hosts1, port1), mk(name2, hosts2, port2)}[:n%3]
		fe := frontend{Bind: bind, Port: fePort}

		text, err := renderHAProxy(services, fe)
		if ok := acceptable(services, fe); ok != (err == nil) {
			t.Fatalf("acceptable=%v but render error %v", ok, err)
		}
		if err != nil {
			if text != "" {
				t.Fatalf("rendered %q along with error %v", text, err)
			}
			return
		}
		for _, p := range structureProblems(services, text) {
			t.Error(p)
		}
		again, _ := renderHAProxy(services, fe)
		if again != text {
			t.Error("rendering is not deterministic")
		}
	})
}
