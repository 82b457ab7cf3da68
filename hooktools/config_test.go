package hooktools

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a charm directory of testdata/charms.
func fixture(name string) string { return filepath.Join("testdata", "charms", name) }

// allTypes declares one option of each type Juju knows, with and without
// defaults.
var allTypes = fixture("all-types")

// configOver returns the Config of a unit in dir whose config-get --all
// prints out.
func configOver(t *testing.T, dir, out string) (Config, error) {
	t.Helper()
	r := answer(map[string]string{"config-get --format=json --all": out})
	return toolsOver(t, r, dir).Config(context.Background())
}

func TestConfigValuesAndDefaults(t *testing.T) {
	dir := allTypes
	// As Juju prints it: every option, the defaults filled in, null
	// where there is neither value nor default; here a null and a left
	// out option with defaults too.
	cfg, err := configOver(t, dir, `{"port":9090,"name":null,"debug":true,"ratio":2,"token":"secret:abc","workers":null}`+"\n")
	require.NoError(t, err)

	port, err := cfg.Int("port")
	require.NoError(t, err)
	assert.Equal(t, 9090, port)
	name, err := cfg.String("name")
	require.NoError(t, err)
	assert.Equal(t, "web", name, "null: config.yaml's default")
	empty, err := cfg.String("empty")
	require.NoError(t, err)
	assert.Equal(t, "", empty, "left out: config.yaml's default")
	debug, err := cfg.Bool("debug")
	require.NoError(t, err)
	assert.True(t, debug)
	ratio, err := cfg.Float("ratio")
	require.NoError(t, err)
	assert.Equal(t, 2.0, ratio, "a float Juju prints without a fraction")
	token, err := cfg.String("token")
	require.NoError(t, err)
	assert.Equal(t, "secret:abc", token, "a secret reads as a string")

	_, err = cfg.Int("workers")
	assert.ErrorIs(t, err, ErrConfigUnset)
	assert.NotErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, `option "workers" has no value and no default`)

	cfg, err = configOver(t, dir, "{}")
	require.NoError(t, err)
	for name, get := range map[string]func() (any, error){
		"port":  func() (any, error) { return cfg.Int("port") },
		"debug": func() (any, error) { return cfg.Bool("debug") },
		"ratio": func() (any, error) { return cfg.Float("ratio") },
		"name":  func() (any, error) { return cfg.String("name") },
	} {
		got, err := get()
		require.NoError(t, err, name)
		assert.Equal(t, map[string]any{"port": 8080, "debug": false, "ratio": 0.5, "name": "web"}[name], got, name)
	}
}

func TestConfigRefusesValuesOfAnotherType(t *testing.T) {
	dir := allTypes
	for _, tc := range []struct {
		option, value, want string
	}{
		{"port", `"8080"`, `option "port": want an int, got the string "8080"`},
		{"port", `80.5`, `option "port": want an int, got number "80.5"`},
		{"port", `8e3`, `got number "8e3"`},
		{"port", `true`, `got boolean "true"`},
		{"port", `99999999999999999999`, `got number "99999999999999999999"`},
		{"port", `["\n"]`, `got array "[\"\\n\"]"`},
		{"port", `{"a\nb":1}`, `got object "{\"a\\nb\":1}"`},
		{"ratio", `"0.5"`, `option "ratio": want a float, got the string "0.5"`},
		{"ratio", `1e999`, `got number "1e999"`},
		{"debug", `"yes"`, `option "debug": want a boolean, got the string "yes"`},
		{"debug", `1`, `got number "1"`},
		{"name", `5`, `option "name": want a string, got number "5"`},
		{"name", `false`, `got boolean "false"`},
		{"token", `{}`, `option "token": want a string, got object "{}"`},
	} {
		t.Run(tc.option+"="+tc.value, func(t *testing.T) {
			cfg, err := configOver(t, dir, `{"`+tc.option+`":`+tc.value+`}`)
			require.NoError(t, err)
			switch tc.option {
			case "port":
				_, err = cfg.Int(tc.option)
			case "ratio":
				_, err = cfg.Float(tc.option)
			case "debug":
				_, err = cfg.Bool(tc.option)
			default:
				_, err = cfg.String(tc.option)
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.ErrorContains(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), `invalid config: option "`+tc.option+`": want `), err.Error())
			assertPrintable(t, err.Error())
		})
	}
}

func TestConfigQuotesHostileValues(t *testing.T) {
	dir := allTypes
	for _, value := range []string{`"80\nERROR forged"`, `"\u001b[2J"`, `"8\u202e0"`, `["\n"]`, `{"\u001b":1}`} {
		cfg, err := configOver(t, dir, `{"port":`+value+`}`)
		require.NoError(t, err)
		_, err = cfg.Int("port")
		require.ErrorIs(t, err, ErrInvalidConfig, value)
		assertPrintable(t, err.Error())
	}
}

