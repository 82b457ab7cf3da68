package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnitHandlerAnswersEveryRequest(t *testing.T) {
	srv := httptest.NewServer(unitHandler("website/3"))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/some/page?q=1"},
		{http.MethodPost, "/form"},
		{http.MethodHead, "/"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("ignored"))
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)

			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "website/3", resp.Header.Get("X-Unit"))
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
			if tc.method == http.MethodHead {
				assert.Empty(t, body)
			} else {
				assert.Equal(t, "website/3\n", string(body))
			}
		})
	}
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, "website/0") }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "website/0\n", string(body))

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
	_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	assert.Error(t, err, "listener still open")
}

func TestServeArgumentsAreValidated(t *testing.T) {
	for name, args := range map[string][]string{
		"no port":         {"--unit", "website/0"},
		"port zero":       {"--port", "0", "--unit", "website/0"},
		"port too big":    {"--port", "65536", "--unit", "website/0"},
		"no unit":         {"--port", "8080"},
		"unit not a unit": {"--port", "8080", "--unit", "website"},
		"unit newline":    {"--port", "8080", "--unit", "website/0\nX-Evil: 1"},
		"bad bind":        {"--port", "8080", "--unit", "website/0", "--bind", "not an address"},
		"extra argument":  {"--port", "8080", "--unit", "website/0", "extra"},
		"unknown flag":    {"--port", "8080", "--unit", "website/0", "--tls"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := serveMain(context.Background(), args, &stderr)
			assert.Equal(t, exitUsage, code)
			assert.NotEmpty(t, stderr.String())
		})
	}
}

// TestServeProcess runs "website serve" as systemd would and stops it with
// SIGTERM.
func TestServeProcess(t *testing.T) {
	port := freePort(t)
	cmd := exec.Command(charmBinary, "serve", "--port", strconv.Itoa(port), "--unit", "website/7")
	cmd.Env = os.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	var resp *http.Response
	require.Eventually(t, func() bool {
		r, err := http.Get(url)
		if err != nil {
			return false
		}
		resp = r
		return true
	}, 10*time.Second, 20*time.Millisecond, "server never answered; stderr: %s", &stderr)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "website/7\n", string(body))
	assert.Equal(t, "website/7", resp.Header.Get("X-Unit"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.NoError(t, cmd.Wait(), "stderr: %s", &stderr)
	assert.Contains(t, stderr.String(), "website: serving website/7 on 127.0.0.1:"+strconv.Itoa(port))
}

// freePort finds a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}
