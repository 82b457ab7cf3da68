package main

import (
	"os"
	"testing"

	"github.com/charmkit/httprelation/toolsim"
)

// charmBinary is the website binary, built once by TestMain so that the
// process tests run the charm as Juju does: as a separate process.
var charmBinary string

func TestMain(m *testing.M) {
	os.Exit(toolsim.TestMain(m, &charmBinary))
}