func TestConfigRefusesOptionsTheCharmDoesNotDeclare(t *testing.T) {
	dir := allTypes
	cfg, err := configOver(t, dir, `{"port":8080,"nosuch":1}`)
	require.NoError(t, err)
	_, err = cfg.Int("nosuch")
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, `option "nosuch" is not declared in `+filepath.Join(dir, "config.yaml")+
		", which declares debug, empty, name, port, ratio, token, workers")

	_, err = cfg.String("port")
	require.ErrorIs(t, err, ErrInvalidConfig, "read with the getter of another type")
	assert.ErrorContains(t, err, `option "port" is declared with type int in `+filepath.Join(dir, "config.yaml")+", not string")
	_, err = cfg.Float("port")
	assert.ErrorIs(t, err, ErrInvalidConfig)
	_, err = cfg.Int("ratio")
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

func TestConfigOptionsFromCharmcraftOrMetadata(t *testing.T) {
	// The unified charmcraft.yaml declares port (int, default 80).
	cfg, err := configOver(t, filepath.Join("..", "testdata", "charms", "unified"), `{"port":null}`)
	require.NoError(t, err)
	port, err := cfg.Int("port")
	require.NoError(t, err)
	assert.Equal(t, 80, port)

	for name, dir := range map[string]string{
		"charmcraft.yaml without config": filepath.Join("..", "testdata", "charms", "minimal"),
		"metadata.yaml alone":            fixture("metadata-only"),
		"config.yaml of no options":      fixture("no-options"),
	} {
		cfg, err := configOver(t, dir, `{"port":8080}`)
		require.NoError(t, err, name)
		_, err = cfg.Int("port")
		require.ErrorIs(t, err, ErrInvalidConfig, name)
		assert.ErrorContains(t, err, "which declares none", name)
	}
}

func TestConfigWithoutACharmTakesConfigGetAsItIs(t *testing.T) {
	for name, dir := range map[string]string{"no charm directory": "", "a directory without a charm": t.TempDir()} {
		cfg, err := configOver(t, dir, `{"port":8080,"name":null}`)
		require.NoError(t, err, name)
		port, err := cfg.Int("port")
		require.NoError(t, err, name)
		assert.Equal(t, 8080, port)
		_, err = cfg.String("name")
		assert.ErrorIs(t, err, ErrConfigUnset, name)
		_, err = cfg.String("missing")
		assert.ErrorIs(t, err, ErrConfigUnset, name)
		_, err = cfg.String("port")
		assert.ErrorIs(t, err, ErrInvalidConfig, "the value's own type still counts")
	}
	_, err := Config{}.Bool("x")
	assert.ErrorIs(t, err, ErrConfigUnset, "the zero Config holds no option")
}

func TestConfigRefusesABrokenCharmConfig(t *testing.T) {
	for _, name := range []string{"unknown-type", "bad-default", "not-yaml", "empty-config", "charmcraft-not-yaml", "charmcraft-bad-type"} {
		t.Run(name, func(t *testing.T) {
			dir := fixture(name)
			r := answer(map[string]string{"config-get --format=json --all": "{}"})
			_, err := toolsOver(t, r, dir).Config(context.Background())
			require.Error(t, err)
			assert.ErrorContains(t, err, "read the charm's options: "+dir)
			assert.Empty(t, r.seen(), "config-get is not run for a charm whose options cannot be read")
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "config.yaml"), 0o755))
		_, err := configOver(t, dir, "{}")
		assert.ErrorContains(t, err, "read the charm's options")
	})
}

func TestConfigRefusesMalformedOutput(t *testing.T) {
	for _, out := range []string{"", " \n", "null\n", "[]", `"port"`, "{", `{"port":8080} {}`, `{"port":8080,"port":9090}`, "\xff"} {
		_, err := configOver(t, "", out)
		require.ErrorIs(t, err, ErrBadOutput, "%q", out)
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "config-get", pe.Tool)
	}
}

// TestConfigIsReadOncePerUnit: every Tools of a unit shares one
// config-get answer; a failed read is tried again; a new unit (the next
// hook) reads afresh.
func TestConfigIsReadOncePerUnit(t *testing.T) {
	ctx := context.Background()
	fail := true
	r := &funcRunner{fn: func(context.Context, call) ([]byte, error) {
		if fail {
			fail = false
			return nil, errors.New("agent busy")
		}
		return []byte(`{"port":8080}`), nil
	}}
	unit, err := NewUnit(WithRunner(r), WithEnv(Env{Unit: "lb/0"}))
	require.NoError(t, err)
	_, err = ToolsOf(unit).Config(ctx)
	require.ErrorContains(t, err, "agent busy")
	for range 3 {
		cfg, err := ToolsOf(unit).Config(ctx)
		require.NoError(t, err)
		port, err := cfg.Int("port")
		require.NoError(t, err)
		assert.Equal(t, 8080, port)
	}
	assert.Len(t, r.seen(), 2, "the failed read and one more")

	next, err := NewUnit(WithRunner(r), WithEnv(Env{Unit: "lb/0"}))
	require.NoError(t, err)
	_, err = ToolsOf(next).Config(ctx)
	require.NoError(t, err)
	assert.Len(t, r.seen(), 3)
	for _, c := range r.seen() {
		assert.Equal(t, "config-get --format=json --all", strings.Join(append([]string{c.Tool}, c.Args...), " "))
	}
}
