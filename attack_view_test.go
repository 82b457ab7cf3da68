package httprelation

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestViewDecodeRefusesNonCanonicalHosts (class 3): the stored view is
// written with canonical addresses only, so one spelled otherwise was not
// written by this library: the view is corrupt and every unit is read
// again. Kept as it was, "WEB.EXAMPLE" from the store and "web.example"
// from a fresh read would be two hosts for one target.
func TestViewDecodeRefusesNonCanonicalHosts(t *testing.T) {
	const header = "httprelation-view 1 5 kept\n"
	for _, host := range []string{
		"WEB.EXAMPLE,80", "Web.example,10.0.0.1,80", "10.0.0.1,web.Example,80",
		"::ffff:10.0.0.1,80", "2001:DB8::1,80", "2001:db8:0::1,80", "10.0.0.1,0:0:0:0:0:0:0:1,80",
		"localhost,80", "0x7f000001,80", "010.0.0.1,80",
	} {
		_, err := decodeView(header + "3 web/0 " + host + "\n")
		require.ErrorIs(t, err, errViewCorrupt, host)
	}
	for _, host := range []string{"web.example,80", "10.0.0.1,80", "web.example,10.0.0.1,80", "2001:db8::1,443", "::1,80"} {
		v, err := decodeView(header + "3 web/0 " + host + "\n")
		require.NoError(t, err, host)
		assert.Len(t, v.units[viewKey{rel: "3", unit: "web/0"}], 1)
	}
}
