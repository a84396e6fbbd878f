package throttle

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Rows taken by several connections at once never run ahead of the rate:
// the budget starts empty and each row is paid for before it is read.
func TestRowsNeverRunAheadOfTheRate(t *testing.T) {
	const rate, perConn, conns = 2_000, 250, 4
	l := New(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for taken := 0; taken < perConn; {
				n := min(l.Batch(), perConn-taken)
				if err := l.Take(context.Background(), n); err != nil {
					t.Error(err)
					return
				}
				taken += n
			}
		}()
	}
	wg.Wait()
	if got, least := time.Since(start), time.Duration(conns*perConn)*time.Second/rate; got < least {
		t.Fatalf("%d rows at %d rows/s took %s; at least %s", conns*perConn, rate, got, least)
	}
}

// Rows given back are not charged: a copy that took a batch at the end of a
// range and read fewer rows pays only for those.
func TestReturnedRowsAreNotCharged(t *testing.T) {
	l := New(100)
	l.Take(context.Background(), 50) // half a second, waited for
	l.Return(50)
	l.mu.Lock()
	paid := time.Until(l.paid)
	l.mu.Unlock()
	// The 50 rows returned are half a second the next rows need not wait.
	if paid > -400*time.Millisecond {
		t.Fatalf("after returning the rows taken the budget is paid until %s from now; want about half a second ago", paid)
	}
}

func TestTakeEndsWithItsContext(t *testing.T) {
	l := New(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Take(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("Take on a canceled context: %v", err)
	}
}

func TestNoLimit(t *testing.T) {
	l := New(0)
	if l != nil {
		t.Fatalf("New(0) = %v, want nil (no limit)", l)
	}
	if err := l.Take(context.Background(), 1<<20); err != nil {
		t.Fatal(err)
	}
	l.Return(5)
	if l.Batch() < 1<<20 {
		t.Fatalf("an unlimited copy takes rows %d at a time", l.Batch())
	}
}
