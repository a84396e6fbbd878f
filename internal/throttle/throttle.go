// Package throttle caps how many rows per second one tenant's copy reads
// from the shared source, summed over all of its connections: the source
// serves every tenant not yet migrated, and operators cap what a copy takes
// from it during business hours.
package throttle

import (
	"context"
	"sync"
	"time"
)

// catchUp is how far behind its schedule a limiter lets a copy fall before
// it forgets the lost time: a copy that stalled (a chunk's commit, a slow
// query) may make up this much at full speed, and no more.
const catchUp = 250 * time.Millisecond

// Limiter spaces rows evenly at a fixed rate. A nil *Limiter never waits.
//
// Rows are paid for before they are read, and the budget starts empty: a
// copy of n rows at r rows per second never ends before n/r seconds.
type Limiter struct {
	mu   sync.Mutex
	rate int64     // rows per second
	paid time.Time // when every row taken so far is paid for
}

// New returns a limiter of rowsPerSecond, or nil (no limit) when it is 0 or less.
func New(rowsPerSecond int64) *Limiter {
	if rowsPerSecond <= 0 {
		return nil
	}
	return &Limiter{rate: rowsPerSecond, paid: time.Now()}
}

// Batch is how many rows a connection takes at a time: a hundredth of a
// second's worth, between 1 and 1,000, so that taking them costs nothing
// next to reading them and the connections share the rate finely.
func (l *Limiter) Batch() int {
	if l == nil {
		return 1 << 30
	}
	return int(min(max(l.rate/100, 1), 1000))
}

// Take waits until n more rows fit the rate, or ctx ends.
func (l *Limiter) Take(ctx context.Context, n int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if earliest := time.Now().Add(-catchUp); l.paid.Before(earliest) {
		l.paid = earliest
	}
	l.paid = l.paid.Add(l.cost(n))
	wait := time.Until(l.paid)
	l.mu.Unlock()
	if wait <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Return gives back rows taken but not read: the end of a key range.
func (l *Limiter) Return(n int) {
	if l == nil || n <= 0 {
		return
	}
	l.mu.Lock()
	l.paid = l.paid.Add(-l.cost(n))
	l.mu.Unlock()
}

// cost is how long n rows take at the rate.
func (l *Limiter) cost(n int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / l.rate)
}
