package readme

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinarySize keeps the stated size of a charm binary true: it builds
// examples/reverseproxy as bench/README.md says, plain and stripped, and
// each must be within 10 % of the size stated there. A new Go release or
// dependency that moves them fails here, and the document gets the new
// numbers.
func TestBinarySize(t *testing.T) {
	doc, err := os.ReadFile("../../bench/README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("A charm binary built with it: ([0-9.]+) MiB \\(`go build ./examples/reverseproxy`\\), ([0-9.]+) MiB with\\s+`-trimpath -ldflags='-s -w'`").FindSubmatch(doc)
	require.NotNil(t, m, "bench/README.md states the size of a charm binary")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i, flags := range [][]string{nil, {"-trimpath", "-ldflags=-s -w"}} {
		want, err := strconv.ParseFloat(string(m[i+1]), 64)
		require.NoError(t, err)
		out := filepath.Join(t.TempDir(), "reverseproxy")
		args := append(append([]string{"build", "-o", out}, flags...), "../reverseproxy")
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", msg)
		fi, err := os.Stat(out)
		require.NoError(t, err)
		got := float64(fi.Size()) / (1 << 20)
		assert.InEpsilon(t, want, got, 0.10, "go %v: bench/README.md says %.1f MiB, the build is %.1f MiB", args, want, got)
	}
}
