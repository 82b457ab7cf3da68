package main

import (
	"testing"

	"github.com/charmkit/httprelation/internal/charmmeta"
	"github.com/charmkit/httprelation/internal/charmtest"
)

// The charm files are part of the contract other tools rely on (see
// doc.go); these tests pin them.

func TestDispatchScript(t *testing.T) {
	charmtest.AssertDispatch(t, "website")
}

func TestMetadataProvidesWebsite(t *testing.T) {
	charmtest.AssertMetadata(t, endpoint, charmmeta.Endpoint{Name: "website", Role: charmmeta.RoleProvider, Interface: "http"})
}

func TestConfigDeclaresThePort(t *testing.T) {
	charmtest.AssertConfig(t, map[string]charmtest.Option{
		"port": {Type: "int", Default: 8080},
	})
}

func TestCharmcraftBuildsTheBinary(t *testing.T) {
	charmtest.AssertCharmcraft(t, "website")
}
