package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The charm files are part of the contract other tools rely on (see
// doc.go): metadata.yaml declares the endpoint the code opens, and
// config.yaml the default the code falls back to. pack_test.go checks
// charmcraft.yaml and dispatch, as charmcraft packs them.

func TestMetadataProvidesWebsite(t *testing.T) {
	var meta charmMetadata
	require.NoError(t, readStrict(".", "metadata.yaml", &meta))
	assert.Equal(t, "website", meta.Name)
	assert.Equal(t, map[string]relation{endpoint: {Interface: "http"}}, meta.Provides)
	assert.Empty(t, meta.Requires)
	assert.Empty(t, meta.Peers)
}

func TestConfigDeclaresThePort(t *testing.T) {
	assert.Equal(t, map[string]option{"port": {Type: "int", Default: 8080}}, readOptions(t))
}
