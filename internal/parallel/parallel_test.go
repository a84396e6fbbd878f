package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestEachRunsEveryItemWithinTheLimit(t *testing.T) {
	var running, most, sum atomic.Int64
	items := make([]int64, 100)
	for i := range items {
		items[i] = int64(i)
	}
	err := Each(context.Background(), items, 3, func(_ context.Context, i int64) error {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		sum.Add(i)
		running.Add(-1)
		return nil
	})
	if err != nil || sum.Load() != 4950 || most.Load() > 3 {
		t.Fatalf("err %v, sum %d (want 4950), at most %d at once (limit 3)", err, sum.Load(), most.Load())
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int64
	err := Each(context.Background(), make([]int, 1000), 1, func(ctx context.Context, _ int) error {
		if ran.Add(1) == 5 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) || ran.Load() > 6 {
		t.Fatalf("err %v after %d items; want boom after about 5", err, ran.Load())
	}
}
