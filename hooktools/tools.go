package hooktools

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/charmkit/httprelation"
)

// Tools runs the hook tools a charm needs besides its relations: config,
// status, ports, workload version, leadership and goal state. Get it
// from the unit a hook works on with ToolsOf. Its calls share the unit's
// runner, per-call deadline (WithTimeout) and output caps, and fail with
// the same errors: a *ToolError when a tool fails, a *ParseError when
// its output is not what Juju prints, ErrOutputTooLarge, the context's
// error when it ends. A Tools is safe for concurrent use.
type Tools struct {
	call     caller
	charmDir string
	// config is the unit's: every Tools of one unit shares one
	// config-get answer.
	config *memo[Config]
	// err says why the Tools cannot run tools; every call returns it.
	err error
}

// ToolsOf returns the Tools of unit, which hooktools.NewUnit made (in a
// real hook, or in tests through httprelationtest's Harness.Unit): they
// run through its Accessor's runner and per-call deadline, and read the
// charm's config.yaml from unit.CharmDir. The Tools of one unit share
// what they read (config-get's answer), so ToolsOf may be called
// wherever a hook needs it. For a unit whose Accessor NewUnit did not
// make, every call fails with an error wrapping ErrNotInHook.
func ToolsOf(unit httprelation.Unit) *Tools {
	a, ok := unit.Accessor.(*accessor)
	if !ok || a == nil {
		return &Tools{err: fmt.Errorf("%w: the unit's Accessor is %T, not one hooktools.NewUnit made, so no hook tools can be run for it",
			ErrNotInHook, unit.Accessor)}
	}
	dir := unit.CharmDir
	if dir == "" {
		dir = a.env.CharmDir
	}
	return &Tools{call: a.call, charmDir: dir, config: &a.config}
}

// caller returns what runs tool, or the error that every call of t
// returns: t's own, or that of a Tools that ToolsOf did not make.
func (t *Tools) caller(tool string) (caller, error) {
	switch {
	case t == nil || (t.err == nil && t.call.runner == nil):
		return caller{}, fmt.Errorf("%s: %w: the Tools were not made by hooktools.ToolsOf", tool, ErrNotInHook)
	case t.err != nil:
		return caller{}, fmt.Errorf("%s: %w", tool, t.err)
	}
	return t.call, nil
}

// run runs tool with args, with output up to MaxOutput bytes.
func (t *Tools) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	c, err := t.caller(tool)
	if err != nil {
		return nil, err
	}
	return c.run(ctx, tool, args, nil)
}

// runJSON runs tool with args, decodes its JSON output into v and
// returns the output, for errors about what it holds.
func (t *Tools) runJSON(ctx context.Context, tool string, v any, args ...string) ([]byte, error) {
	out, err := t.run(ctx, tool, args...)
	if err != nil {
		return nil, err
	}
	return out, decodeJSON(tool, out, v)
}

// IsLeader reports whether the unit leads its application, with one
// is-leader call. Juju keeps a unit that was told true the leader for at
// least 30 seconds more; the answer is not kept, so a long hook may ask
// again.
func (t *Tools) IsLeader(ctx context.Context) (bool, error) {
	var leader bool
	_, err := t.runJSON(ctx, "is-leader", &leader, "--format=json")
	return leader && err == nil, err
}

// SetWorkloadVersion sets the version of the workload that juju status
// shows for the application, with application-version-set; "" clears
// it.
func (t *Tools) SetWorkloadVersion(ctx context.Context, version string) error {
	const tool = "application-version-set"
	if err := checkArgText(tool, "version", version); err != nil {
		return err
	}
	_, err := t.run(ctx, tool, positional(version)...)
	return err
}

// positional returns args to be read as positional arguments: after "--"
// when one starts with '-', which a tool's parser would take for a flag
// wherever it stands, and as they are otherwise, as charms usually pass
// them.
func positional(args ...string) []string {
	if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-") }) {
		return append([]string{"--"}, args...)
	}
	return args
}

// checkArgText refuses a value that no command-line argument can carry
// as it is: one that is not UTF-8 (Juju's tools take text), holds a NUL
// byte, or is longer than Linux's 128 KiB per argument.
func checkArgText(tool, what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%s: %s is not valid UTF-8", tool, what)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%s: %s holds a NUL byte, which no argument can carry", tool, what)
	case len(s) >= maxArgLen:
		return fmt.Errorf("%s: %w: %s is %d bytes, above Linux's 128 KiB per-argument limit", tool, ErrArgTooLong, what, len(s))
	}
	return nil
}

// keyValueArgs returns the "key=value" arguments of values in the order
// of keys, as relation-set and leader-set take them, each checked with
// checkArgText.
func keyValueArgs(tool string, keys []string, values map[string]string) ([]string, error) {
	args := make([]string, 0, len(keys))
	for _, k := range keys {
		arg := k + "=" + values[k]
		if err := checkArgText(tool, fmt.Sprintf("%q=...", k), arg); err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}
