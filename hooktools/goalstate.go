package hooktools

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/charmkit/httprelation/internal/badchar"
)

// GoalState is what Juju is working towards for the unit's application
// and its relations, from goal-state: a charm can tell from it whether
// more units or relations are still to come before it settles.
type GoalState struct {
	// Units are the application's units, by name ("web/0").
	Units map[string]GoalStatus
	// Relations are by endpoint; each holds the related applications
	// and their units, by name ("haproxy", "haproxy/0").
	Relations map[string]map[string]GoalStatus
}

// GoalStatus is one unit's or application's entry in a GoalState.
type GoalStatus struct {
	// Status is Juju's word for it: "waiting", "joining", "joined",
	// "active", "dying", "error", ...
	Status string
	// Since is when it took that status; the zero time when Juju gives
	// none.
	Since time.Time
}

// goalSinceLayout is how goal-state writes times: UTC, RFC 3339 with a
// space for the "T" (Juju's cmd/juju/common.FormatTime).
const goalSinceLayout = "2006-01-02 15:04:05Z"

// GoalState returns the goal state of the unit's application, with one
// goal-state call.
func (t *Tools) GoalState(ctx context.Context) (GoalState, error) {
	const tool = "goal-state"
	type entry struct {
		Status *string `json:"status"`
		Since  string  `json:"since"`
	}
	var got struct {
		Units     map[string]entry            `json:"units"`
		Relations map[string]map[string]entry `json:"relations"`
	}
	out, err := t.runJSON(ctx, tool, &got, "--format=json")
	if err != nil {
		return GoalState{}, err
	}
	if got.Units == nil || got.Relations == nil {
		return GoalState{}, newParseError(tool, out, errors.New("no units or relations object (Juju prints both)"))
	}
	convert := func(entries map[string]entry) (map[string]GoalStatus, error) {
		statuses := make(map[string]GoalStatus, len(entries))
		for name, e := range entries {
			if e.Status == nil {
				return nil, fmt.Errorf("%s has no status", badchar.Quote(name))
			}
			st := GoalStatus{Status: *e.Status}
			if e.Since != "" {
				if st.Since, err = time.Parse(goalSinceLayout, e.Since); err != nil {
					return nil, fmt.Errorf("%s: since %s is not a time as Juju writes it", badchar.Quote(name), badchar.Quote(e.Since))
				}
			}
			statuses[name] = st
		}
		return statuses, nil
	}
	gs := GoalState{Relations: make(map[string]map[string]GoalStatus, len(got.Relations))}
	if gs.Units, err = convert(got.Units); err != nil {
		return GoalState{}, newParseError(tool, out, err)
	}
	for endpoint, entries := range got.Relations {
		if entries == nil {
			err = errors.New("null, not an object")
		} else {
			gs.Relations[endpoint], err = convert(entries)
		}
		if err != nil {
			return GoalState{}, newParseError(tool, out, fmt.Errorf("relation %s: %w", badchar.Quote(endpoint), err))
		}
	}
	return gs, nil
}
