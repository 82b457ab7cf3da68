package httprelation_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goFiles parses every Go file of the module below the current directory
// (the module root), test files included when tests is set. It reads .ci
// too: the CI tooling there is Go code of this module (its tests are named
// in SECURITY.md) even though ./... skips it.
func goFiles(t *testing.T, tests bool) map[string]*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && ((strings.HasPrefix(name, ".") && name != ".ci") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || (!tests && strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files[path] = f
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestNoShell backs SECURITY.md's "no shell": no exec.Command or
// exec.CommandContext anywhere in the module, tests included, names a
// shell as the program to run, so no value is ever interpolated into a
// command line.
func TestNoShell(t *testing.T) {
	shells := map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "busybox": true}
	calls := 0
	for path, f := range goFiles(t, true) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Command" && sel.Sel.Name != "CommandContext") {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "exec" {
				return true
			}
			calls++
			arg := 0
			if sel.Sel.Name == "CommandContext" {
				arg = 1
			}
			if len(call.Args) <= arg {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				prog, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				assert.False(t, shells[filepath.Base(prog)], "%s runs a shell: %s", path, prog)
			}
			return true
		})
	}
	assert.Greater(t, calls, 5, "the check must see the module's exec calls")
}

// TestLibraryOpensNoNetwork backs SECURITY.md's "no network access of its
// own": the library's packages import no networking package but net, and
// use only its address helpers. (charm/v12 links net/http for its own
// purposes; the library never calls it.)
func TestLibraryOpensNoNetwork(t *testing.T) {
	// The root package and the packages its code moved to keep its
	// promise: statefile (the file store) and the internal packages of
	// names, metadata and escaping.
	library := []string{".", "hooktools", "statefile", "internal/statekey", "internal/juju", "internal/charmmeta", "internal/badchar"}
	networking := regexp.MustCompile(`^(net/(http|rpc|smtp|mail|textproto)(/.*)?|crypto/tls)$`)
	addressHelpers := map[string]bool{"JoinHostPort": true, "SplitHostPort": true}
	seen := 0
	for path, f := range goFiles(t, false) {
		if !slices.Contains(library, filepath.Dir(path)) {
			continue
		}
		seen++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			assert.False(t, networking.MatchString(p), "%s imports %s", path, p)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "net" {
					assert.True(t, addressHelpers[sel.Sel.Name], "%s uses net.%s", path, sel.Sel.Name)
				}
			}
			return true
		})
	}
	assert.Greater(t, seen, 10)
}

// TestSecurityClaimsNameRealTests: every test, fuzz target, benchmark or
// example that SECURITY.md names as the proof of a claim exists in the
// module, so a renamed or deleted test cannot leave a claim unproven.
func TestSecurityClaimsNameRealTests(t *testing.T) {
	doc, err := os.ReadFile("SECURITY.md")
	require.NoError(t, err)
	named := regexp.MustCompile(`\b(?:Test|Fuzz|Benchmark|Example)[A-Z]\w*`).FindAllString(string(doc), -1)
	require.Greater(t, len(named), 30, "SECURITY.md names the tests behind its claims")

	defined := map[string]bool{}
	for _, f := range goFiles(t, true) {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				defined[fn.Name.Name] = true
			}
		}
	}
	for _, name := range named {
		assert.True(t, defined[name], "SECURITY.md names %s, which no test file defines", name)
	}
}

// TestSimulatorLinksNoNetworkStack: every simulated hook tool call is a
// hook-tool-sim process, so what that binary links is paid on every call.
// charm/v12 brings net, net/http and cgo with it, and linking it once
// made a benchmarked hook cost 60 % more CPU.
func TestSimulatorLinksNoNetworkStack(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/hook-tool-sim").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/charmkit/httprelation/toolsim")
	for _, heavy := range []string{"net", "net/http", "runtime/cgo", "github.com/juju/charm/v12"} {
		assert.NotContains(t, deps, heavy)
	}
}
