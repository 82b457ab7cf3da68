package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation/toolsim"
)

// binDir holds the binaries built once for every test of the package;
// TestMain removes it.
var binDir string

var buildOnce = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	return buildBinaries(ctx, root, binDir)
})

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == proxyBin {
		os.Exit(fakeProxyCharm())
	}
	dir, err := os.MkdirTemp("", "demo-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built returns the directory of the built binaries, failing the test if
// they cannot be built.
func built(t *testing.T) string {
	t.Helper()
	require.NoError(t, buildOnce(), "building the charms and the simulator")
	return binDir
}

// TestDemoEndToEnd runs the whole demo against each proxy, with the
// hostile unit, and checks what it reports against what it left on disk.
func TestDemoEndToEnd(t *testing.T) {
	for _, proxy := range []string{proxyEmbedded, proxyHAProxy} {
		t.Run(proxy, func(t *testing.T) {
			if proxy == proxyHAProxy {
				if _, err := exec.LookPath("haproxy"); err != nil {
					t.Skip("haproxy is not on PATH; install it with: apt-get update && apt-get install -y haproxy")
				}
			}
			work := t.TempDir()
			cfg := config{proxy: proxy, requests: 30, hostile: true, binDir: built(t), workDir: work}
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			err := run(ctx, cfg, &stdout, &stderr)
			require.NoError(t, err, "stderr:\n%s", stderr.String())
			assert.Less(t, time.Since(start), 30*time.Second, "the demo must run in under 30 s")

			rounds := parseRounds(t, stdout.String())
			require.Len(t, rounds, 2, "stdout:\n%s", stdout.String())
			before, after := rounds[1], rounds[2]
			for _, u := range []string{"web/0", "web/1", "web/2"} {
				assert.Positive(t, before[u], "before removal, %s must get requests", u)
			}
			assert.Zero(t, after["web/1"], "the departed unit must get no request")
			assert.Positive(t, after["web/0"])
			assert.Positive(t, after["web/2"])
			for i, r := range []map[string]int{before, after} {
				assert.Zero(t, r[hostileUnit], "round %d: the hostile unit must get no request", i+1)
				assert.Zero(t, r["failed"], "round %d", i+1)
				assert.Equal(t, 30, r["web/0"]+r["web/1"]+r["web/2"], "round %d: every request answered by a web unit", i+1)
			}

			proxyModel, err := toolsim.ReadModel(filepath.Join(work, "units", "proxy-0", "model.json"))
			require.NoError(t, err)
			units := proxyModel.Relations[proxyRel].Units
			assert.NotContains(t, units, "web/1", "the departed unit must leave the proxy's model")
			hostile := units[hostileUnit]
			require.Contains(t, hostile["hostname"], "\n", "the hostile unit's hostname must carry a newline")
			require.Equal(t, "0", hostile["port"])

			if proxy == proxyHAProxy {
				assertHAProxyConfig(t, filepath.Join(work, "units", "proxy-0", "haproxy.cfg"), work, hostile["hostname"])
			}
		})
	}
}

// assertHAProxyConfig checks the configuration the charm left rendered
// after the departure: the two remaining units only, nothing of the
// hostile unit's data.
func assertHAProxyConfig(t *testing.T, path, work, hostileHostname string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(data)
	_, smuggled, _ := strings.Cut(hostileHostname, "\n")
	smuggled = strings.TrimSpace(smuggled)
	require.NotEmpty(t, smuggled)
	assert.NotContains(t, text, smuggled, "hostile data must not reach haproxy.cfg")
	hostilePort := smuggled[strings.LastIndex(smuggled, ":")+1:]
	assert.NotContains(t, text, "127.0.0.1:"+hostilePort+"\n")
	assert.NotContains(t, text, "127.0.0.1:"+hostilePort+" ")
	assert.NotContains(t, text, ":0 ", "port 0 must not be rendered")
	assert.NotContains(t, text, ":0\n", "port 0 must not be rendered")

	servers := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "server" {
			servers++
		}
	}
	assert.Equal(t, 2, servers, "haproxy.cfg:\n%s", text)
	for _, u := range []string{"web-0", "web-2"} {
		assert.Contains(t, text, "127.0.0.1:"+webPort(t, work, u), "%s must be routed to", u)
	}
	assert.NotContains(t, text, "127.0.0.1:"+webPort(t, work, "web-1"), "web/1 departed")
}

