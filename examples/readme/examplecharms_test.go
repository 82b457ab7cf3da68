package readme

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleCharms are the example charms a charm author copies out of this
// repository: their files may use public packages only.
var exampleCharms = []string{"website", "reverseproxy"}

// TestExampleCharmsImportNoInternalPackage reads every Go file of the
// example charms: none may import a package under internal/, which a
// charm copied into a module of its own could not build.
func TestExampleCharmsImportNoInternalPackage(t *testing.T) {
	for _, charm := range exampleCharms {
		var files []string
		err := filepath.WalkDir(filepath.Join("..", charm), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err == nil {
				files = append(files, path)
				assertPublicImports(t, path, src)
			}
			return err
		})
		require.NoError(t, err)
		assert.Contains(t, files, filepath.Join("..", charm, "process_test.go"), "the walk reads the charm's tests")
	}
}

func TestInternalImportsFindsInternalPackages(t *testing.T) {
	src := "package main\n\nimport (\n\t\"os\"\n\n\t\"" + modulePath + "/internal/charmtest\"\n\t\"" + modulePath + "/toolsim\"\n\t\"" + modulePath + "/internalish\"\n)\n"
	got, err := internalImports("x_test.go", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, []string{modulePath + "/internal/charmtest"}, got)
}

// TestExampleCharmsSharePackingTests keeps the packing tests, which hold
// nothing of a particular charm, the same file in every example charm.
func TestExampleCharmsSharePackingTests(t *testing.T) {
	for _, file := range []string{"pack_test.go", "charmcraft_test.go"} {
		first, err := os.ReadFile(filepath.Join("..", exampleCharms[0], file))
		require.NoError(t, err)
		for _, charm := range exampleCharms[1:] {
			other, err := os.ReadFile(filepath.Join("..", charm, file))
			require.NoError(t, err)
			assert.Equal(t, string(first), string(other), "%s differs between %s and %s", file, exampleCharms[0], charm)
		}
	}
}

// TestExampleCharmsOutsideModule copies the example charm directories
// into a module of their own, as a charm author would, and runs their
// packing tests there: the tests build, and the build command their
// README shows works unchanged outside this repository.
func TestExampleCharmsOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module of its own")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	mod := t.TempDir()
	writeGoMod(t, root, mod)
	for _, charm := range exampleCharms {
		require.NoError(t, os.CopyFS(filepath.Join(mod, charm), os.DirFS(filepath.Join("..", charm))))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "-run", "^(TestPackShipsTheCharm|TestDispatch|TestREADMEShowsTheBuild)$", "./...")
	cmd.Dir = mod
	cmd.Env = append(outsideEnv(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go test in the outside module:\n%s", out)
	for _, charm := range exampleCharms {
		assert.Contains(t, string(out), "ok  \texample.com/charms/"+charm)
	}
	for _, test := range []string{"TestPackShipsTheCharm", "TestDispatch", "TestREADMEShowsTheBuild"} {
		assert.Equal(t, len(exampleCharms), strings.Count(string(out), "--- PASS: "+test+" "), "%s: %s", test, out)
	}
}
