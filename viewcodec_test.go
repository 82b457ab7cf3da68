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

// viewText is a stored view text of exactly size bytes (at least the
// header's): the header, as many lines line(0), line(1), ... as fit,
// then empty lines, which the decoder skips as padding.
func viewText(size int, line func(i int) string) string {
	var b strings.Builder
	b.WriteString(viewHeader(5, viewKept))
	for i := 0; ; i++ {
		l := line(i) + "\n"
		if b.Len()+len(l) > size {
			break
		}
		b.WriteString(l)
	}
	b.WriteString(strings.Repeat("\n", size-b.Len()))
	return b.String()
}

// unitLine is a valid stored unit of one host, about 25 bytes.
func unitLine(i int) string {
	return fmt.Sprintf("1 web/%d 10.%d.%d.%d,8080", i, i>>16&255, i>>8&255, i&255)
}

// wideLine is a valid stored unit of ten hosts, about 150 bytes: fewer
// than MaxViewUnits of them fill MaxViewBytes.
func wideLine(i int) string {
	return fmt.Sprintf("1 web/%d", i) + strings.Repeat(fmt.Sprintf(" 10.%d.%d.%d,8080", i>>16&255, i>>8&255, i&255), 10)
}

// unitsText is a stored view of n units without hosts.
func unitsText(n int) string {
	var b strings.Builder
	b.WriteString(viewHeader(5, viewKept))
	for i := range n {
		fmt.Fprintf(&b, "1 u/%d\n", i)
	}
	return b.String()
}

// cutText cuts text into parts as the view stores it.
func cutText(text string) []string {
	var parts []string
	for text != "" {
		part := text[:min(len(text), viewPartSize)]
		parts = append(parts, part)
		text = text[len(part):]
	}
	return parts
}

// TestViewLoadBounds: a stored view is refused, before it is joined or
// decoded, when it is larger than any view this code writes: a part of
// more than viewPartSize bytes, more than maxViewParts parts, more than
// MaxViewBytes in all. Decoded, more than MaxViewUnits units, or more
// hosts to a unit than a bag gives, are refused too. Each bound accepts
// what the view writes at its largest. The refused texts are valid but
// for their size (or garbage past it), and the error names the bound.
func TestViewLoadBounds(t *testing.T) {
	keys, ok := newViewKeys("reverseproxy")
	require.True(t, ok)
	hostsLine := func(n int) string { return "1 web/0" + strings.Repeat(" 10.0.0.1,80", n) + "\n" }
	header := viewHeader(5, viewKept)
	tests := []struct {
		name  string
		parts []string
		err   string // the refusal, "" when accepted
	}{
		{"one part of viewPartSize bytes", []string{viewText(viewPartSize, unitLine)}, ""},
		{"one part of viewPartSize+1 bytes", []string{viewText(viewPartSize+1, unitLine)},
			fmt.Sprintf("part 0 is %d bytes, at most %d", viewPartSize+1, viewPartSize)},
		{"one part of Juju's 64 KiB", []string{viewText(64<<10, unitLine)}, "part 0 is 65536 bytes"},
		{"one part of 15 MiB", []string{viewText(15<<20, unitLine)}, "part 0 is 15728640 bytes"},
		{"garbage past the part size", []string{strings.Repeat("x", viewPartSize+1)}, "part 0 is 61441 bytes"},
		{"a large part after a small one", []string{header, strings.Repeat("\n", viewPartSize+1)}, "part 1 is 61441 bytes"},
		{"MaxViewBytes in all", cutText(viewText(MaxViewBytes, wideLine)), ""},
		{"MaxViewBytes+1 in all", cutText(viewText(MaxViewBytes+1, wideLine)),
			fmt.Sprintf("%d bytes, at most %d", MaxViewBytes+1, MaxViewBytes)},
		{"maxViewParts parts", append([]string{header}, slices.Repeat([]string{"\n"}, maxViewParts-1)...), ""},
		{"maxViewParts+1 parts", append([]string{header}, slices.Repeat([]string{"\n"}, maxViewParts)...),
			fmt.Sprintf("%d parts, at most %d", maxViewParts+1, maxViewParts)},
		{"a thousand parts of viewPartSize", slices.Repeat([]string{viewText(viewPartSize, unitLine)}, 1000),
			fmt.Sprintf("1000 parts, at most %d", maxViewParts)},
		{"MaxViewUnits units", []string{unitsText(MaxViewUnits)}, ""},
		{"MaxViewUnits+1 units", []string{unitsText(MaxViewUnits + 1)}, fmt.Sprintf("more than %d units", MaxViewUnits)},
		{"a unit of maxUnitHosts hosts", []string{header + hostsLine(maxUnitHosts)}, ""},
		{"a unit of maxUnitHosts+1 hosts", []string{header + hostsLine(maxUnitHosts+1)},
			fmt.Sprintf("%d hosts, more than a bag gives (%d)", maxUnitHosts+1, maxUnitHosts)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := map[string]string{}
			for i, p := range tc.parts {
				values[keys.part(i)] = p
			}
			reg, err := NewRegistry(context.Background(), &MemoryStore{})
			require.NoError(t, err)
			reg.setPrefixed(keys.prefix, values)
			v, parts, err := keys.load(reg)
			if tc.err != "" {
				require.ErrorIs(t, err, errViewCorrupt)
				assert.Contains(t, err.Error(), tc.err)
				assert.Zero(t, parts, "nothing to pad")
				assert.False(t, v.usable)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, len(tc.parts), parts)
			assert.True(t, v.usable)
			text := strings.Join(tc.parts, "")
			assert.Len(t, v.units, strings.Count(text, "\n1 "), "every unit line decoded")
		})
	}
}

// TestViewStorePadsWithinMaxViewBytes: a view that shrank pads its old
// parts only as far as MaxViewBytes allows, so that a view of the
// largest size, padded, still loads.
func TestViewStorePadsWithinMaxViewBytes(t *testing.T) {
	reg, err := NewRegistry(context.Background(), &MemoryStore{})
	require.NoError(t, err)
	keys, ok := newViewKeys("reverseproxy")
	require.True(t, ok)
	for _, size := range []int{MaxViewBytes, MaxViewBytes - 1, MaxViewBytes - 5, 8 * viewPartSize} {
		text := viewText(size, wideLine)
		keys.store(reg, text, maxViewParts)
		stored := reg.prefixed(viewPrefix)
		total := 0
		for _, v := range stored {
			total += len(v)
		}
		assert.LessOrEqual(t, total, MaxViewBytes, "size %d", size)
		assert.Len(t, stored, min(maxViewParts, len(cutText(text))+MaxViewBytes-size), "size %d: padded as far as it fits", size)
		v, _, err := keys.load(reg)
		require.NoError(t, err, "size %d", size)
		assert.Len(t, v.units, strings.Count(text, "\n1 "), "size %d", size)
	}
}
