package hooktools

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// WorkloadStatus is a unit's or application's workload status, as juju
// status shows it.
type WorkloadStatus struct {
	// Status is what a charm sets: "maintenance", "blocked", "waiting"
	// or "active". Status reports what Juju holds, which may also be
	// "unknown", "error", or "" before anything was set.
	Status string
	// Message says why, for the operator; it may be empty.
	Message string
}

// settableStatuses are the statuses status-set takes, in the order its
// error lists them.
var settableStatuses = []string{"maintenance", "blocked", "waiting", "active"}

// SetStatus sets the unit's workload status with status-set. A status
// that status-set refuses fails here, before any tool runs.
func (t *Tools) SetStatus(ctx context.Context, st WorkloadStatus) error {
	return t.setStatus(ctx, st)
}

// SetApplicationStatus sets the application's workload status with
// status-set --application, which only the leader may do: for another
// unit the call fails with the *ToolError "this unit is not the leader".
func (t *Tools) SetApplicationStatus(ctx context.Context, st WorkloadStatus) error {
	return t.setStatus(ctx, st, "--application")
}

func (t *Tools) setStatus(ctx context.Context, st WorkloadStatus, opts ...string) error {
	const tool = "status-set"
	if !slices.Contains(settableStatuses, st.Status) {
		return fmt.Errorf("%s: invalid status %q, expected one of %v", tool, st.Status, settableStatuses)
	}
	if err := checkArgText(tool, "message", st.Message); err != nil {
		return err
	}
	_, err := t.run(ctx, tool, append(slices.Clip(opts), positional(st.Status, st.Message)...)...)
	return err
}

// Status returns the unit's workload status, from status-get
// --include-data (without it, status-get leaves the message out).
func (t *Tools) Status(ctx context.Context) (WorkloadStatus, error) {
	var got struct {
		Status  *string `json:"status"`
		Message *string `json:"message"`
	}
	out, err := t.runJSON(ctx, "status-get", &got, "--format=json", "--include-data")
	if err != nil {
		return WorkloadStatus{}, err
	}
	if got.Status == nil || got.Message == nil {
		return WorkloadStatus{}, newParseError("status-get", out, errors.New("no status or message string (Juju prints both)"))
	}
	return WorkloadStatus{Status: *got.Status, Message: *got.Message}, nil
}
