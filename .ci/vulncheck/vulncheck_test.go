package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildDB(t *testing.T) {
	dst := t.TempDir()
	n, err := buildDB(filepath.Join("testdata", "osv"), dst)
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dst, name))
		require.NoError(t, err)
		return string(data)
	}
	assert.JSONEq(t, `{"modified":"2025-02-03T04:05:06Z"}`, read("index/db.json"))
	assert.JSONEq(t, `[
		{"path":"example.com/a","vulns":[{"id":"GO-2024-0001","modified":"2024-05-01T10:00:00Z"}]},
		{"path":"example.com/b","vulns":[
			{"id":"GO-2023-0003","modified":"2023-01-01T00:00:00Z"},
			{"id":"GO-2024-0001","modified":"2024-05-01T10:00:00Z"}]},
		{"path":"stdlib","vulns":[{"id":"GO-2025-0002","modified":"2025-02-03T04:05:06Z"}]}
	]`, read("index/modules.json"))
	assert.JSONEq(t, `[
		{"id":"GO-2023-0003","modified":"2023-01-01T00:00:00Z","aliases":["CVE-2023-0003"]},
		{"id":"GO-2024-0001","modified":"2024-05-01T10:00:00Z","aliases":["CVE-2024-0001","GHSA-aaaa-bbbb-cccc"]},
		{"id":"GO-2025-0002","modified":"2025-02-03T04:05:06Z"}
	]`, read("index/vulns.json"))
	for _, id := range []string{"GO-2023-0003", "GO-2024-0001", "GO-2025-0002"} {
		want, err := os.ReadFile(filepath.Join("testdata", "osv", id+".json"))
		require.NoError(t, err)
		assert.Equal(t, string(want), read("ID/"+id+".json"), "entries are copied byte for byte")
	}
	entries, err := os.ReadDir(filepath.Join(dst, "ID"))
	require.NoError(t, err)
	assert.Len(t, entries, 3, "files that are not entries are skipped")
}

func TestBuildDBRefuses(t *testing.T) {
	_, err := buildDB(filepath.Join("testdata", "badosv"), t.TempDir())
	require.ErrorContains(t, err, "does not match its file name")

	_, err = buildDB(t.TempDir(), t.TempDir())
	require.ErrorContains(t, err, "no OSV entries")

	_, err = buildDB(filepath.Join("testdata", "missing"), t.TempDir())
	require.Error(t, err)

	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "GO-2024-0001.json"), []byte(`{"id":`), 0o644))
	_, err = buildDB(bad, t.TempDir())
	require.ErrorContains(t, err, "GO-2024-0001.json")
}

func parseTestdata(t *testing.T) *scan {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "stream.json"))
	require.NoError(t, err)
	defer f.Close()
	s, err := parseStream(f)
	require.NoError(t, err)
	return s
}

func TestParseStream(t *testing.T) {
	s := parseTestdata(t)
	assert.Equal(t, "v1.9.0", s.Scanner)
	assert.Equal(t, "go1.26.8", s.GoVersion)
	byID := map[string]*vuln{}
	var ids []string
	for _, v := range s.Vulns {
		byID[v.ID] = v
		ids = append(ids, v.ID)
	}
	assert.Equal(t, []string{"GO-2026-0001", "GO-2026-0002", "GO-2026-0003", "GO-2026-0004", "GO-2026-0005", "GO-2026-0006"}, ids,
		"one vuln per entry with a finding, sorted; an OSV message alone is no finding")

	fixable := byID["GO-2026-0002"]
	assert.Equal(t, &vuln{
		ID: "GO-2026-0002", Summary: "Fixable within go 1.23", Aliases: []string{"CVE-2026-0002", "GHSA-xxxx-yyyy-zzzz"},
		Module: "example.com/fixable", Version: "v1.0.0", Fixed: "v1.2.0", Level: levelSymbol,
		Calls: []string{
			"example.com/fixable/parse.Parse <- example.com/me/lib.Store.Load (lib/store.go:40)",
			"example.com/fixable/parse.Parse <- example.com/me/lib.Store.Load (lib/store.go:40)",
		},
	}, fixable)
	assert.Equal(t, levelSymbol, byID["GO-2026-0001"].Level, "the deepest level wins")
	assert.Equal(t, []string{"net/http.Server.Serve <- example.com/me.main (main.go:12)"}, byID["GO-2026-0001"].Calls)
	assert.Equal(t, levelPackage, byID["GO-2026-0005"].Level)
	assert.Equal(t, levelModule, byID["GO-2026-0006"].Level)
	assert.Empty(t, byID["GO-2026-0004"].Fixed)
}

func TestParseStreamRefuses(t *testing.T) {
	config := `{"config": {"scanner_version": "v1.9.0", "scan_level": "symbol"}}` + "\n"
	for name, stream := range map[string]string{
		"not symbol level": `{"config": {"scanner_version": "v1.9.0", "scan_level": "package"}}`,
		"no config":        `{"finding": {"osv": "GO-1", "trace": [{"module": "m"}]}}`,
		"empty":            ``,
		"not JSON":         config + `Scanning your code...`,
		"no trace":         config + `{"finding": {"osv": "GO-1"}}`,
		"null frame":       config + `{"finding": {"osv": "GO-1", "trace": [null]}}`,
		"no entry id":      config + `{"finding": {"trace": [{"module": "m"}]}}`,
	} {
		_, err := parseStream(strings.NewReader(stream))
		assert.Error(t, err, name)
	}
}

