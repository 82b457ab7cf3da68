package readme

import (
	"bufio"
	"context"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modulePath is this repository's module, as a charm's go.mod requires
// it.
const modulePath = "github.com/charmkit/httprelation"

// charmSources are the charms of the outside module: their main.go comes
// from the README block that starts with the comment, the rest from this
// package's directory of the same name.
var charmSources = map[string]string{
	"provider": "// A provider charm's hook binary",
	"requirer": "// A requirer charm's hook binary",
}

// TestOutsideModule builds and tests the README's two charms in a module
// of their own, as a charm author would: main.go copied from the README,
// the tests of provider/ and requirer/ (public API only: a module cannot
// import another's internal packages), and a replace directive to this
// checkout. Modules come from the cache, and from the module proxy for
// what the cache lacks: the outside module's graph needs go.mod files of
// old dependencies (loggo's ansiterm) that this module's pruned build
// never fetches, so a fresh machine has no cache to work offline from.
func TestOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module of its own")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	mod := t.TempDir()
	writeGoMod(t, root, mod)

	blocks := goBlocks(string(readme))
	shown := yamlFiles(string(readme)) // the requirer's charm files, as the README shows them
	for dir, prefix := range charmSources {
		require.NoError(t, os.Mkdir(filepath.Join(mod, dir), 0o755))
		main := ""
		for _, b := range blocks {
			if strings.HasPrefix(b, prefix) {
				main = b
			}
		}
		require.NotEmpty(t, main, "the README has no block starting %q", prefix)
		require.NoError(t, os.WriteFile(filepath.Join(mod, dir, "main.go"), []byte(main), 0o644))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			if e.Name() == "main.go" || e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			if text, ok := shown[e.Name()]; ok && dir == "requirer" {
				data = []byte(text)
			}
			if strings.HasSuffix(e.Name(), ".go") {
				assertPublicImports(t, e.Name(), data)
			}
			require.NoError(t, os.WriteFile(filepath.Join(mod, dir, e.Name()), data, 0o644))
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "./...")
	cmd.Dir = mod
	cmd.Env = append(outsideEnv(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go test in the outside module:\n%s", out)
	for _, test := range []string{"TestPublish", "TestPublishAsProcesses", "TestProxy", "TestProxyAsProcesses"} {
		assert.Contains(t, string(out), "--- PASS: "+test+" ", "%s", out)
	}
	assert.NotContains(t, string(out), "--- SKIP")
	assert.Contains(t, string(out), "ok  \texample.com/charms/provider")
	assert.Contains(t, string(out), "ok  \texample.com/charms/requirer")
}

// writeGoMod writes the outside module's go.mod, requiring this module
// (replaced by the checkout at root) and testify at the versions root
// uses, and go.sum, root's.
func writeGoMod(t *testing.T, root, mod string) {
	t.Helper()
	goVersion, testify := "", ""
	f, err := os.Open(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 2 && fields[0] == "go":
			goVersion = fields[1]
		case len(fields) >= 2 && fields[0] == "github.com/stretchr/testify":
			testify = fields[1]
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, goVersion)
	require.NotEmpty(t, testify)
	gomod := "module example.com/charms\n\ngo " + goVersion + "\n\n" +
		"require (\n\t" + modulePath + " v0.0.0-00010101000000-000000000000\n\tgithub.com/stretchr/testify " + testify + "\n)\n\n" +
		"replace " + modulePath + " => " + strconv.Quote(root) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644))
}

// assertPublicImports checks that a Go file of the charms imports none
// of this module's internal packages.
func assertPublicImports(t *testing.T, name string, src []byte) {
	t.Helper()
	internal, err := internalImports(name, src)
	require.NoError(t, err)
	assert.Empty(t, internal, "%s imports internal packages", name)
}

// internalImports lists the packages of this module under internal/ that
// the Go source src imports: a module of its own cannot import them.
func internalImports(name string, src []byte) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	var internal []string
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, err
		}
		if path == modulePath+"/internal" || strings.HasPrefix(path, modulePath+"/internal/") {
			internal = append(internal, path)
		}
	}
	return internal, nil
}

// outsideEnv is this process's environment without the go command's
// settings that belong to this module's run (GOFLAGS may hold -race, the
// test binary's own; GOWORK may name a workspace).
func outsideEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOFLAGS", "GOSUMDB", "GOWORK", "GOTOOLCHAIN":
			continue
		}
		env = append(env, kv)
	}
	return env
}
