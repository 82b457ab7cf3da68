package main

import (
	"os"
	"testing"

	"github.com/charmkit/httprelation/toolsim"
)

// charmBinary is the reverseproxy binary, built once by TestMain so that
// the process tests run the charm as Juju does: as a separate process.
var charmBinary string

// TestMain builds the charm binary, or, started as a fake program by a
// test (fakeProgramEnv), acts as one.
func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeProgramEnv); mode != "" {
		os.Exit(fakeProgram(mode))
	}
	os.Exit(toolsim.TestMain(m, &charmBinary))
}
