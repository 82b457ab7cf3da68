package httprelation_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// blockedIDs is an accessor whose RelationIDs waits until released or
// until its caller's context ends: an agent that hangs.
type blockedIDs struct {
	*httprelationtest.Model
	release chan struct{}
}

func (b blockedIDs) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	select {
	case <-b.release:
		return b.Model.RelationIDs(ctx, endpoint)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestCallerContextBoundsEveryCall (class 9): a call to Requires or
// Provides ends when its own context does, also while another call of
// the same hook is reading: it used to wait for that read, whatever its
// own deadline, up to that read's deadline.
func TestCallerContextBoundsEveryCall(t *testing.T) {
	world := &toolsim.Model{Unit: "lb/0", Relations: map[string]toolsim.Relation{
		"reverseproxy:1": {RemoteApp: "web", Units: map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}}},
		"website:2":      {RemoteApp: "lb", Units: map[string]map[string]string{"lb/1": {}}},
	}}
	for _, side := range []string{"requires", "provides"} {
		t.Run(side, func(t *testing.T) {
			acc := blockedIDs{Model: httprelationtest.New(t, world), release: make(chan struct{})}
			available := httprelation.NewRequires(acc, "reverseproxy", httprelation.WithLogger(quiet)).Available
			if side == "provides" {
				available = httprelation.NewProvides(acc, "website", httprelation.WithLogger(quiet)).Available
			}
			first := make(chan error, 1)
			go func() {
				_, err := available(context.Background())
				first <- err
			}()
			time.Sleep(20 * time.Millisecond) // the first call is reading

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := available(ctx)
				done <- err
			}()
			select {
			case err := <-done:
				require.ErrorIs(t, err, context.DeadlineExceeded)
			case <-time.After(5 * time.Second):
				t.Fatal("a call outlived its context while another call read")
			}

			close(acc.release)
			require.NoError(t, <-first)
			ok, err := available(ctx) // answered from the first read, ended context or not
			require.NoError(t, err)
			assert.True(t, ok)
		})
	}
}