// goLines is a fake go.mod lookup: the go line of each fixed version.
func goLines(lines map[string]string) goDirective {
	return func(module, version string) (string, error) {
		line, ok := lines[module+"@"+version]
		if !ok {
			return "", errors.New("unknown module version")
		}
		return line, nil
	}
}

func TestJudge(t *testing.T) {
	lookup := goLines(map[string]string{
		"example.com/m@v1.2.0": "1.22",
		"example.com/m@v1.3.0": "1.23.0",
		"example.com/m@v1.4.0": "1.23.5",
		"example.com/m@v2.0.0": "1.26",
		"example.com/m@v1.0.1": "",
	})
	called := func(module, fixed string) *vuln {
		return &vuln{ID: "GO-X", Module: module, Version: "v1.0.0", Fixed: fixed, Level: levelSymbol}
	}
	tests := []struct {
		name   string
		v      *vuln
		fail   bool
		reason string
	}{
		{"fix within an older go", called("example.com/m", "v1.2.0"), true, "upgrade"},
		{"fix at exactly the declared go", called("example.com/m", "v1.3.0"), true, "upgrade"},
		{"fix without a go line", called("example.com/m", "v1.0.1"), true, "upgrade"},
		{"fix needs a newer patch release", called("example.com/m", "v1.4.0"), false, "needs go 1.23.5"},
		{"fix needs a newer go", called("example.com/m", "v2.0.0"), false, "needs go 1.26"},
		{"no fix", called("example.com/m", ""), false, "no version"},
		{"standard library, called", called("stdlib", "v1.26.9"), false, "standard library"},
		{"toolchain", called("toolchain", "v1.26.9"), false, "standard library"},
		{"imported only", &vuln{Module: "example.com/m", Fixed: "v1.2.0", Level: levelPackage}, false, "imported, never called"},
		{"required only", &vuln{Module: "example.com/m", Fixed: "v1.2.0", Level: levelModule}, false, "required, never called"},
	}
	for _, tt := range tests {
		got, err := judge(tt.v, "1.23.0", lookup)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.fail, got.Fail, tt.name)
		assert.Contains(t, got.Reason, tt.reason, tt.name)
	}

	_, err := judge(called("example.com/m", "v9.9.9"), "1.23.0", lookup)
	require.ErrorContains(t, err, "example.com/m@v9.9.9", "a fix whose go line cannot be read fails the check closed")
}

func TestReport(t *testing.T) {
	s := parseTestdata(t)
	var out bytes.Buffer
	failed, err := report(&out, s, "1.23.0", goLines(map[string]string{
		"example.com/fixable@v1.2.0": "1.21",
		"example.com/newgo@v2.0.0":   "1.25.0",
	}), 8)
	require.NoError(t, err)
	assert.Equal(t, 1, failed)
	text := out.String()
	assert.Contains(t, text, "FAIL GO-2026-0002 called   example.com/fixable@v1.0.0 (CVE-2026-0002, GHSA-xxxx-yyyy-zzzz): Fixable within go 1.23\n")
	assert.Contains(t, text, "     example.com/fixable/parse.Parse <- example.com/me/lib.Store.Load (lib/store.go:40)\n")
	assert.Equal(t, 1, strings.Count(text, "parse.Parse <-"), "a call path is printed once")
	for _, line := range []string{
		"ok   GO-2026-0001 called   stdlib@v1.26.8",
		"ok   GO-2026-0003 called   example.com/newgo@v1.4.0",
		"ok   GO-2026-0004 called   example.com/nofix@v0.1.0",
		"ok   GO-2026-0005 imported example.com/imported@v1.0.0",
		"ok   GO-2026-0006 required example.com/required@v1.0.0",
		"6 findings, 1 failing",
	} {
		assert.Contains(t, text, line)
	}

	out.Reset()
	_, err = report(&out, s, "1.23.0", goLines(nil), 8)
	require.Error(t, err, "a lookup that fails stops the report")
}

func TestReportCapsCallPaths(t *testing.T) {
	v := &vuln{ID: "GO-X", Module: "stdlib", Version: "v1.26.8", Level: levelSymbol}
	for i := range 12 {
		v.Calls = append(v.Calls, strings.Repeat("x", i+1))
	}
	var out bytes.Buffer
	_, err := report(&out, &scan{Scanner: "v1.9.0", Vulns: []*vuln{v}}, "1.23.0", goLines(nil), 8)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "... and 4 more")
	out.Reset()
	_, err = report(&out, &scan{Scanner: "v1.9.0", Vulns: []*vuln{v}}, "1.23.0", goLines(nil), -1)
	require.NoError(t, err)
	assert.NotContains(t, out.String(), "more")
	assert.Contains(t, out.String(), strings.Repeat("x", 12)+"\n")
}

func TestRunUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-bogus"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "bogus")
}
