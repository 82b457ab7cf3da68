package charmmeta

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func charmDir(name string) string {
	return filepath.Join("..", "..", "testdata", "charms", name)
}

func TestReadEndpoints(t *testing.T) {
	tests := []struct {
		charm string
		want  []Endpoint
	}{
		{"webapp", []Endpoint{
			{Name: "reverseproxy", Role: RoleRequirer, Interface: "http", Limit: 1},
			{Name: "website", Role: RoleProvider, Interface: "http"},
		}},
		{"unified", []Endpoint{
			{Name: "backends", Role: RoleRequirer, Interface: "http"},
			{Name: "website", Role: RoleProvider, Interface: "http"},
		}},
		{"minimal", []Endpoint{
			{Name: "upstream", Role: RoleRequirer, Interface: "http", Limit: 2},
		}},
		{"yaml11", []Endpoint{
			{Name: "no", Role: RoleRequirer, Interface: "http", Limit: 3},
			{Name: "y", Role: RoleProvider, Interface: "http"},
		}},
		{"ambiguous", []Endpoint{
			{Name: "website", Role: RoleProvider, Interface: "http"},
		}},
		{"noendpoints", nil},
	}
	for _, tt := range tests {
		t.Run(tt.charm, func(t *testing.T) {
			got, err := ReadEndpoints(charmDir(tt.charm))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadEndpointsErrors(t *testing.T) {
	tests := []struct {
		charm    string
		sentinel error
		contains []string
	}{
		{"buildonly", ErrInvalidMetadata, []string{"charmcraft.yaml", "no charm name"}},
		{"badscope", ErrInvalidMetadata, []string{"metadata.yaml", "everywhere"}},
		{"badsyntax", ErrInvalidMetadata, []string{"metadata.yaml", "yaml"}},
		{"nointerface", ErrInvalidMetadata, []string{"metadata.yaml", `"website" has no interface`}},
		{"duplicate", ErrInvalidMetadata, []string{"metadata.yaml", `"website" declared under both`}},
		{"does-not-exist", fs.ErrNotExist, []string{"does-not-exist", "metadata.yaml", "charmcraft.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.charm, func(t *testing.T) {
			_, err := ReadEndpoints(charmDir(tt.charm))
			require.ErrorIs(t, err, tt.sentinel)
			for _, s := range tt.contains {
				assert.Contains(t, err.Error(), s)
			}
			// CheckEndpoint reads the same files and fails the same way.
			require.ErrorIs(t, CheckEndpoint(charmDir(tt.charm), "website", RoleProvider), tt.sentinel)
		})
	}
}

func TestReadEndpointsUnreadableMetadata(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be is an error, not a reason to
	// fall back to charmcraft.yaml.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "metadata.yaml"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "charmcraft.yaml"),
		[]byte("name: x\nsummary: s\ndescription: d\nprovides: {website: http}\n"), 0o600))
	_, err := ReadEndpoints(dir)
	require.Error(t, err)
	assert.NotErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "metadata.yaml")
}

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		charm    string
		endpoint string
		role     Role
		sentinel error // nil: valid
		contains []string
	}{
		{name: "provider", charm: "webapp", endpoint: "website", role: RoleProvider},
		{name: "requirer", charm: "webapp", endpoint: "reverseproxy", role: RoleRequirer},
		{name: "unified charmcraft", charm: "unified", endpoint: "backends", role: RoleRequirer},
		{name: "yaml 1.1 name", charm: "yaml11", endpoint: "y", role: RoleProvider},
		{
			name: "missing", charm: "webapp", endpoint: "webiste", role: RoleProvider, sentinel: ErrNoEndpoint,
			contains: []string{`"webiste"`, "metadata.yaml", "website (provides http)", "db (requires mysql)", "cluster (peers http)"},
		},
		{
			name: "missing, none declared", charm: "noendpoints", endpoint: "website", role: RoleProvider, sentinel: ErrNoEndpoint,
			contains: []string{`"website"`, "declared: none"},
		},
		{
			name: "not http", charm: "webapp", endpoint: "db", role: RoleRequirer, sentinel: ErrNoEndpoint,
			contains: []string{`"db"`, "under requires", `interface "mysql"`},
		},
		{
			name: "short form not http", charm: "webapp", endpoint: "metrics", role: RoleProvider, sentinel: ErrNoEndpoint,
			contains: []string{`"metrics"`, `interface "prometheus_scrape"`},
		},
		{
			name: "provides used as requires", charm: "webapp", endpoint: "website", role: RoleRequirer, sentinel: ErrNoEndpoint,
			contains: []string{`"website"`, "under provides, not requires"},
		},
		{
			name: "requires used as provides", charm: "webapp", endpoint: "reverseproxy", role: RoleProvider, sentinel: ErrNoEndpoint,
			contains: []string{`"reverseproxy"`, "under requires, not provides"},
		},
		{
			name: "peer", charm: "webapp", endpoint: "cluster", role: RoleProvider, sentinel: ErrNoEndpoint,
			contains: []string{`"cluster"`, "under peers"},
		},
		{
			name: "bogus role", charm: "webapp", endpoint: "website", role: Role("peer"), sentinel: ErrNoEndpoint,
			contains: []string{`"peer"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckEndpoint(charmDir(tt.charm), tt.endpoint, tt.role)
			if tt.sentinel == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.sentinel)
			for _, s := range tt.contains {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestReadEndpointsPrefersMetadataYAML(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	write("metadata.yaml", "name: a\nsummary: s\ndescription: d\nprovides: {from-metadata: http}\n")
	write("charmcraft.yaml", "name: a\nsummary: s\ndescription: d\nprovides: {from-charmcraft: http}\n")
	got, err := ReadEndpoints(dir)
	require.NoError(t, err)
	assert.Equal(t, []Endpoint{{Name: "from-metadata", Role: RoleProvider, Interface: "http"}}, got)

	require.NoError(t, os.Remove(filepath.Join(dir, "metadata.yaml")))
	got, err = ReadEndpoints(dir)
	require.NoError(t, err)
	assert.Equal(t, []Endpoint{{Name: "from-charmcraft", Role: RoleProvider, Interface: "http"}}, got)
}
