package toolsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/charmkit/httprelation/internal/gobuild"
)

// binaryName is the name go build gives the simulator's command.
const binaryName = "hook-tool-sim"

// simPackage is the import path of the simulator's command.
const simPackage = "github.com/charmkit/httprelation/cmd/hook-tool-sim"

// build compiles the simulator into outDir and returns the binary's path.
// It runs go build from the module that holds this package's sources when
// they are on disk, else from the working directory, which must then lie
// inside the module.
func build(ctx context.Context, outDir string) (string, error) {
	bins, err := gobuild.Packages(ctx, sourceModuleDir(), outDir, simPackage)
	if err != nil {
		return "", err
	}
	return bins[0], nil
}

// sharedBinary builds the simulator at most once per process. Linking
// takes about a second, and every test of every package that runs tools
// needs the same binary.
var sharedBinary = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return cachedBuild(ctx)
})

// cachedBuild reuses a binary built by an earlier process from the same
// sources, kept under os.TempDir() in a directory named after the user and
// a hash of the sources. Without sources on disk it builds afresh.
func cachedBuild(ctx context.Context) (string, error) {
	root := sourceModuleDir()
	if root == "" {
		dir, err := os.MkdirTemp("", "toolsim-")
		if err != nil {
			return "", fmt.Errorf("build %s: %w", binaryName, err)
		}
		return build(ctx, dir)
	}
	key, err := sourceHash(root)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("toolsim-%d-%s", os.Getuid(), key))
	bin := filepath.Join(dir, binaryName)
	if ownedBy(bin, false) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("build cache: %w", err)
	}
	if !ownedBy(dir, true) {
		return "", fmt.Errorf("build cache: %s is not a private directory of this user", dir)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("build cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	built, err := build(ctx, tmp)
	if err != nil {
		return "", err
	}
	// Concurrent test processes may both build; rename makes either win.
	if err := os.Rename(built, bin); err != nil {
		return "", fmt.Errorf("build cache: %w", err)
	}
	return bin, nil
}

// ownedBy reports whether path is a directory (or a regular file) of the
// current user that nobody else can write: another user must not be able
// to plant the binary the tests run.
func ownedBy(path string, dir bool) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.IsDir() != dir || (!dir && !fi.Mode().IsRegular()) {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o022 == 0
}

// sourceModuleDir is the root of the module holding this file when the
// sources are on disk (go test, go run), else "".
func sourceModuleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	root := filepath.Dir(filepath.Dir(file))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return ""
	}
	return root
}

// simSources are the module's directories that the simulator is built
// from: its command and the module's packages that the command imports
// (TestSimSourcesAreWhatTheCommandImports checks them with go list).
var simSources = []string{
	filepath.Join("cmd", binaryName),
	"toolsim",
	filepath.Join("internal", "calllog"),
	filepath.Join("internal", "gobuild"),
	filepath.Join("internal", "procrun"),
	filepath.Join("internal", "relationid"),
	filepath.Join("internal", "simtool"),
}

// sourceHash hashes what the binary is built from: the toolchain and build
// environment, go.mod, go.sum and the non-test Go files of simSources.
func sourceHash(root string) (string, error) {
	files := []string{"go.mod", "go.sum"}
	for _, dir := range simSources {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			return "", fmt.Errorf("hash sources: %w", err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
				files = append(files, filepath.Join(dir, n))
			}
		}
	}
	sort.Strings(files)
	h := sha256.New()
	// The environment can change what go build produces.
	fmt.Fprintf(h, "%s %s %s %q %q\n", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		os.Getenv("GOFLAGS"), os.Getenv("CGO_ENABLED"))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("hash sources: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}
