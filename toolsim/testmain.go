package toolsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/gobuild"
)

// TestMain is the TestMain of a charm's package: it sets *binary to the
// path of the main package in the working directory (the charm under
// test) built as a binary, runs the tests and returns their exit status.
// Every test can then run the charm as Juju does, as a process:
//
//	var charmBinary string
//
//	func TestMain(m *testing.M) { os.Exit(toolsim.TestMain(m, &charmBinary)) }
//
// The charm is built on its first run, once per test binary, and only if
// a test runs it: until then *binary is a stand-in (the simulator's
// binary, which builds the charm, puts it in its place and runs it), so
// that a package whose tests all run in-process (httprelationtest) does
// not wait for a build. A charm that does not build fails every run,
// with the go command's error. Copy the file at *binary only after it has
// run.
func TestMain(m *testing.M, binary *string) int {
	dir, err := os.MkdirTemp("", "charm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *binary, err = standIn(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// launchFile, beside a stand-in, says how to build the charm it stands in
// for; builtFile says the build is done.
const (
	launchFile = "toolsim-launch.json"
	builtFile  = "toolsim-built"
)

// launch is what a stand-in needs to build the charm: the package's
// directory and the test process's toolchain; and the stand-in's file
// (device and inode), as the charm that replaces it runs from the same
// path.
type launch struct {
	PackageDir string   `json:"package_dir"`
	Binary     string   `json:"binary"`
	Go         string   `json:"go"`
	Env        []string `json:"env"`
	Dev        uint64   `json:"dev"`
	Ino        uint64   `json:"ino"`
}

// standIn lays out in dir, for the main package in the working
// directory, a stand-in for its binary: a link to (or a copy of) the
// simulator's binary, beside a launchFile. It returns the stand-in's
// path, named as go build would name the binary.
func standIn(dir string) (string, error) {
	sim, err := sharedBinary()
	if err != nil {
		return "", err
	}
	pkgDir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("charm stand-in: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("charm stand-in: %w", err)
	}
	if goBin, err = filepath.Abs(goBin); err != nil {
		return "", fmt.Errorf("charm stand-in: %w", err)
	}
	bin := filepath.Join(dir, gobuild.ExecName(pkgDir))
	l := launch{PackageDir: pkgDir, Binary: bin, Go: goBin, Env: os.Environ()}
	err = linkOrCopy(sim, bin)
	var fi os.FileInfo
	if err == nil {
		fi, err = os.Stat(bin)
	}
	var data []byte
	if err == nil {
		l.Dev, l.Ino = fileID(fi)
		data, err = json.Marshal(l)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, launchFile), data, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("charm stand-in: %w", err)
	}
	return bin, nil
}

// fileID is the device and inode of a file.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino //nolint:unconvert // Dev's type differs between platforms
	}
	return 0, 0
}

// linkOrCopy makes to the same file as from: a hard link, or a copy
// across file systems.
func linkOrCopy(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// buildTimeout bounds the charm's build by a stand-in.
const buildTimeout = 5 * time.Minute

// runStandIn is the simulator's binary run as a stand-in (its executable
// has a launchFile beside it): it builds the charm unless another run
// did, puts it in the stand-in's place and executes it with the same
// arguments, environment and standard streams. ok is false when the
// binary is no stand-in; otherwise it returns only when that failed.
func runStandIn(argv0 string, args []string, stderr io.Writer) (code int, ok bool) {
	self, err := os.Executable()
	if err != nil {
		return 0, false
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(self), launchFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false
	}
	var l launch
	if err == nil {
		err = json.Unmarshal(data, &l)
	}
	if err == nil && !runningFile(l.Dev, l.Ino) {
		return 0, false // the charm built in the stand-in's place
	}
	if err == nil {
		err = buildOnce(l)
	}
	if err == nil {
		err = syscall.Exec(l.Binary, append([]string{argv0}, args...), os.Environ())
	}
	fmt.Fprintf(stderr, "ERROR toolsim: run the charm under test: %v\n", err)
	return 1, true
}

// runningFile reports whether this process runs the file dev, ino,
// even if that file has since been renamed over.
func runningFile(dev, ino uint64) bool {
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		return false
	}
	d, i := fileID(fi)
	return d == dev && i == ino
}

// buildOnce builds the charm of l and renames it over the stand-in, under
// a lock so that concurrent first runs build it once.
func buildOnce(l launch) error {
	dir := filepath.Dir(l.Binary)
	return withLock(filepath.Join(dir, builtFile), syscall.LOCK_EX, func() error {
		if _, err := os.Stat(filepath.Join(dir, builtFile)); err == nil {
			return nil
		}
		out, err := os.MkdirTemp(dir, "build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(out)
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		bins, err := gobuild.Toolchain{Go: l.Go, Env: l.Env}.Packages(ctx, l.PackageDir, out, ".")
		if err != nil {
			return err
		}
		if err := os.Rename(bins[0], l.Binary); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, builtFile), nil, 0o600)
	})
}
