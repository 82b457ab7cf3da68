package hooktools

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/charmkit/httprelation"
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
// never a guess.
func FuzzParseToolOutput(f *testing.F) {
	for _, seed := range []string{
		`["backends:12","backends:3"]` + "\n", "[]\n", "null\n", `["web/0","web/1"]`, `"web"` + "\n",
		`{"port":"80","hostname":"10.0.0.1","x":null,"y":{"a":"b"},"z":8}`, "{}\n",
		`{"bind-addresses":[{"mac-address":"","interface-name":"eth0","addresses":[{"hostname":"","value":"10.0.0.9","cidr":"10.0.0.0/24"}]}],"egress-subnets":["10.0.0.9/32"],"ingress-addresses":["10.0.0.9"]}`,
		`{"ingress-addresses":[" ","  10.0.0.9\n"]}`, `{"ingress-addresses":5}`,
		"", "\n", "garbage", "{", `["a"] x`, "\xff\xfe", `{"a":"\u003c\u2028"}`, "[" + strings.Repeat("[", 20000),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		ctx := context.Background()
		r := outputRunner{"relation-ids": out, "relation-list": out, "relation-get": out, "network-get": out, "state-get": out}
		acc := New(r)

		var list []string
		listOK := decodeOK(out, &list)
		ids, err := acc.RelationIDs(ctx, "backends")
		checkParse(t, err, "relation-ids", listOK)
		if err == nil {
			assert.Equal(t, nonNilList(list), ids)
		}
		units, err := acc.RelationUnits(ctx, "backends:3")
		checkParse(t, err, "relation-list", listOK)
		if err == nil {
			assert.Equal(t, nonNilList(list), units)
		}

		app, err := acc.RemoteApp(ctx, "backends:3")
		wantApp := ""
		for _, u := range list {
			if wantApp = httprelation.AppName(u); wantApp != "" {
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

		var bag map[string]any
		bagOK := decodeOK(out, &bag)
		wantBag := map[string]string{}
		for k, v := range bag {
			if s, ok := v.(string); ok {
				wantBag[k] = s
			}
		}
		got, err := acc.UnitData(ctx, "backends:3", "web/0")
		checkParse(t, err, "relation-get", bagOK)
		if err == nil {
			assert.Equal(t, wantBag, got)
		}
		state, err := NewStateStore(r).Load(ctx)
		checkParse(t, err, "state-get", bagOK)
		if err == nil {
			maps.DeleteFunc(wantBag, func(_, v string) bool { return v == "" })
			assert.Equal(t, wantBag, state)
		}

		// network-get is the only source of an address here: unit-get
		// and the local bag fail.
		acc = New(outputRunner{"network-get": out})
		addr, err := acc.IngressAddress(ctx, "backends:3")
		var netInfo struct {
			IngressAddresses []string `json:"ingress-addresses"`
		}
		if err == nil {
			require.True(t, decodeOK(out, &netInfo))
			require.NotEmpty(t, addr)
			assert.True(t, slices.ContainsFunc(netInfo.IngressAddresses, func(a string) bool { return strings.TrimSpace(a) == addr }),
				"%q is not one of the ingress addresses %q", addr, netInfo.IngressAddresses)
			assert.Equal(t, addr, strings.TrimSpace(addr))
		} else {
			assert.Contains(t, err.Error(), `ingress address of relation "backends:3"`)
		}
	})
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

func nonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
