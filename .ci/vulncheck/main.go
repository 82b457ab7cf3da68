// Command vulncheck runs govulncheck over this module against a
// vulnerability database built from the golang.org/x/vulndb module, so
// that the check needs no access to vuln.go.dev: only the Go module proxy
// (or a module cache that already holds vulndb, govulncheck and the
// module's dependencies).
//
// It fails (exit 1) on a vulnerability that the module's code calls, in a
// module other than the standard library, whose fixed version declares a
// go line no newer than this module's go.mod. Every other finding is
// printed with the reason it does not fail: standard-library findings
// belong to the toolchain that builds the charm, not to this module;
// imported or required but never called code is not reached; a
// vulnerability without a fixed version, or whose fix needs a newer Go,
// cannot be fixed here. Exit 2 means the check itself could not run.
//
// Run it from the module root, as .ci/run does:
//
//	go run ./.ci/vulncheck
//
// It is CI tooling, not part of the library: it lives under .ci, which the
// go command's ./... skips, so it is tested, vetted and checked by naming
// it (.ci/run does), and its own code is not in the scan.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
)

// Pinned versions: a newer database or scanner is a deliberate change.
const (
	defaultVulnDB      = "golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018"
	defaultGovulncheck = "golang.org/x/vuln/cmd/govulncheck@v1.9.0"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vulncheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vulndb := fs.String("vulndb", defaultVulnDB, "module@version holding the OSV entries under data/osv")
	scanner := fs.String("govulncheck", defaultGovulncheck, "govulncheck to go run, as package@version")
	calls := fs.Int("calls", 8, "call paths to print per finding; -1 prints all")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	failed, err := check(ctx, *vulndb, *scanner, patterns, *calls, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "vulncheck:", err)
		return 2
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "vulncheck: %d fixable vulnerabilities reached\n", failed)
		return 1
	}
	return 0
}

func check(ctx context.Context, vulndb, scanner string, patterns []string, calls int, stdout, stderr io.Writer) (int, error) {
	var mod struct{ Go string }
	if err := goJSON(ctx, &mod, "mod", "edit", "-json"); err != nil {
		return 0, err
	}
	if mod.Go == "" {
		return 0, fmt.Errorf("go.mod declares no go version")
	}
	var dl struct{ Dir, Error string }
	if err := goJSON(ctx, &dl, "mod", "download", "-json", vulndb); err != nil {
		return 0, err
	}
	if dl.Error != "" {
		return 0, fmt.Errorf("download %s: %s", vulndb, dl.Error)
	}
	tmp, err := os.MkdirTemp("", "vulndb-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	n, err := buildDB(filepath.Join(dl.Dir, "data", "osv"), tmp)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(stdout, "database: %d entries from %s\n", n, vulndb)

	dbURL := url.URL{Scheme: "file", Path: tmp}
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", scanner, "-db", dbURL.String(), "-format", "json"}, patterns...)...)
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("govulncheck: %w", err)
	}
	s, err := parseStream(bytes.NewReader(out))
	if err != nil {
		return 0, err
	}
	return report(stdout, s, mod.Go, func(module, version string) (string, error) {
		var m struct {
			GoVersion string
			Error     *struct{ Err string }
		}
		if err := goJSON(ctx, &m, "list", "-m", "-json", module+"@"+version); err != nil {
			return "", err
		}
		if m.Error != nil {
			return "", fmt.Errorf("%s", m.Error.Err)
		}
		return m.GoVersion, nil
	}, calls)
}

// goJSON runs the go command and decodes its JSON output into v.
func goJSON(ctx context.Context, v any, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// go mod download -json reports its errors on stdout.
		msg := strings.TrimSpace(stderr.String() + "\n" + string(out))
		return fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}
