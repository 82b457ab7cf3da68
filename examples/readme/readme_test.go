package readme

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmePath is the README whose Go blocks this package mirrors.
const readmePath = "../../README.md"

// goBlocks returns the text of every ```go block of a Markdown document.
func goBlocks(markdown string) []string { return fencedBlocks(markdown, "go") }

// yamlFiles returns the ```yaml blocks of a Markdown document that start
// with a "# <file name>" line, by file name, without that line.
func yamlFiles(markdown string) map[string]string {
	files := map[string]string{}
	for _, b := range fencedBlocks(markdown, "yaml") {
		if name, rest, ok := strings.Cut(b, "\n"); ok && strings.HasPrefix(name, "# ") {
			files[strings.TrimPrefix(name, "# ")] = rest
		}
	}
	return files
}

// fencedBlocks returns the text of every ```lang block of a Markdown
// document.
func fencedBlocks(markdown, lang string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(markdown, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```"+lang:
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// mirrorFiles reads every Go file of this package's tree, by path.
func mirrorFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	require.NoError(t, err)
	return files
}

// mirrored reports whether block is the whole of file, or runs of whole
// lines of it, indented alike (a fragment inside a function).
func mirrored(block, file string) bool {
	if block == file {
		return true
	}
	want := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	lines := strings.Split(file, "\n")
	for i := 0; i+len(want) <= len(lines); i++ {
		indent, ok := strings.CutSuffix(lines[i], want[0])
		if !ok || strings.Trim(indent, "\t") != "" {
			continue
		}
		match := true
		for j, w := range want {
			if got := lines[i+j]; got != indent+w && !(w == "" && got == "") {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// unmirrored returns the blocks no file mirrors.
func unmirrored(blocks []string, files map[string]string) []string {
	var out []string
	for _, b := range blocks {
		found := false
		for _, f := range files {
			if mirrored(b, f) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, b)
		}
	}
	return out
}

// Every Go block of the README is a file of this package, or a run of
// lines in one, so that it compiles and its tests run it; a README edit
// that is not made here too fails this test.
func TestREADMEGoBlocksAreMirrored(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	blocks := goBlocks(string(data))
	require.GreaterOrEqual(t, len(blocks), 3, "the README's provider, requirer and test code")
	files := mirrorFiles(t)
	for _, b := range unmirrored(blocks, files) {
		t.Errorf("README block has no mirror under examples/readme; update one to match:\n%s", b)
	}
	// The two charms are whole files.
	for _, name := range []string{"provider/main.go", "requirer/main.go"} {
		assert.Contains(t, blocks, files[name], "%s must be a whole README block", name)
	}
}

// The charm files the README shows are the requirer's, as they are.
func TestREADMEYAMLBlocksAreTheCharmsFiles(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	files := yamlFiles(string(data))
	require.Len(t, files, 2, "metadata.yaml and config.yaml")
	for name, text := range files {
		want, err := os.ReadFile(filepath.Join("requirer", name))
		require.NoError(t, err)
		assert.Equal(t, string(want), text, name)
	}
}

// The check fails on drift: a changed character, a line left out or
// added, or a fragment indented unlike its surroundings.
func TestMirrorCheckCatchesDrift(t *testing.T) {
	file := "package x\n\nfunc f() {\n\ta := 1\n\n\tb := 2\n\t_ = a + b\n}\n"
	files := map[string]string{"x.go": file}
	assert.Empty(t, unmirrored([]string{file, "a := 1\n\nb := 2\n", "func f() {\n\ta := 1\n"}, files))
	for _, drifted := range []string{
		"a := 1\n\nb := 3\n",         // changed
		"a := 1\nb := 2\n",           // a line left out
		"a := 1\n\nb := 2\nc := 3\n", // a line added
		" a := 1\n",                  // indented with a space
		"a := 1\n  b := 2\n",         // inner indentation changed
		strings.Replace(file, "2", "3", 1),
	} {
		assert.Equal(t, []string{drifted}, unmirrored([]string{drifted}, files), "%q", drifted)
	}
	assert.Equal(t, []string{"x := 1\n", "y\n"}, goBlocks("# t\n```go\nx := 1\n```\n```sh\nls\n```\n  ```go\ny\n  ```\n"))
}

// namedTests returns the tests, benchmarks, fuzz targets and examples a
// Markdown document names in backquotes (`TestX`), each once.
func namedTests(markdown string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range namedTest.FindAllStringSubmatch(markdown, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	return names
}

var namedTest = regexp.MustCompile("`((?:Test|Benchmark|Fuzz|Example)[A-Za-z0-9_]*)`")

// definedTests returns the names of the test functions defined in the
// _test.go files under root.
func definedTests(t *testing.T, root string) map[string]bool {
	t.Helper()
	defined := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil {
				defined[fn.Name.Name] = true
			}
		}
		return nil
	})
	require.NoError(t, err)
	return defined
}

// A claim of the README or of docs/ names the test that proves it; the
// name must stay true when a test is renamed or removed.
func TestREADMENamedTestsExist(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	require.NoError(t, err)
	var text []byte
	for _, path := range append([]string{readmePath, "../../bench/README.md"}, docs...) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		text = append(text, data...)
	}
	names := namedTests(string(text))
	require.NotEmpty(t, names)
	defined := definedTests(t, "../..")
	for _, name := range names {
		assert.True(t, defined[name], "the README or docs/ name %s, which no _test.go file defines", name)
	}
	assert.Equal(t, []string{"TestA", "ExampleB_C"}, namedTests("see `TestA` and `ExampleB_C`, `TestA` again, not TestD or `tested`"),
		"the pattern finds backquoted names only")
}
