// Package parallel runs a list of work items on a bounded number of
// goroutines.
package parallel

import (
	"context"
	"sync"
)

// Each runs fn for every item on at most limit goroutines, starting the
// items in their order, so that a caller can put the longest first. The
// first error cancels the context the others run with and is returned;
// otherwise the error of ctx, if it ended.
func Each[T any](ctx context.Context, items []T, limit int, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan T)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range min(max(limit, 1), len(items)) {
		wg.Go(func() {
			for item := range next {
				if err := fn(ctx, item); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
feed:
	for _, item := range items {
		select {
		case next <- item:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
