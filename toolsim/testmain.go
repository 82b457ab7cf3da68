package toolsim

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/charmkit/httprelation/internal/gobuild"
)

// TestMain is the TestMain of a charm's package: it builds the main
// package in the working directory (the charm under test) once, sets
// *binary to the binary's path, runs the tests and returns their exit
// status. Every test then runs the charm as Juju does, as a process:
//
//	var charmBinary string
//
//	func TestMain(m *testing.M) { os.Exit(toolsim.TestMain(m, &charmBinary)) }
func TestMain(m *testing.M, binary *string) int {
	dir, err := os.MkdirTemp("", "charm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	bins, err := gobuild.Packages(ctx, "", dir, ".")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*binary = bins[0]
	return m.Run()
}
