package httprelation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
)

// loopbackNames are names every stock machine answers without DNS, with
// a fixed address of its own: RFC 6761's "localhost" and the names under
// it, and the loopback and multicast names of the default /etc/hosts of
// Debian, Ubuntu (cloud-init) and Red Hat. They are addresses in
// disguise as much as "0x7f000001" is (class 1).
var loopbackNames = []string{
	"localhost", "LOCALHOST", "LocalHost", "web.localhost", "a.b.LOCALHOST",
	"localhost.localdomain", "localhost4", "localhost4.localdomain4", "localhost6", "localhost6.localdomain6",
	"ip6-localhost", "ip6-loopback", "IP6-LOOPBACK", "ip6-localnet", "ip6-mcastprefix",
	"ip6-allnodes", "ip6-allrouters", "ip6-allhosts",
}

// nearLoopbackNames are ordinary names that only look like those.
var nearLoopbackNames = []string{
	"localhost.example", "mylocalhost", "localhostx", "web-localhost.example", "localhost-1.example",
	"localdomain", "ip6-localhost.example", "ip6-loopback2", "localhost5", "xlocalhost",
}

// TestCheckAddressLoopbackNames (class 1): the loopback names are refused
// as hostname or private-address, in any case, while names that merely
// contain them pass.
func TestCheckAddressLoopbackNames(t *testing.T) {
	for _, name := range loopbackNames {
		err := httprelation.CheckAddress(name)
		require.ErrorIs(t, err, httprelation.ErrInvalidAddress, name)
		assert.ErrorContains(t, err, "without DNS", name)
		hosts, problems := httprelation.ParseUnitData(map[string]string{
			"hostname": name, "private-address": "10.0.0.1", "port": "80",
			"extended_data": `[{"hostname":"10.0.0.2","private-address":"` + name + `","port":80}]`,
		})
		assert.Empty(t, hosts, name)
		assert.Len(t, problems, 2, name)
	}
	for _, name := range nearLoopbackNames {
		assert.NoError(t, httprelation.CheckAddress(name), name)
	}
}
