package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/charmkit/httprelation/internal/gobuild"
)

// modulePath is the import path of the httprelation module.
const modulePath = "github.com/charmkit/httprelation"

// Binaries the demo runs, named as go build names them.
const (
	websiteBin = "website"
	proxyBin   = "reverseproxy"
	simBin     = "hook-tool-sim"
)

// packages are what buildBinaries compiles, in one go command so that the
// toolchain shares its work between them.
var packages = []string{
	modulePath + "/examples/website",
	modulePath + "/examples/reverseproxy",
	modulePath + "/cmd/hook-tool-sim",
}

// moduleRoot finds the module's source tree: the charms' metadata is read
// from it and the binaries are built in it. The demo's own source path is
// the reliable answer under go run; with -trimpath it is not a path, and
// the go command's view of the working directory is the fallback.
func moduleRoot(ctx context.Context) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return root, nil
		}
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("find module root: run the demo from the httprelation source tree")
	}
	return filepath.Dir(gomod), nil
}

// buildBinaries compiles the charms and the hook-tool simulator into dir.
func buildBinaries(ctx context.Context, root, dir string) error {
	_, err := gobuild.Packages(ctx, root, dir, packages...)
	return err
}
