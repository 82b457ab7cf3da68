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
	var doc []byte
	for _, path := range []string{"SECURITY.md", "docs/security-claims.md"} {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		doc = append(doc, data...)
	}
	named := regexp.MustCompile(`\b(?:Test|Fuzz|Benchmark|Example)[A-Z]\w*`).FindAllString(string(doc), -1)
	require.Greater(t, len(named), 30, "SECURITY.md and docs/security-claims.md name the tests behind the claims")

	defined := map[string]bool{}
	for _, f := range goFiles(t, true) {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				defined[fn.Name.Name] = true
			}
		}
	}
	for _, name := range named {
		assert.True(t, defined[name], "the security docs name %s, which no test file defines", name)
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

// exportedNames counts a package's exported names as its godoc lists
// them: top-level functions, types, constants and variables, and the
// exported methods of exported types.
func exportedNames(t *testing.T, dir string) int {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.SkipObjectResolution)
	require.NoError(t, err)
	n := 0
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Name.IsExported() && (d.Recv == nil || ast.IsExported(receiverType(d))) {
						n++
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() {
								n++
							}
						case *ast.ValueSpec:
							for _, name := range s.Names {
								if name.IsExported() {
									n++
								}
							}
						}
					}
				}
			}
		}
	}
	return n
}

// receiverType names a method's receiver type.
func receiverType(fn *ast.FuncDecl) string {
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// TestLayoutTargets keeps the library as small as the project promises:
// at most 40 Go files in the root package, at most 90 exported names
// there and 230 in the four library packages together, one way to get a
// *Provides or *Requires besides New* (two functions each), and a README
// that stays an entry page of at most 200 lines.
func TestLayoutTargets(t *testing.T) {
	goFilesAtRoot, err := filepath.Glob("*.go")
	require.NoError(t, err)
	assert.LessOrEqual(t, len(goFilesAtRoot), 40, "Go files in the root package")

	total := 0
	for _, dir := range []string{".", "hooktools", "httprelationtest", "toolsim"} {
		n := exportedNames(t, dir)
		if dir == "." {
			assert.LessOrEqual(t, n, 90, "exported names of the root package")
		}
		total += n
	}
	assert.LessOrEqual(t, total, 230, "exported names of the four library packages")

	typeIn := map[string]string{}
	for path, f := range goFiles(t, false) {
		dir := filepath.Dir(path)
		if f.Name.Name == "main" || strings.HasPrefix(dir, "internal") || strings.HasPrefix(dir, "examples") {
			continue
		}
		for _, d := range f.Decls {
			gen, ok := d.(*ast.GenDecl)
			if !ok || gen.Tok != token.TYPE {
				continue
			}
			for _, s := range gen.Specs {
				name := s.(*ast.TypeSpec).Name.Name
				if !ast.IsExported(name) {
					continue
				}
				if other, seen := typeIn[name]; seen && other != dir {
					t.Errorf("exported type %s is declared in %s and in %s", name, other, dir)
				}
				typeIn[name] = dir
			}
		}
	}

	returning := map[string]int{}
	for path, f := range goFiles(t, false) {
		if strings.HasPrefix(path, "cmd/") || strings.HasPrefix(path, "examples/") || strings.HasPrefix(path, "internal/") {
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !fn.Name.IsExported() || fn.Type.Results == nil {
				continue
			}
			for _, r := range fn.Type.Results.List {
				if star, ok := r.Type.(*ast.StarExpr); ok {
					switch x := star.X.(type) {
					case *ast.Ident:
						returning[x.Name]++
					case *ast.SelectorExpr:
						returning[x.Sel.Name]++
					}
				}
			}
		}
	}
	assert.Equal(t, 2, returning["Provides"], "functions returning *Provides: NewProvides and Unit.OpenProvides")
	assert.Equal(t, 2, returning["Requires"], "functions returning *Requires: NewRequires and Unit.OpenRequires")

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.LessOrEqual(t, strings.Count(string(readme), "\n"), 200, "README.md lines")
}

// TestNoHistoryInSources: code, tests and docs say what they check and
// why, never which review round, issue or stop of the project's history
// found it; the history is in git and the issue tracker.
func TestNoHistoryInSources(t *testing.T) {
	history := regexp.MustCompile(`(?i)\b(issue|class(es)?|stop) [0-9]+\b|\bTestClass[0-9]|\bTestAttack`)
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (name == ".git" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".md") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(data), "\n") {
			assert.False(t, history.MatchString(line), "%s:%d: %s", path, i+1, line)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, checked, 100)
}
