package httprelation_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
)

// unitNameCases are issue 9's class 4: unit names as Juju defines them.
var unitNameCases = []struct {
	unit string
	ok   bool
}{
	// The examples.
	{"web-1/0", false},
	{"a-/0", false},
	{"a--b/0", false},
	{strings.Repeat("a", 255) + "/0", false},
	// Our own: an all-digit part after a hyphen, hyphens at either end.
	{"site-0/0", false},
	{"web-12-a/3", false},
	{"web-/1", false},
	{"-web/1", false},
	{"web--api/1", false},
	// Length: 63 characters is Juju's limit.
	{strings.Repeat("a", 64) + "/0", false},
	{strings.Repeat("a", 63) + "/0", true},
	// Unit numbers: no leading zero, no sign, at most 9 digits.
	{"web/00", false},
	{"web/01", false},
	{"web/+1", false},
	{"web/1234567890", false},
	{"web/123456789", true},
	// Characters Juju does not use.
	{"1web/0", false},
	{"Web/0", false},
	{"web_api/0", false},
	{"wéb/0", false},
	{"web.api/0", false},
	{"web/0/1", false},
	{"web", false},
	{"/0", false},
	// Names Juju does create.
	{"web/0", true},
	{"a/0", true},
	{"web2/10", true},
	{"web-1a/0", true},
	{"my-web-app/7", true},
	{"site-a/0", true},
	{"h2-remote/1", true},
}

// TestServicesUnitNamesAsJujuDefines: a unit whose name Juju cannot
// create is skipped with one warning naming it; a unit Juju can create is
// read, next to it (class 4).
func TestServicesUnitNamesAsJujuDefines(t *testing.T) {
	for _, tt := range unitNameCases {
		t.Run(strings.ToValidUTF8(tt.unit, "?"), func(t *testing.T) {
			if !tt.ok {
				checkUnitSkipped(t, tt.unit)
				return
			}
			// A good name is read; the model has no bag for it, so it
			// then counts as a unit that left.
			m := hostileModel(t, "web/0", map[string]string{"private-address": "10.0.0.1", "port": "8080"})
			tools := hostileTools{Model: m, units: map[string][]string{"backends:1": {"web/0", tt.unit, "web/1"}}}
			_, records, err := hostileServices(t, tools)
			require.NoError(t, err)
			for _, r := range records {
				assert.NotEqual(t, "httprelation: skipping remote unit with a malformed name", r["msg"], "%s is refused", tt.unit)
			}
			assert.Contains(t, m.Calls(), httprelationtest.Call{Method: "UnitData", Arg: "backends:1 " + tt.unit})
		})
	}
}

// TestValidAppName checks the application part against Juju's own rule.
func TestValidAppName(t *testing.T) {
	for _, tt := range unitNameCases {
		app, _, _ := strings.Cut(tt.unit, "/")
		if tt.ok {
			assert.True(t, httprelation.ValidAppName(app), app)
		}
	}
	for _, bad := range []string{"", "web-1", "a-", "a--b", strings.Repeat("a", 64), "A", "1", "web_1", "web 1", "web\n"} {
		assert.False(t, httprelation.ValidAppName(bad), bad)
	}
}
