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
	assert.Equal(t, "#!/bin/sh\nexec \"${JUJU_CHARM_DIR:-.}/bin/website\" \"$@\"\n", string(data))
}

func TestMetadataProvidesWebsite(t *testing.T) {
	require.NoError(t, httprelation.CheckEndpoint(".", endpoint, httprelation.RoleProvider))
	eps, err := httprelation.ReadEndpoints(".")
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Endpoint{{Name: "website", Role: httprelation.RoleProvider, Interface: "http"}}, eps)
}

func TestConfigDefaultMatchesCode(t *testing.T) {
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
	require.Contains(t, cfg.Options, "port")
	assert.Equal(t, "int", cfg.Options["port"].Type)
	assert.Equal(t, defaultPort, cfg.Options["port"].Default)
	assert.Len(t, cfg.Options, 1)
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
	part, ok := cc.Parts["website"]
	require.True(t, ok)
	assert.Equal(t, "dump", part.Plugin)
	assert.Equal(t, "../..", part.Source)
	assert.Contains(t, part.OverrideBuild, `go build -trimpath -o "$CRAFT_PART_INSTALL/bin/website" ./examples/website`)
	assert.Contains(t, part.OverrideBuild, `examples/website/dispatch "$CRAFT_PART_INSTALL/dispatch"`)
}
