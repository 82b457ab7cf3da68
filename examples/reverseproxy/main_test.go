package main

import (
	"os"
	"testing"

	"github.com/charmkit/httprelation/toolsim"
)

// charmBinary is the reverseproxy binary, built once by TestMain so that
// the process tests run the charm as Juju does: as a separate process.
var charmBinary string

// testPrograms are what the test binary becomes when a test starts it
// with one of these variables set, to the variable's value: a fake
// haproxy or systemctl (machine_test.go), a DNS jail
// (resolve_linux_test.go, Linux only).
var testPrograms = map[string]func(string) int{fakeProgramEnv: fakeProgram}

// TestMain builds the charm binary, or runs the test program asked for.
func TestMain(m *testing.M) {
	for env, program := range testPrograms {
		if value := os.Getenv(env); value != "" {
			os.Exit(program(value))
		}
	}
	os.Exit(toolsim.TestMain(m, &charmBinary))
}
