package hooktools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/internal/juju"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outputRunner answers every call of the tools it knows with the same
// output, and fails the others as Juju would.
type outputRunner map[string][]byte

func (r outputRunner) Run(_ context.Context, tool string, args []string, _ []byte) ([]byte, error) {
	if out, ok := r[tool]; ok {
		return out, nil
	}
	return nil, &ToolError{Tool: tool, Args: args, ExitCode: 1, Message: "not answered"}
}

// FuzzParseToolOutput feeds one output to every reading call the library
// makes: relation-ids, relation-list (units and --app), relation-get,
// network-get and state-get. Each either fails with a ParseError naming
// its tool, whose message neither forges a log line nor carries the whole
// output, or returns exactly what a plain JSON decoding of the output says:
// never a guess. null is no list and no bag (Juju prints [] and {}), but is
// an empty state; a bag value that is not a string is left out and named,
// as is the key that held it.
func FuzzParseToolOutput(f *testing.F) {
	for _, seed := range []string{
		`["backends:12","backends:3"]` + "\n", "[]\n", "null\n", `["web/0","web/1"]`, `"web"` + "\n",
		`["backends:3",null]`, `["backends:x"]`, `["other:3"]`, `["backends:3\nERROR x"]`,
		`["backends:3","backends:3"]`, `["backends:03"]`, `{"a":"1","\u0061":"1"}`,
		`{"port":"80","hostname":"10.0.0.1","x":null,"y":{"a":"b"},"z":8}`, "{}\n", `{"a":"1","a":2}`,
		`{"port":8080}`, `{"k":true,"l":[1,2],"m":-1.5e3}`,
		`{"bind-addresses":[{"mac-address":"","interface-name":"eth0","addresses":[{"hostname":"","value":"10.0.0.9","cidr":"10.0.0.0/24"}]}],"egress-subnets":["10.0.0.9/32"],"ingress-addresses":["10.0.0.9"]}`,
		`{"ingress-addresses":[" ","  10.0.0.9\n"]}`, `{"ingress-addresses":5}`,
		"", "\n", "garbage", "{", `["a"] x`, "\xff\xfe", `{"a":"\u003c\u2028"}`, "[" + strings.Repeat("[", 20000),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		ctx := context.Background()
		r := outputRunner{"relation-ids": out, "relation-list": out, "relation-get": out, "network-get": out, "state-get": out}
		acc := newAccessor(r)

		list, listOK := refList(out)
		ids, err := acc.RelationIDs(ctx, "backends")
		idsOK := listOK && !slices.ContainsFunc(list, func(id string) bool {
			n, ok := strings.CutPrefix(id, "backends:")
			return !ok || n == "" || juju.RelationNumber(n) != n || len(n) > 1 && n[0] == '0'
		})
		checkParse(t, err, "relation-ids", idsOK)
		if err == nil {
			assert.Equal(t, list, ids)
		}
		units, err := acc.RelationUnits(ctx, "backends:3")
		checkParse(t, err, "relation-list", listOK)
		if err == nil {
			assert.Equal(t, list, units)
		}

		app, err := acc.RemoteApp(ctx, "backends:3")
		wantApp := ""
		for _, u := range list {
			if wantApp = juju.AppName(u); wantApp != "" {
				break
			}
		}
		var s *string
		switch {
		case !listOK:
			checkParse(t, err, "relation-list", false)
		case wantApp != "":
			require.NoError(t, err)
			assert.Equal(t, wantApp, app)
		case decodeOK(out, &s) && s != nil:
			require.NoError(t, err)
			assert.Equal(t, *s, app)
		default:
			checkParse(t, err, "relation-list", false)
		}

		strs, others, isMap := refMap(out)
		// Juju's maps hold each key once: a repeat is a ParseError.
		unique := isMap && refMembers(out) == len(strs)+len(others)
		got, err := acc.UnitData(ctx, "backends:3", "web/0")
		if isMap && refMembers(out) > maxBagKeys {
			require.ErrorIs(t, err, httprelation.ErrDataTooLarge)
		} else if unique && len(others) > 0 {
			var partial *httprelation.PartialBagError
			require.ErrorAs(t, err, &partial)
			require.Len(t, partial.Problems, len(others))
			for _, p := range partial.Problems {
				require.ErrorIs(t, p, httprelation.ErrNotString)
				var v any
				require.NoError(t, json.Unmarshal([]byte(p.Value), &v), "%q", p.Value)
				assert.Equal(t, others[p.Key], v, p.Key)
			}
			assert.Equal(t, strs, got)
		} else {
			checkParse(t, err, "relation-get", unique)
			if err == nil {
				assert.Equal(t, strs, got)
			}
		}
		state, err := newStateStore(r).Load(ctx)
		null := decodeOK(out, new(*struct{})) && strings.TrimSpace(string(out)) == "null"
		checkParse(t, err, "state-get", null || (unique && len(others) == 0))
		if err == nil {
			want := map[string]string{} // also for null
			maps.Copy(want, strs)
			maps.DeleteFunc(want, func(_, v string) bool { return v == "" })
			assert.Equal(t, want, state)
		}

		// network-get is the only source of an address here: unit-get
		// and the local bag fail.
		acc = newAccessor(outputRunner{"network-get": out})
		addr, err := acc.IngressAddress(ctx, "backends:3")
		var netInfo struct {
			IngressAddresses []string `json:"ingress-addresses"`
		}
		if err == nil {
			require.True(t, decodeOK(out, &netInfo))
			require.False(t, null)
			require.NotEmpty(t, addr)
			assert.True(t, slices.ContainsFunc(netInfo.IngressAddresses, func(a string) bool { return strings.TrimSpace(a) == addr }),
				"%q is not one of the ingress addresses %q", addr, netInfo.IngressAddresses)
			assert.Equal(t, addr, strings.TrimSpace(addr))
		} else {
			assert.Contains(t, err.Error(), `ingress address of relation "backends:3"`)
		}
	})
}

