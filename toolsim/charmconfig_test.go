package toolsim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testConfigYAML = `options:
  port: {type: int, default: 8080, description: where to serve}
  name: {type: string, default: web}
  ratio: {type: float, default: 1.5}
  debug: {type: boolean}
`

// charmDirWith lays out a charm directory holding the given files.
func charmDirWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	return dir
}

// callConfigGet runs config-get in-process on m and returns its output.
func callConfigGet(t *testing.T, m *Model, args ...string) (string, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := m.Call(nil, nil, &out, &errOut, "config-get", append([]string{"--format=json"}, args...)...)
	return out.String(), code, errOut.String()
}

// config-get answers the charm's defaults for the options the model does
// not set, as Juju merges the operator's settings over config.yaml, so a
// test need not copy the defaults into its model.
func TestConfigGetAnswersTheCharmsDefaults(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"config.yaml": {"metadata.yaml": "name: web\n", "config.yaml": testConfigYAML},
		"charmcraft.yaml": {"charmcraft.yaml": "name: web\ntype: charm\nconfig:\n" +
			"  options:\n    port: {type: int, default: 8080}\n    name: {type: string, default: web}\n" +
			"    ratio: {type: float, default: 1.5}\n    debug: {type: boolean}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			m := &Model{Unit: "web/0", CharmDir: charmDirWith(t, files), Config: map[string]any{"name": "shop"}}
			out, code, _ := callConfigGet(t, m, "port")
			require.Equal(t, 0, code)
			assert.Equal(t, "8080\n", out)
			out, _, _ = callConfigGet(t, m)
			assert.JSONEq(t, `{"port": 8080, "name": "shop", "ratio": 1.5}`, out, "set options win; no default, not listed")
			out, _, _ = callConfigGet(t, m, "--all")
			assert.JSONEq(t, `{"port": 8080, "name": "shop", "ratio": 1.5, "debug": null}`, out)
			out, _, _ = callConfigGet(t, m, "debug")
			assert.Equal(t, "null\n", out)
		})
	}
	m := &Model{Unit: "web/0", CharmDir: t.TempDir(), Config: map[string]any{"port": 80}}
	out, _, _ := callConfigGet(t, m)
	assert.JSONEq(t, `{"port": 80}`, out, "a directory without a charm adds nothing")

	bad := &Model{Unit: "web/0", CharmDir: charmDirWith(t, map[string]string{"config.yaml": "options:\n  port: {type: integer}\n"})}
	out, code, errOut := callConfigGet(t, bad, "port")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "ERROR cannot read the charm's config: ")
	assert.Contains(t, errOut, "config.yaml")
}

// ChangeConfig refuses what juju config refuses, stores values as their
// option's type, and resets an option to its default with nil.
func TestChangeConfigFollowsTheCharm(t *testing.T) {
	dir := charmDirWith(t, map[string]string{"metadata.yaml": "name: web\n", "config.yaml": testConfigYAML})
	m := &Model{Unit: "web/0", CharmDir: dir}
	for _, tt := range []struct {
		set  map[string]any
		want map[string]any
	}{
		{map[string]any{"port": 9090}, map[string]any{"port": int64(9090)}},
		{map[string]any{"port": "9091", "debug": "true"}, map[string]any{"port": int64(9091), "debug": true}},
		{map[string]any{"port": json.Number("9092"), "ratio": json.Number("2.5")}, map[string]any{"port": int64(9092), "ratio": 2.5, "debug": true}},
		{map[string]any{"name": "8080"}, map[string]any{"port": int64(9092), "ratio": 2.5, "debug": true, "name": "8080"}},
		{map[string]any{"port": nil, "ratio": nil, "debug": nil}, map[string]any{"name": "8080"}},
	} {
		apply(t, m, ChangeConfig(tt.set))
		assert.Equal(t, tt.want, m.Config, "%v", tt.set)
	}
	out, _, _ := callConfigGet(t, m, "port")
	assert.Equal(t, "8080\n", out, "reset to the default")

	for _, tt := range []struct {
		set  map[string]any
		want string
	}{
		{map[string]any{"prot": 9090}, `unknown option "prot": the charm declares debug, name, port, ratio`},
		{map[string]any{"port": "http"}, `option "port" expected int, got "http"`},
		{map[string]any{"port": 80.5}, `option "port" expected int`},
		{map[string]any{"debug": "maybe"}, `option "debug" expected boolean`},
		{map[string]any{"name": true}, `option "name" expected string`},
		{map[string]any{"nosuch": nil}, `unknown option "nosuch"`},
	} {
		_, err := ChangeConfig(tt.set).Steps(m)
		assert.ErrorIs(t, err, ErrInvalidModel, "%v", tt.set)
		assert.ErrorContains(t, err, tt.want, "%v", tt.set)
	}

	// A charm without config.yaml declares no options.
	for _, files := range []map[string]string{
		{"metadata.yaml": "name: web\n"},
		{"charmcraft.yaml": "name: web\ntype: charm\n"},
	} {
		_, err := ChangeConfig(map[string]any{"port": 80}).Steps(&Model{Unit: "web/0", CharmDir: charmDirWith(t, files)})
		assert.ErrorIs(t, err, ErrInvalidModel)
		assert.ErrorContains(t, err, `unknown option "port": the charm declares none`)
	}
	// Without a charm, any option goes, as it is.
	free := &Model{Unit: "web/0", CharmDir: t.TempDir()}
	apply(t, free, ChangeConfig(map[string]any{"anything": "x", "port": 80}))
	assert.Equal(t, map[string]any{"anything": "x", "port": 80}, free.Config)

	// A config.yaml that does not parse is an error, not a model that
	// does not fit.
	_, err := ChangeConfig(map[string]any{"port": 80}).Steps(&Model{Unit: "web/0",
		CharmDir: charmDirWith(t, map[string]string{"config.yaml": "options: [port]\n"})})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidModel)
	assert.ErrorContains(t, err, "cannot read the charm's config")
}

// config.yaml is read as Juju reads it: known types only (string when
// left out), defaults of their option's type, ints as int64.
func TestReadCharmOptions(t *testing.T) {
	opts, err := readCharmOptions("config.yaml", []byte("options:\n  a: {default: x}\n  n: {type: int, default: 3}\n"+
		"  f: {type: float, default: 2}\n  b: {type: boolean, default: false}\n  s: {type: secret}\n"))
	require.NoError(t, err)
	assert.Equal(t, charmOptions{
		"a": {Type: "string", Default: "x"}, "n": {Type: "int", Default: int64(3)},
		"f": {Type: "float", Default: 2.0}, "b": {Type: "boolean", Default: false}, "s": {Type: "secret"},
	}, opts)
	for text, want := range map[string]string{
		"options:\n  n: {type: integer}\n":             `option "n" has unknown type "integer"`,
		"options:\n  n: {type: int, default: x}\n":     `invalid config default: option "n" expected int, got "x"`,
		"options:\n  n: {type: int, default: 1.5}\n":   `option "n" expected int, got 1.5`,
		"options:\n  b: {type: boolean, default: 1}\n": `option "b" expected boolean, got 1`,
		"options:\n  s: {default: 8080}\n":             `option "s" expected string, got 8080`,
		"options: [port]\n":                            "cannot unmarshal",
	} {
		_, err := readCharmOptions("config.yaml", []byte(text))
		assert.ErrorContains(t, err, want, "%q", text)
	}
}
