package hooktools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmkit/httprelation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goopsHookCommand behaves like goops's HookCommand: exec.Command on the
// process PATH, stdout returned, failures wrapped as
// "command %s failed: %s: %w" around the *exec.ExitError.
type goopsHookCommand struct{}

func (goopsHookCommand) Run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("command %s failed: %s: %w", name, stderr.String(), err)
	}
	return out, nil
}

func TestGoopsAdapterRealErrorShape(t *testing.T) {
	dir := toolDir(t, "relation-get")
	t.Setenv("PATH", dir)
	t.Setenv("HOOKTOOLS_FAKE_TOOL", "1")
	t.Setenv("FAKE_STDERR", "ERROR cannot read settings for unit \"shop/9\" in relation \"lb:backends shop:website\": unit \"shop/9\": settings not found\n")
	t.Setenv("FAKE_EXIT", "1")

	acc := newAccessor(FromGoops(goopsHookCommand{}))
	_, err := acc.UnitData(context.Background(), "backends:4", "shop/9")
	var te *ToolError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 1, te.ExitCode)
	assert.Equal(t, "relation-get", te.Tool)
	assert.Equal(t, []string{"--format=json", "-r=backends:4", "-", "shop/9"}, te.Args)
	assert.Equal(t, `cannot read settings for unit "shop/9" in relation "lb:backends shop:website": unit "shop/9": settings not found`, te.Message)
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)

	t.Setenv("FAKE_STDERR", "ERROR invalid value \"website:99\" for option -r: relation not found\n")
	t.Setenv("FAKE_EXIT", "2")
	_, err = acc.UnitData(context.Background(), "website:99", "web/0")
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 2, te.ExitCode)
	assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)

	_, err = acc.RelationIDs(context.Background(), "website")
	assert.ErrorIs(t, err, ErrNotInHook, "relation-ids is not on PATH")
}

func TestGoopsErrorParsing(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{errors.New("command relation-list failed: ERROR permission denied"), 1, "permission denied"},
		{errors.New("command relation-list failed: ERROR no relation id specified\n: exit status 2"), 2, "no relation id specified"},
		{errors.New("something else"), 1, "something else"},
	} {
		var te *ToolError
		require.ErrorAs(t, goopsError("relation-list", nil, tc.err), &te)
		assert.Equal(t, tc.code, te.ExitCode, tc.err.Error())
		assert.Equal(t, tc.msg, te.Message, tc.err.Error())
	}
}

// TestGoopsSetUsesArguments checks the stdin fallback: values with
// newlines and '=' travel as single arguments, sorted by key.
func TestGoopsSetUsesArguments(t *testing.T) {
	var got [][]string
	g := goopsFunc(func(name string, args ...string) ([]byte, error) {
		got = append(got, append([]string{name}, args...))
		return nil, nil
	})
	err := newAccessor(FromGoops(g)).SetLocalData(context.Background(), "site:2", map[string]string{
		"note": "line one\nline two\n", "eq": "a=b", "gone": "",
	})
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"relation-set", "-r=site:2", "eq=a=b", "gone=", "note=line one\nline two\n"}}, got)
}

func TestGoopsArgumentLimit(t *testing.T) {
	calls := 0
	g := goopsFunc(func(string, ...string) ([]byte, error) { calls++; return nil, nil })
	acc := newAccessor(FromGoops(g))
	ctx := context.Background()

	// key "k" + "=" + value must stay below 128 KiB including the NUL.
	fits := strings.Repeat("x", maxArgLen-3)
	require.NoError(t, acc.SetLocalData(ctx, "site:2", map[string]string{"k": fits}))
	assert.Equal(t, 1, calls)

	err := acc.SetLocalData(ctx, "site:2", map[string]string{"k": fits + "x", "a": "b"})
	assert.ErrorIs(t, err, ErrArgTooLong)
	assert.Contains(t, err.Error(), "128 KiB")
	assert.Equal(t, 1, calls, "nothing written when one value is too long")

	// The same value goes through a runner that feeds stdin.
	r := answer(map[string]string{"relation-set -r=site:2 --file -": ""})
	require.NoError(t, newAccessor(r).SetLocalData(ctx, "site:2", map[string]string{"k": fits + "x"}))
}

func TestGoopsAdapterHonoursDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	g := goopsFunc(func(string, ...string) ([]byte, error) { <-release; return nil, nil })
	start := time.Now()
	_, err := newAccessor(FromGoops(g), WithTimeout(50*time.Millisecond)).RelationIDs(context.Background(), "website")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestGoopsStdinUnsupported(t *testing.T) {
	g := goopsFunc(func(string, ...string) ([]byte, error) { return nil, errors.New("must not run") })
	_, err := FromGoops(g).Run(context.Background(), "state-set", []string{"--file", "-"}, []byte("a: b\n"))
	assert.ErrorIs(t, err, ErrStdinUnsupported)
}

type goopsFunc func(name string, args ...string) ([]byte, error)

func (f goopsFunc) Run(name string, args ...string) ([]byte, error) { return f(name, args...) }

// goopstestShaped answers the way goops' test double does
// (github.com/gruyaume/goops, goopstest/command_runner.go at commit
// 0188165a50c9): relation-ids takes the endpoint from its first argument;
// relation-list, relation-get and relation-set find the relation only in
// a "-r=ID" argument (splitPrefixedArgs, parseRelationGetArgs,
// parseRelationSetArgs); relation-get's unit follows "-"; relation-set
// takes key=value arguments. Failures read as goopstest words them.
type goopstestShaped struct {
	endpoint, id string
	units        map[string]map[string]string
	local        map[string]string
}

func (g *goopstestShaped) Run(name string, args ...string) ([]byte, error) {
	relation := ""
	for _, a := range args {
		if id, ok := strings.CutPrefix(a, "-r="); ok {
			relation = id
		}
	}
	switch name {
	case "relation-ids":
		if args[0] == g.endpoint {
			return []byte(`["` + g.id + `"]`), nil
		}
		return []byte(`[]`), nil
	case "relation-list":
		if relation != g.id {
			return nil, fmt.Errorf("command relation-list failed: ERROR invalid value %q for option -r: relation not found", relation)
		}
		return []byte(`["web/0"]`), nil
	case "relation-get":
		unit := ""
		for i, a := range args {
			if a == "-" && i+1 < len(args) {
				unit = args[i+1]
			}
		}
		if relation != g.id || unit == "" {
			return nil, errors.New("relation ID or unit ID not provided")
		}
		bag, ok := g.units[unit]
		if !ok {
			return nil, fmt.Errorf("command relation-get failed: ERROR cannot read settings for unit %q in relation %q: unit %q: settings not found", unit, relation, unit)
		}
		return json.Marshal(bag)
	case "relation-set":
		if relation != g.id {
			return nil, errors.New("relation ID not provided")
		}
		for _, a := range args {
			if k, v, ok := strings.Cut(a, "="); ok && !strings.HasPrefix(a, "-") {
				g.local[k] = v
			}
		}
		return nil, nil
	}
	return nil, fmt.Errorf("unknown command: %s", name)
}

// TestGoopstestArgumentShapes: every call the accessor makes is one that
// goops' test double understands, so a goops charm's tests can drive the
// library through FromGoops.
func TestGoopstestArgumentShapes(t *testing.T) {
	g := &goopstestShaped{
		endpoint: "reverseproxy", id: "reverseproxy:0",
		units: map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "8080"}},
		local: map[string]string{},
	}
	ctx := context.Background()
	acc := newAccessor(FromGoops(g), WithEnv(Env{Unit: "haproxy/0"}))
	services, err := httprelation.NewRequires(acc, "reverseproxy").Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, []httprelation.Service{{Name: "web", Hosts: []httprelation.Host{
		{Hostname: "10.0.0.1", PrivateAddress: "10.0.0.1", Port: 8080},
	}}}, services)

	require.NoError(t, acc.SetLocalData(ctx, "reverseproxy:0", map[string]string{"note": "a=b"}))
	assert.Equal(t, map[string]string{"note": "a=b"}, g.local)

	_, err = acc.UnitData(ctx, "reverseproxy:0", "web/9")
	assert.ErrorIs(t, err, httprelation.ErrUnitNotFound)
	_, err = acc.RelationUnits(ctx, "reverseproxy:7")
	assert.ErrorIs(t, err, httprelation.ErrRelationNotFound)
}
