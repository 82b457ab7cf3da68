package httprelation

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/charmkit/httprelation/internal/juju"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viewStateOf turns decoded units back into a state to encode.
func viewStateOf(v storedView) viewState {
	s := viewState{lastFull: v.lastFull}
	for _, k := range slices.SortedFunc(maps.Keys(v.units), compareViewKeys) {
		s.refs = append(s.refs, unitRef{RelationID: "reverseproxy:" + k.rel, Unit: k.unit})
		s.hosts = append(s.hosts, v.units[k])
	}
	return s
}

func TestViewCodecRoundTrip(t *testing.T) {
	s := viewState{lastFull: 1740830400,
		refs: []unitRef{
			{RelationID: "reverseproxy:12", Unit: "web/1"},
			{RelationID: "reverseproxy:3", Unit: "web/10"},
			{RelationID: "reverseproxy:3", Unit: "web/2"},
			{RelationID: "reverseproxy:3", Unit: "blog-a/0"},
			{RelationID: "reverseproxy:3", Unit: "web/2"}, // listed twice
		},
		hosts: [][]Host{
			{{Hostname: "web1.example", PrivateAddress: "10.0.0.1", Port: 80}, {Hostname: "10.9.0.1", PrivateAddress: "10.9.0.1", Port: 81}},
			{{Hostname: "2001:db8::1", PrivateAddress: "2001:db8::1", Port: 443}},
			nil,
			{{Hostname: "fd00::3", PrivateAddress: "10.0.0.3", Port: 65535}},
			nil,
		},
	}
	text, size := s.encode()
	assert.Equal(t, len(text), size)
	assert.Equal(t, "httprelation-view 1 1740830400 kept\n"+
		"3 blog-a/0 fd00::3,10.0.0.3,65535\n"+
		"3 web/10 2001:db8::1,443\n"+
		"3 web/2\n"+
		"12 web/1 web1.example,10.0.0.1,80 10.9.0.1,81\n", text, "relations in number order")
	v, err := decodeView(text)
	require.NoError(t, err)
	assert.Equal(t, storedView{usable: true, lastFull: 1740830400, units: map[viewKey][]Host{
		{"3", "blog-a/0"}: s.hosts[3],
		{"3", "web/10"}:   s.hosts[1],
		{"3", "web/2"}:    {},
		{"12", "web/1"}:   s.hosts[0],
	}}, v)
	again, _ := viewStateOf(v).encode()
	assert.Equal(t, text, again)
}

func TestViewEncodeRefusesSeparators(t *testing.T) {
	for _, addr := range []string{"a b", "a,b", "a\nb"} {
		s := viewState{refs: []unitRef{{RelationID: "x:1", Unit: "web/0"}}, hosts: [][]Host{{{Hostname: addr, PrivateAddress: "10.0.0.1", Port: 80}}}}
		_, size := s.encode()
		assert.Greater(t, size, MaxViewBytes, "%q: not kept rather than kept wrong", addr)
	}
}

// TestViewStoreParts: values stay under Juju's 64 KiB, join back to the
// text, and a shrinking view pads its old parts instead of deleting them.
func TestViewStoreParts(t *testing.T) {
	reg, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	keys, ok := newViewKeys("reverseproxy")
	require.True(t, ok)
	big := viewHeader(5, viewKept) + strings.Repeat("1 web/0 10.0.0.1,80\n", 2*viewPartSize/20+7)
	keys.store(reg, big, 0)
	stored := reg.prefixed(viewPrefix)
	require.Len(t, stored, 3)
	var joined strings.Builder
	for i := range 3 {
		part := stored[fmt.Sprintf("view.reverseproxy.%d", i)]
		assert.LessOrEqual(t, len(part), viewPartSize)
		joined.WriteString(part)
	}
	assert.Equal(t, big, joined.String())

	keys.store(reg, viewHeader(6, viewKept), 3)
	stored = reg.prefixed(viewPrefix)
	assert.Equal(t, map[string]string{
		"view.reverseproxy.0": "httprelation-view 1 6 kept\n",
		"view.reverseproxy.1": "\n",
		"view.reverseproxy.2": "\n",
	}, stored)
	v, parts, err := keys.load(reg)
	require.NoError(t, err)
	assert.Equal(t, 3, parts)
	assert.Equal(t, int64(6), v.lastFull)

	keys.store(reg, viewHeader(7, viewKept), 0)
	assert.Len(t, reg.prefixed(viewPrefix), 1, "a replaced view drops what it does not use")
}

func TestNewViewKeys(t *testing.T) {
	for _, ok := range []string{"reverseproxy", "web_1", "a-b", strings.Repeat("a", juju.MaxEndpointName)} {
		_, got := newViewKeys(ok)
		assert.True(t, got, ok)
	}
	for _, bad := range []string{"", "a.b", "A", "a b", "a=b", "a-", "1a", "a__b", strings.Repeat("a", juju.MaxEndpointName+1)} {
		_, got := newViewKeys(bad)
		assert.False(t, got, bad)
	}
}

// FuzzViewDecode: no stored text crashes the decoder, and whatever it
// accepts encodes back to text it decodes the same way.
func FuzzViewDecode(f *testing.F) {
	f.Add("httprelation-view 1 0 kept\n1 web/0 10.0.0.1,80\n")
	f.Add("httprelation-view 1 99 over\n")
	f.Add("httprelation-view 1 5 kept\n\n3 a/1 x.example,10.0.0.1,1 ::1,2\n12 b-c/9\n")
	f.Add("httprelation-view 1 5 kept\n1 web/0 a,b,c,d\n")
	f.Fuzz(func(t *testing.T, text string) {
		v, err := decodeView(text)
		if err != nil {
			return
		}
		if v.over {
			return
		}
		again, size := viewStateOf(v).encode()
		if size > MaxViewBytes {
			return
		}
		w, err := decodeView(again)
		require.NoError(t, err, "%q", again)
		require.Equal(t, v, w)
	})
}

// TestViewDecodeRefusesNonCanonicalHosts: the stored view is
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
