package main

import (
	"os"
	"testing"

	"github.com/charmkit/httprelation/internal/charmtest"
	"github.com/charmkit/httprelation/toolsim"
)

// charmBinary is the website binary, built once by TestMain so that every
// hook test runs the charm as Juju would: as a separate process.
var charmBinary string

func TestMain(m *testing.M) {
	os.Exit(charmtest.Main(m, &charmBinary))
}

// hookEnv is the environment of a hook of website/0; relation hooks add
// their variables through extra.
func hookEnv(t *testing.T, hook string, extra map[string]string) map[string]string {
	t.Helper()
	return charmtest.HookEnv(t, "website/0", hook, extra)
}

// runCharm runs the charm binary in the simulated hook.
func runCharm(t *testing.T, sim *toolsim.Sim) toolsim.Result {
	t.Helper()
	return charmtest.Run(t, sim, charmBinary)
}
