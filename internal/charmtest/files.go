package charmtest

import (
	"os"
	"testing"

	"github.com/charmkit/httprelation/internal/charmmeta"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v2"
)

// The charm files are a contract: Juju runs dispatch, reads the metadata
// and config, and charmcraft packs what charmcraft.yaml says. These
// checks pin them for the charm named name in the current directory.

// AssertDispatch checks that dispatch is an executable script that hands
// the hook to bin/<name> in the charm directory.
func AssertDispatch(t testing.TB, name string) {
	t.Helper()
	info, err := os.Stat("dispatch")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	data, err := os.ReadFile("dispatch")
	require.NoError(t, err)
	assert.Equal(t, "#!/bin/sh\nexec \"${JUJU_CHARM_DIR:-.}/bin/"+name+"\" \"$@\"\n", string(data))
}

// AssertMetadata checks that metadata.yaml declares exactly the endpoint
// want, and that endpoint, the name the charm's code opens, is it.
func AssertMetadata(t testing.TB, endpoint string, want charmmeta.Endpoint) {
	t.Helper()
	require.NoError(t, charmmeta.CheckEndpoint(".", endpoint, want.Role))
	eps, err := charmmeta.ReadEndpoints(".")
	require.NoError(t, err)
	assert.Equal(t, []charmmeta.Endpoint{want}, eps)
}

// Option is what config.yaml must say of one option: its type and the
// default the charm's code falls back to.
type Option struct {
	Type    string
	Default any
}

// AssertConfig checks that config.yaml, read strictly, declares exactly
// the options want with their types and defaults.
func AssertConfig(t testing.TB, want map[string]Option) {
	t.Helper()
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
	assert.Len(t, cfg.Options, len(want))
	for name, opt := range want {
		require.Contains(t, cfg.Options, name)
		assert.Equal(t, opt.Type, cfg.Options[name].Type, name)
		assert.Equal(t, opt.Default, cfg.Options[name].Default, name)
	}
}

// AssertCharmcraft checks that charmcraft.yaml packs a charm for both
// Ubuntu LTS releases by building ./examples/<name> from the module root
// into bin/<name> and copying its dispatch.
func AssertCharmcraft(t testing.TB, name string) {
	t.Helper()
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
	part, ok := cc.Parts[name]
	require.True(t, ok)
	assert.Equal(t, "dump", part.Plugin)
	assert.Equal(t, "../..", part.Source)
	assert.Contains(t, part.OverrideBuild, `go build -trimpath -o "$CRAFT_PART_INSTALL/bin/`+name+`" ./examples/`+name)
	assert.Contains(t, part.OverrideBuild, `examples/`+name+`/dispatch "$CRAFT_PART_INSTALL/dispatch"`)
}
