package hooktools

import (
	"context"
	"sync"

	"github.com/charmkit/httprelation"
)

// ReadUnits implements httprelation.BulkReader: it reads the bags
// concurrently, at most the WithConcurrency bound at once (default 8),
// since each read waits mostly on the Juju agent. Bags already read cost
// nothing, and a ref repeated in refs is read once.
func (a *Accessor) ReadUnits(ctx context.Context, refs []httprelation.UnitRef) ([]map[string]string, []error) {
	bags := make([]map[string]string, len(refs))
	errs := make([]error, len(refs))
	sem := make(chan struct{}, max(a.concurrency, 1))
	var wg sync.WaitGroup
	for i, ref := range refs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			bags[i], errs[i] = a.UnitData(ctx, ref.RelationID, ref.Unit)
		}()
	}
	wg.Wait()
	return bags, errs
}
