package hooktools

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/charmkit/httprelation"
)

// ReadUnits implements httprelation.BulkReader: it runs at most the
// WithConcurrency bound of reads at once (default 8), since each waits
// mostly on the Juju agent, and hands each bag to fn as soon as it is
// read. Bags already read cost nothing, and a ref repeated in refs is read
// once while its bag stays cached.
//
// The first error fn returns, for instance the library's for a tool that
// failed or reached its deadline, cancels the reads in flight: their
// tools are killed with their process groups (see ExecRunner), and
// ReadUnits returns once they have stopped, without waiting for the
// per-call deadline of the others.
func (a *Accessor) ReadUnits(ctx context.Context, refs []httprelation.UnitRef, fn func(i int, bag map[string]string, err error) error) error {
	if len(refs) == 0 {
		return nil
	}
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i   int
		bag map[string]string
		err error
		// judged is signalled once fn has seen the result, so that its
		// worker starts no read that fn's verdict would cancel.
		judged chan<- struct{}
	}
	results := make(chan result)
	var next atomic.Int64 // how many refs the workers have taken
	var wg sync.WaitGroup
	for range min(max(a.concurrency, 1), len(refs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			judged := make(chan struct{}, 1)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(refs) || readCtx.Err() != nil {
					return
				}
				bag, err := a.UnitData(readCtx, refs[i].RelationID, refs[i].Unit)
				select {
				case results <- result{i, bag, err, judged}:
					<-judged
				case <-readCtx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	seen := 0
	var failed error
	for r := range results {
		if failed == nil {
			seen++
			if err := fn(r.i, r.bag, r.err); err != nil {
				failed = err
				cancel()
			}
		}
		// Else draining: the reads in flight are being cancelled.
		r.judged <- struct{}{}
	}
	if failed != nil {
		return failed
	}
	if seen < len(refs) {
		// Only the end of ctx stops the workers early.
		return ctx.Err()
	}
	return nil
}
