package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// These tests run the real haproxy in a jail: new user, mount and network
// namespaces, where /etc/resolv.conf names one nameserver, the test's own
// on 127.0.0.1:53. It answers names under resolvableZone with 127.0.0.1,
// never answers anything else (the slowest resolver there is: every
// lookup waits for its timeout), and records every query it gets. So a
// test sees whether haproxy asked DNS anything, and when.

func init() { testPrograms[dnsJailEnv] = dnsJail }

// initAddrLine is the rendered line that keeps haproxy from resolving
// names while it loads the file.
const initAddrLine = "    default-server init-addr none resolvers dns resolve-prefer ipv4\n"

// dnsJailEnv switches the test binary into the jail (see TestMain); its
// value is the jailJob, in JSON.
const dnsJailEnv = "REVERSEPROXY_DNS_JAIL"

// resolvableZone is the zone the jail's nameserver answers (RFC 6761
// reserves .test for tests); names under .invalid never resolve.
const resolvableZone = ".test"

// Where the jail's haproxy listens and its backend serves.
const (
	jailFrontendPort = 8080
	jailBackendPort  = 9000
)

// jailJob is what the jail is to do: "check" runs haproxy -c on Config;
// "serve" runs haproxy on it, with a backend at 127.0.0.1:jailBackendPort,
// and asks the frontend for Host until the backend answers. Dir is the
// test's directory for the jail's own resolv.conf and nsswitch.conf.
type jailJob struct {
	Mode    string
	HAProxy string
	Config  string
	Host    string
	Dir     string
}

// jailResult is how the job ended. Setup is set when the jail could not
// be built on this machine: the test is then skipped, not failed.
type jailResult struct {
	Setup    string
	ExitCode int
	Output   string
	Elapsed  time.Duration
	Queries  []string
	Status   int
	Body     string
}

// TestHAProxyCheckResolvesNothing: haproxy -c on a rendered file sends no
// DNS query, whatever names the remote units chose, so the check takes
// the same time with 257 names on a resolver that never answers as with
// none. The same file with the C library's resolution (init-addr libc)
// asks the jail's nameserver, which shows the jail would see it.
func TestHAProxyCheckResolvesNothing(t *testing.T) {
	haproxy := findHAProxy()
	if haproxy == "" {
		t.Skip("haproxy is not installed; run apt-get install -y haproxy")
	}
	var slow []httprelation.Host
	for i := range 257 { // as many hosts as one unit may publish
		slow = append(slow, httprelation.Host{Hostname: "10.0.0.1", PrivateAddress: fmt.Sprintf("web-%d.slow.invalid", i), Port: 8080})
	}
	services := []httprelation.Service{
		{Name: "api", Hosts: []httprelation.Host{{Hostname: "api.example.com", PrivateAddress: "api-0.never.invalid", Port: 80}}},
		{Name: "web", Hosts: slow},
		{Name: "www", Hosts: []httprelation.Host{host("10.0.0.7", 80), {Hostname: "www.example", PrivateAddress: "fd00::7", Port: 80}}},
	}
	text, skipped, err := renderHAProxy(services, frontend{Bind: "127.0.0.1", Port: jailFrontendPort})
	require.NoError(t, err)
	require.Empty(t, skipped)

	res := runJail(t, jailJob{Mode: "check", HAProxy: haproxy, Config: writeConfig(t, text)})
	require.Equal(t, 0, res.ExitCode, res.Output)
	assert.Contains(t, res.Output, "Configuration file is valid")
	assert.Empty(t, res.Queries, "haproxy -c must not resolve server names")
	assert.Less(t, res.Elapsed, 5*time.Second, "258 names that never resolve must not slow the check")
	t.Logf("haproxy -c, 258 names that never resolve: %v, %d DNS queries", res.Elapsed.Round(time.Millisecond), len(res.Queries))

	// The control: two names resolved by the C library at check time,
	// as init-addr libc does, reach the jail's nameserver and wait.
	control, _, err := renderHAProxy(services[:1], frontend{Bind: "127.0.0.1", Port: jailFrontendPort})
	require.NoError(t, err)
	require.Contains(t, control, initAddrLine)
	control = strings.Replace(control, initAddrLine, "    default-server init-addr libc,none\n", 1)
	control = strings.Replace(control, "api-0.never.invalid:80 check\n", "api-0.never.invalid:80 check\n    server api_2 api-1.never.invalid:80 check\n", 1)
	res = runJail(t, jailJob{Mode: "check", HAProxy: haproxy, Config: writeConfig(t, control)})
	require.Equal(t, 0, res.ExitCode, res.Output)
	assert.Contains(t, strings.Join(res.Queries, " "), "api-0.never.invalid")
	assert.Contains(t, strings.Join(res.Queries, " "), "api-1.never.invalid")
	assert.GreaterOrEqual(t, res.Elapsed, 2*time.Second, "each name waits for the resolver's 1 s timeout")
	t.Logf("haproxy -c with init-addr libc, 2 such names: %v, DNS queries %q", res.Elapsed.Round(time.Millisecond), res.Queries)
}

