package main

import (
	"testing"

	"github.com/charmkit/httprelation/internal/charmmeta"
	"github.com/charmkit/httprelation/internal/charmtest"
)

// The charm files are part of the contract other tools rely on (see
// doc.go); these tests pin them.

func TestDispatchScript(t *testing.T) {
	charmtest.AssertDispatch(t, "reverseproxy")
}

func TestMetadataRequiresReverseproxy(t *testing.T) {
	charmtest.AssertMetadata(t, endpoint, charmmeta.Endpoint{Name: "reverseproxy", Role: charmmeta.RoleRequirer, Interface: "http"})
}

func TestConfigDeclaresTheOptions(t *testing.T) {
	charmtest.AssertConfig(t, map[string]charmtest.Option{
		"frontend-port":  {Type: "int", Default: 80},
		"bind-address":   {Type: "string", Default: "0.0.0.0"},
		"haproxy-config": {Type: "string", Default: "/etc/haproxy/haproxy.cfg"},
	})
}

func TestCharmcraftBuildsTheBinary(t *testing.T) {
	charmtest.AssertCharmcraft(t, "reverseproxy")
}
