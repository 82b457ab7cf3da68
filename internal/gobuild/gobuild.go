// Package gobuild compiles Go commands with the go command, as the hook-tool
// simulator's build cache, toolsim.TestMain and this module's tests and
// demo need them.
package gobuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Packages compiles Go main packages into outDir with a single go
// build, so that the toolchain shares its work between them, and returns
// the binaries' absolute paths in the order of pkgs. Each of pkgs names
// one package: an import path, or a directory such as "." or
// "./cmd/x" (no "..." patterns). The go command runs in workDir, which
// decides the module and what relative directories mean; "" is the
// current directory. outDir is created if it does not exist.
func Packages(ctx context.Context, workDir, outDir string, pkgs ...string) ([]string, error) {
	return Toolchain{}.Packages(ctx, workDir, outDir, pkgs...)
}

// Toolchain is the go command a build runs: Go, the go binary ("" for
// "go" on PATH), with Env as its environment (nil for the process's).
// A build started outside the test process that set it up, such as the
// first run of a charm that toolsim.TestMain left unbuilt, carries that
// process's toolchain in one.
type Toolchain struct {
	Go  string
	Env []string
}

// Packages is the package function Packages, run with t's go command.
func (t Toolchain) Packages(ctx context.Context, workDir, outDir string, pkgs ...string) ([]string, error) {
	if len(pkgs) == 0 {
		return nil, errors.New("build: no packages")
	}
	out, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", strings.Join(pkgs, " "), err)
	}
	// go build names a binary after its package's import path, which a
	// directory argument does not spell out: ask go list for it.
	listed, err := t.command(ctx, workDir, append([]string{"list", "-f", "{{.Name}} {{.ImportPath}} {{context.GOOS}}"}, pkgs...)...)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(listed), "\n")
	if len(lines) != len(pkgs) {
		return nil, fmt.Errorf("build %s: want one distinct package per argument, go list found %d", strings.Join(pkgs, " "), len(lines))
	}
	bins := make([]string, len(pkgs))
	seen := map[string]string{}
	for i, line := range lines {
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("build %s: unexpected go list output %q", pkgs[i], line)
		}
		name, importPath, goos := fields[0], fields[1], fields[2]
		if name != "main" {
			return nil, fmt.Errorf("build %s: package %s is not a command", pkgs[i], importPath)
		}
		exe := ExecName(importPath)
		if goos == "windows" {
			exe += ".exe"
		}
		if other, ok := seen[exe]; ok {
			return nil, fmt.Errorf("build: %s and %s would both be built as %s", other, importPath, exe)
		}
		seen[exe] = importPath
		bins[i] = filepath.Join(out, exe)
	}
	// A trailing separator makes -o a directory even for one package.
	if _, err := t.command(ctx, workDir, append([]string{"build", "-o", out + string(filepath.Separator)}, pkgs...)...); err != nil {
		return nil, err
	}
	return bins, nil
}

// onceTimeout bounds the build that Once makes.
const onceTimeout = 2 * time.Minute

// Once returns a function that, on its first call, builds the main
// package pkg (as Packages does, from the current directory) into a new
// temporary directory, and returns the binary's path or the error on that
// call and every later one: one build that a test process's tests share.
// The directory stays after the process, as a test's children may still
// run the binary.
func Once(pkg string) func() (string, error) {
	return sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "gobuild-")
		if err != nil {
			return "", fmt.Errorf("build %s: %w", pkg, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), onceTimeout)
		defer cancel()
		bins, err := Packages(ctx, "", dir, pkg)
		if err != nil {
			return "", err
		}
		return bins[0], nil
	})
}

// command runs the go command in dir and returns its standard output,
// or an error that carries what it printed on standard error.
func (t Toolchain) command(ctx context.Context, dir string, args ...string) (string, error) {
	goBin := t.Go
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	cmd.Env = t.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// ExecName is the binary name go build gives a command: the last element
// of its import path (or of its directory), or the one before a
// major-version suffix such as "/v2".
func ExecName(importPath string) string {
	dir, elem := path.Split(importPath)
	if dir != "" && isMajorVersion(elem) {
		return path.Base(dir)
	}
	return elem
}

// isMajorVersion reports whether elem is a module major-version suffix:
// "v" and a number of at least 2, without leading zeros.
func isMajorVersion(elem string) bool {
	n, ok := strings.CutPrefix(elem, "v")
	if !ok || n == "" || n[0] == '0' || n == "1" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