// webPort reads the port a website unit was configured with.
func webPort(t *testing.T, work, dir string) string {
	t.Helper()
	m, err := toolsim.ReadModel(filepath.Join(work, "units", dir, "model.json"))
	require.NoError(t, err)
	return fmt.Sprint(m.Config["port"])
}

// parseRounds reads the "round N: web/0=10 ... failed=0" lines of stdout.
func parseRounds(t *testing.T, stdout string) map[int]map[string]int {
	t.Helper()
	rounds := map[int]map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		head, rest, ok := strings.Cut(sc.Text(), ": ")
		num, isRound := strings.CutPrefix(head, "round ")
		if !ok || !isRound {
			continue
		}
		n, err := strconv.Atoi(num)
		require.NoError(t, err, sc.Text())
		counts := map[string]int{}
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			require.True(t, ok, sc.Text())
			counts[k], err = strconv.Atoi(v)
			require.NoError(t, err, sc.Text())
		}
		rounds[n] = counts
	}
	return rounds
}

// fakeProxyCharm is what the test binary does when run under the proxy
// charm's name: a charm that fails its first relation hook, after the
// website servers are up.
func fakeProxyCharm() int {
	if strings.HasSuffix(os.Getenv("JUJU_HOOK_NAME"), "-relation-joined") {
		fmt.Fprintln(os.Stderr, "fake reverseproxy: refusing to join")
		return 1
	}
	return 0
}

// TestRunFailingHookCleansUp makes the proxy charm fail its first relation
// hook and checks that run reports it, with the hook's output, and leaves
// no website server running.
func TestRunFailingHookCleansUp(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	bins := t.TempDir()
	for _, name := range []string{websiteBin, simBin} {
		require.NoError(t, os.Symlink(filepath.Join(built(t), name), filepath.Join(bins, name)))
	}
	require.NoError(t, os.Symlink(self, filepath.Join(bins, proxyBin)))
	work := t.TempDir()
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), config{proxy: proxyEmbedded, requests: 30, binDir: bins, workDir: work}, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "proxy/0 hook reverseproxy-relation-joined")
	assert.Contains(t, stderr.String(), "FAILED")
	assert.Contains(t, stderr.String(), "fake reverseproxy: refusing to join")

	port := webPort(t, work, "web-0")
	resp, err := http.Get("http://127.0.0.1:" + port + "/")
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "web/0's server must be stopped after a failed run")
}

func TestRunWithoutHAProxy(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := run(context.Background(), config{proxy: proxyHAProxy, requests: 30}, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorIs(t, err, errNoHAProxy)
	assert.Contains(t, err.Error(), "apt-get install -y haproxy")
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr bool
	}{
		{name: "defaults", want: config{proxy: proxyEmbedded, requests: 30}},
		{name: "haproxy", args: []string{"-proxy", "haproxy", "-n", "9", "-hostile"},
			want: config{proxy: proxyHAProxy, requests: 9, hostile: true}},
		{name: "keep", args: []string{"-keep", "/tmp/x", "-v"},
			want: config{proxy: proxyEmbedded, requests: 30, workDir: "/tmp/x", verbose: true}},
		{name: "unknown proxy", args: []string{"-proxy", "nginx"}, wantErr: true},
		{name: "too few requests", args: []string{"-n", "2"}, wantErr: true},
		{name: "negative requests", args: []string{"-n", "-1"}, wantErr: true},
		{name: "extra argument", args: []string{"now"}, wantErr: true},
		{name: "unknown flag", args: []string{"-x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parseFlags(tt.args, &stderr)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, stderr.String(), "Usage")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
