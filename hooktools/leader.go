package hooktools

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/charmkit/httprelation/internal/juju"
)

// LeaderSettings returns the application's leader settings, which every
// unit reads and only the leader writes, with one leader-get call.
// Values are strings, as Juju stores them; one that is not fails the
// read with a *ParseError.
func (t *Tools) LeaderSettings(ctx context.Context) (map[string]string, error) {
	const tool = "leader-get"
	out, err := t.run(ctx, tool, "--format=json")
	if err != nil {
		return nil, err
	}
	settings, problems, err := decodeStringMap(tool, out, countMembers(out), false)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, newParseError(tool, out, problems[0])
	}
	return settings, nil
}

// SetLeaderSettings writes settings with one leader-set call; "" deletes
// a key. Only the leader may: for another unit the call fails with a
// *ToolError. Keys and values are checked before anything runs;
// leader-set takes them as key=value arguments only, so each must stay
// below Linux's 128 KiB per argument (ErrArgTooLong).
func (t *Tools) SetLeaderSettings(ctx context.Context, settings map[string]string) error {
	const tool = "leader-set"
	if len(settings) == 0 {
		return nil
	}
	for k := range settings {
		if err := juju.CheckKey(k); err != nil {
			return fmt.Errorf("%s: %w", tool, err)
		}
	}
	args, err := keyValueArgs(tool, slices.Sorted(maps.Keys(settings)), settings)
	if err != nil {
		return err
	}
	_, err = t.run(ctx, tool, args...)
	return err
}