// TestHAProxyResolvesNamesAtRuntime: a private address that is a DNS name
// is resolved by the running haproxy through the rendered resolvers
// section, and traffic reaches it, while a name that never resolves next
// to it stops nothing.
func TestHAProxyResolvesNamesAtRuntime(t *testing.T) {
	haproxy := findHAProxy()
	if haproxy == "" {
		t.Skip("haproxy is not installed; run apt-get install -y haproxy")
	}
	services := []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{
		{Hostname: "public.example.com", PrivateAddress: "web-0" + resolvableZone, Port: jailBackendPort},
		{Hostname: "public.example.com", PrivateAddress: "web-1.never.invalid", Port: jailBackendPort},
	}}}
	text, skipped, err := renderHAProxy(services, frontend{Bind: "127.0.0.1", Port: jailFrontendPort})
	require.NoError(t, err)
	require.Empty(t, skipped)

	res := runJail(t, jailJob{Mode: "serve", HAProxy: haproxy, Config: writeConfig(t, text), Host: "web"})
	require.Equal(t, http.StatusOK, res.Status, "haproxy output:\n%s\nqueries: %q", res.Output, res.Queries)
	assert.Equal(t, "backend at 127.0.0.1", res.Body)
	assert.Contains(t, res.Queries, "A web-0.test")
	assert.NotContains(t, res.Queries, "A public.example.com", "the hostname is for clients")
	t.Logf("served through web-0.test after %v; DNS queries %q", res.Elapsed.Round(time.Millisecond), res.Queries)
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// runJail runs job in a jail made of the test binary, and skips the test
// where this machine cannot make one (user namespaces not allowed).
func runJail(t *testing.T, job jailJob) jailResult {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	job.Dir = t.TempDir()
	spec, err := json.Marshal(job)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), dnsJailEnv+"="+string(spec))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET,
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		GidMappingsEnableSetgroups: false,
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Skipf("cannot make a network namespace jail here (%v): the test needs unprivileged user namespaces", err)
	}
	var res jailResult
	require.NoError(t, json.Unmarshal(out, &res), "jail printed %q, stderr %q", out, stderr.String())
	if res.Setup != "" {
		t.Skipf("cannot make a network namespace jail here: %s", res.Setup)
	}
	return res
}

// dnsJail is the test binary inside the jail: it sets the jail up, does
// the job and prints its jailResult.
func dnsJail(spec string) int {
	var job jailJob
	res := jailResult{ExitCode: -1}
	err := json.Unmarshal([]byte(spec), &job)
	var dns *blackHoleDNS
	if err == nil {
		dns, err = setUpJail(job.Dir)
		if err != nil {
			res.Setup = err.Error()
		}
	}
	if err == nil {
		defer dns.close()
		switch job.Mode {
		case "check":
			res = runCheck(job)
		case "serve":
			res = runServe(job)
		default:
			err = fmt.Errorf("unknown jail mode %q", job.Mode)
		}
		res.Queries = dns.seen()
	}
	if err != nil && res.Setup == "" {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

func runCheck(job jailJob) jailResult {
	// Longer than any check that resolves nothing; the control's two
	// names take about 4 s.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, job.HAProxy, "-c", "-f", job.Config).CombinedOutput()
	res := jailResult{ExitCode: 0, Output: string(out), Elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.ExitCode = exitErr.ExitCode()
	} else if err != nil {
		res.ExitCode, res.Output = -1, err.Error()
	}
	return res
}

func runServe(job jailJob) jailResult {
	res := jailResult{ExitCode: -1}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", jailBackendPort))
	if err != nil {
		res.Output = err.Error()
		return res
	}
	backend := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "backend at 127.0.0.1")
	})}
	go func() { _ = backend.Serve(ln) }()
	defer backend.Close()

	var output bytes.Buffer
	proxy := exec.Command(job.HAProxy, "-f", job.Config, "-db")
	proxy.Stdout, proxy.Stderr = &output, &output
	start := time.Now()
	if err := proxy.Start(); err != nil {
		res.Output = err.Error()
		return res
	}
	defer func() {
		_ = proxy.Process.Kill()
		_ = proxy.Wait()
		res.Output = output.String()
	}()
	client := &http.Client{Timeout: time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/", jailFrontendPort)
	// The server leaves maintenance once resolved, then passes its
	// health checks (2 s apart by default): give it 20 s.
	for time.Since(start) < 20*time.Second {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = job.Host
		if resp, err := client.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			res.Status, res.Body = resp.StatusCode, string(body)
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Elapsed = time.Since(start)
	return res
}

// setUpJail, run inside fresh namespaces, keeps its mounts to itself,
// brings the loopback interface up, starts the nameserver and points the
// C library at it, through DNS alone, with files written in dir.
func setUpJail(dir string) (*blackHoleDNS, error) {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("make mounts private: %w", err)
	}
	if err := loopbackUp(); err != nil {
		return nil, err
	}
	dns, err := startBlackHoleDNS()
	if err != nil {
		return nil, err
	}
	for file, text := range map[string]string{
		"/etc/resolv.conf":   "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
		"/etc/nsswitch.conf": "hosts: files dns\n",
	} {
		src := filepath.Join(dir, filepath.Base(file))
		err = os.WriteFile(src, []byte(text), 0o644)
		if err == nil {
			err = syscall.Mount(src, file, "", syscall.MS_BIND, "")
		}
		if err != nil {
			dns.close()
			return nil, fmt.Errorf("bind %s: %w", file, err)
		}
	}
	return dns, nil
}

// loopbackUp sets IFF_UP on "lo", down in a new network namespace.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	var ifreq [40]byte // struct ifreq: the name, then ifr_flags
	copy(ifreq[:], "lo")
	binary.NativeEndian.PutUint16(ifreq[16:], syscall.IFF_UP|syscall.IFF_RUNNING)
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifreq[0]))); errno != 0 {
		return fmt.Errorf("bring lo up: %w", errno)
	}
	return nil
}
