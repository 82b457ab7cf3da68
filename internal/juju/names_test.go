package juju

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRelationNumberAndAppName(t *testing.T) {
	assert.Equal(t, "3", RelationNumber("website:3"))
	assert.Equal(t, "3", RelationNumber("3"))
	assert.Equal(t, "12", RelationNumber("my:endpoint:12"))
	for _, bad := range []string{"", "website:", "website", "website:x", "website:-1", "website:" + strings.Repeat("9", 30)} {
		assert.Empty(t, RelationNumber(bad), bad)
	}
	assert.Equal(t, "web", AppName("web/0"))
	for _, bad := range []string{"", "web", "/0", "web/"} {
		assert.Empty(t, AppName(bad), bad)
	}
}

// TestValidAppName checks the application part against Juju's own rule.
// The root package's TestServicesUnitNamesAsJujuDefines checks whole unit
// names through Services.
func TestValidAppName(t *testing.T) {
	for _, good := range []string{strings.Repeat("a", MaxAppName), "web", "a", "web2", "web-1a", "my-web-app", "site-a", "h2-remote"} {
		assert.True(t, ValidAppName(good), good)
	}
	for _, bad := range []string{"", "web-1", "a-", "a--b", strings.Repeat("a", MaxAppName+1), "A", "1", "web_1", "web 1", "web\n"} {
		assert.False(t, ValidAppName(bad), bad)
	}
}

func TestValidEndpoint(t *testing.T) {
	for _, name := range []string{"website", "reverseproxy", "web-site", "web_site", "a1", "a-1-b_2", strings.Repeat("e", MaxEndpointName)} {
		assert.True(t, ValidEndpoint(name), "%q", name)
	}
	for _, name := range []string{"", "Website", "1web", "web-", "-web", "web--site", "a__b", "a_-b", "web.site", "web site", "wéb",
		strings.Repeat("e", MaxEndpointName+1)} {
		assert.False(t, ValidEndpoint(name), "%q", name)
	}
}