// refMembers counts the members of a JSON object with the standard
// decoder, duplicates included; -1 for anything but an object.
func refMembers(out []byte) int {
	dec := json.NewDecoder(bytes.NewReader(out))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return -1
	}
	n := 0
	for dec.More() {
		if _, err := dec.Token(); err != nil { // the key
			return -1
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return -1
		}
		n++
	}
	return n
}

// FuzzCountMembers: the pre-scan that refuses bags of too many keys
// counts exactly what the standard decoder sees in any valid object, and
// never panics on anything else.
func FuzzCountMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":"1"}`, `{"a":"1","a":2}`, `{"a:b":"c:d","e":{"f":"g"},"h":[{"i":":"}]}`,
		`{"\"":":","\\":"\\"}`, ` { "a" : [ ] } `, `{"k":"\u003a"}`, `[{"a":1}]`, `{"a":`, `"a:b"`, "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		got := countMembers(out)
		if !json.Valid(out) {
			return
		}
		if want := refMembers(out); want >= 0 {
			assert.Equal(t, want, got)
		}
	})
}

// FuzzLimitedBuffer: whatever the writes, a limitedBuffer holds the start
// of what was written, up to its limit, in a buffer no larger; past the
// limit it says so, and with stop it fails the write and calls stop.
func FuzzLimitedBuffer(f *testing.F) {
	f.Add([]byte("hello, world"), uint16(5), uint8(3), false)
	f.Add([]byte(""), uint16(5), uint8(3), true)
	f.Add([]byte("hello"), uint16(5), uint8(5), true)
	f.Add(bytes.Repeat([]byte("x"), 2000), uint16(1024), uint8(200), true)
	f.Fuzz(func(t *testing.T, data []byte, limit uint16, chunk uint8, withStop bool) {
		stops := 0
		b := &limitedBuffer{limit: int(limit)}
		if withStop {
			b.stop = func() { stops++ }
		}
		step := int(chunk) + 1
		failed := false
		for i := 0; i < len(data); i += step {
			p := data[i:min(i+step, len(data))]
			n, err := b.Write(p)
			if err != nil {
				require.True(t, withStop)
				failed = true
				break
			}
			assert.Equal(t, len(p), n)
		}
		over := len(data) > int(limit)
		assert.Equal(t, over, b.over)
		assert.LessOrEqual(t, cap(b.buf), max(int(limit), 0))
		assert.True(t, bytes.HasPrefix(data, b.buf))
		if withStop {
			assert.Equal(t, over, failed)
			assert.Equal(t, over, stops == 1)
		} else {
			assert.True(t, bytes.Equal(data[:min(len(data), int(limit))], b.buf))
		}
	})
}

// refList decodes a list of strings the plain way: anything else, null
// and null elements included, is no list.
func refList(out []byte) ([]string, bool) {
	var v any
	if !decodeOK(out, &v) {
		return nil, false
	}
	items, ok := v.([]any)
	if !ok {
		return nil, false
	}
	list := make([]string, 0, len(items))
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, false
		}
		list = append(list, s)
	}
	// Juju lists each relation and unit once: a repeat is a ParseError.
	for i, s := range list {
		if slices.Contains(list[:i], s) {
			return nil, false
		}
	}
	return list, true
}

// refMap decodes a JSON object the plain way into its string values and
// its other values; isMap is false for anything but an object.
func refMap(out []byte) (strs map[string]string, others map[string]any, isMap bool) {
	var v any
	if !decodeOK(out, &v) {
		return nil, nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, false
	}
	strs, others = map[string]string{}, map[string]any{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			strs[k] = s
		} else {
			others[k] = v
		}
	}
	return strs, others, true
}

// decodeOK is what the accessor's parsing must agree with: blank output
// is no answer, anything else must decode as a whole.
func decodeOK(out []byte, v any) bool {
	return strings.TrimSpace(string(out)) != "" && json.Unmarshal(out, v) == nil
}

// checkParse asserts err is nil exactly when the output decodes, and is
// otherwise a well-behaved ParseError of tool.
func checkParse(t *testing.T, err error, tool string, ok bool) {
	t.Helper()
	if ok {
		require.NoError(t, err)
		return
	}
	require.ErrorIs(t, err, ErrBadOutput)
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, tool, pe.Tool)
	assert.LessOrEqual(t, len(pe.Output), maxQuotedOutput+len("..."))
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, "\r")
	assert.Less(t, len(msg), 2048)
}
