package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The charm files are part of the contract other tools rely on (see
// doc.go): metadata.yaml declares the endpoint the code opens, and
// config.yaml the defaults the code falls back to. pack_test.go checks
// charmcraft.yaml and dispatch, as charmcraft packs them.

func TestMetadataRequiresReverseproxy(t *testing.T) {
	var meta charmMetadata
	require.NoError(t, readStrict(".", "metadata.yaml", &meta))
	assert.Equal(t, "reverseproxy", meta.Name)
	assert.Equal(t, map[string]relation{endpoint: {Interface: "http"}}, meta.Requires)
	assert.Empty(t, meta.Provides)
	assert.Empty(t, meta.Peers)
}

func TestConfigDeclaresTheOptions(t *testing.T) {
	assert.Equal(t, map[string]option{
		"frontend-port":  {Type: "int", Default: 80},
		"bind-address":   {Type: "string", Default: "0.0.0.0"},
		"haproxy-config": {Type: "string", Default: "/etc/haproxy/haproxy.cfg"},
	}, readOptions(t))
}
