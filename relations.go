package httprelation

import (
	"context"
	"fmt"
)

// liveRelations lists the relations of endpoint minus the one whose
// relation-broken hook is running: Juju still lists it, but it is gone.
// Both sides start here, so the hook rules live in one place.
func liveRelations(ctx context.Context, acc Accessor, endpoint string) (HookContext, []string, error) {
	hc, err := acc.HookContext(ctx)
	if err != nil {
		return HookContext{}, nil, fmt.Errorf("hook context: %w", err)
	}
	all, err := acc.RelationIDs(ctx, endpoint)
	if err != nil {
		return HookContext{}, nil, fmt.Errorf("relation ids: %w", err)
	}
	ids := make([]string, 0, len(all))
	for _, id := range all {
		if !hc.IsBroken(id) {
			ids = append(ids, id)
		}
	}
	return hc, ids, nil
}

// liveUnits lists the remote units of a relation minus the one leaving in
// the running relation-departed hook, which older tooling still lists.
func liveUnits(ctx context.Context, acc Accessor, hc HookContext, id string) ([]string, error) {
	units, err := acc.RelationUnits(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("relation %s: units: %w", Quote(id), err)
	}
	live := units[:0:0]
	for _, u := range units {
		if !hc.IsDeparting(id, u) {
			live = append(live, u)
		}
	}
	return live, nil
}
