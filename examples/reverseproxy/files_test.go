package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v2"

	"github.com/charmkit/httprelation"
)

// The charm files are part of the contract other tools rely on (see
// doc.go); these tests pin them.

func TestDispatchScript(t *testing.T) {
	info, err := os.Stat("dispatch")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	data, err := os.ReadFile("dispatch")
	require.NoError(t, err)
	assert.Equal(t, "#!/bin/sh\nexec \"${JUJU_CHARM_DIR:-.}/bin/reverseproxy\" \"$@\"\n", string(data))
}

func TestMetadataRequiresReverseproxy(t *testing.T) {
	require.NoError(t, httprelation.CheckEndpoint(".", endpoint, httprelation.RoleRequirer))
	eps, err := httprelation.ReadEndpoints(".")
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Endpoint{{Name: "reverseproxy", Role: httprelation.RoleRequirer, Interface: "http"}}, eps)
}

func TestConfigDefaultsMatchCode(t *testing.T) {
	var cfg struct {
		Options map[string]struct {
			Type        string `yaml:"type"`
			Default     any    `yaml:"default"`
			Description string `yaml:"description"`
		} `yaml:"options"`
	}
	data, err := os.ReadFile("config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(data, &cfg))
	assert.Len(t, cfg.Options, 3)
	for name, want := range map[string]struct {
		typ string
		def any
	}{
		"frontend-port":  {"int", defaultFrontendPort},
		"bind-address":   {"string", defaultBindAddress},
		"haproxy-config": {"string", defaultConfigPath},
	} {
		require.Contains(t, cfg.Options, name)
		assert.Equal(t, want.typ, cfg.Options[name].Type, name)
		assert.Equal(t, want.def, cfg.Options[name].Default, name)
	}
}

func TestCharmcraftBuildsTheBinary(t *testing.T) {
	var cc struct {
		Type      string         `yaml:"type"`
		Platforms map[string]any `yaml:"platforms"`
		Parts     map[string]struct {
			Plugin        string `yaml:"plugin"`
			Source        string `yaml:"source"`
			OverrideBuild string `yaml:"override-build"`
		} `yaml:"parts"`
	}
	data, err := os.ReadFile("charmcraft.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &cc))
	assert.Equal(t, "charm", cc.Type)
	assert.Contains(t, cc.Platforms, "ubuntu@22.04:amd64")
	assert.Contains(t, cc.Platforms, "ubuntu@24.04:amd64")
	part, ok := cc.Parts["reverseproxy"]
	require.True(t, ok)
	assert.Equal(t, "dump", part.Plugin)
	assert.Equal(t, "../..", part.Source)
	assert.Contains(t, part.OverrideBuild, `go build -trimpath -o "$CRAFT_PART_INSTALL/bin/reverseproxy" ./examples/reverseproxy`)
	assert.Contains(t, part.OverrideBuild, `examples/reverseproxy/dispatch "$CRAFT_PART_INSTALL/dispatch"`)
}
