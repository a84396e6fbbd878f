package verify

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/migrawave/migrawave/internal/parallel"
)

// The first pass sums the hashes of every table's rows on each side. The
// source is read in parts of its key range, as the copy splits it; the
// target in parts of its blocks, which PostgreSQL scans far more cheaply
// than ranges of a key and which need no order shared with the source.
// Tables whose sums agree match; only the others are read again, chunk by
// chunk, to name their rows.

// digests reads both sides of every table at once, each side on at most
// opts.Parallelism connections, and counts their rows.
func digests(ctx context.Context, tv []*tableVerification, opts Options) error {
	var src, dst []job
	for _, t := range tv {
		var lower [][]byte
		for _, k := range append(t.split.Keys, nil) {
			from := lower
			src = append(src, job{t.partWeight(), func(ctx context.Context) error { return t.sourceDigest(ctx, from, k, opts) }})
			lower = k
		}
		for _, r := range t.blockRanges() {
			dst = append(dst, job{t.partWeight(), func(ctx context.Context) error { return t.targetDigest(ctx, r[0], r[1]) }})
		}
	}
	err := both(ctx,
		func(ctx context.Context) error { return runJobs(ctx, src, opts.Parallelism) },
		func(ctx context.Context) error { return runJobs(ctx, dst, opts.Parallelism) })
	for _, t := range tv {
		t.res.SourceRows, t.res.TargetRows = int64(t.src.count), int64(t.dst.count)
	}
	return err
}

// blockRanges cuts the target table into as many ranges of blocks [from,
// to) as the source has parts; 0 is open, so that the last range also
// holds blocks added since they were counted.
func (tv *tableVerification) blockRanges() [][2]int64 {
	n := int64(len(tv.split.Keys) + 1)
	if !tv.tidRanges || tv.blocks < n {
		return [][2]int64{{0, 0}}
	}
	ranges := make([][2]int64, n)
	for i := range n {
		ranges[i] = [2]int64{tv.blocks * i / n, tv.blocks * (i + 1) / n}
	}
	ranges[n-1][1] = 0
	return ranges
}

// sourceDigest sums the source rows of the part (lower, upper].
func (tv *tableVerification) sourceDigest(ctx context.Context, lower, upper [][]byte, opts Options) error {
	sum := newChunk(false)
	next := tv.cmp.spans(lower, upper, opts.ChunkRows, func() rowSink { return sum })
	chunks := 0
	for last := false; !last; chunks++ {
		var err error
		if _, _, last, err = next(ctx); err != nil {
			return fmt.Errorf("verifying %s: %w", tv.cmp.t.Name, err)
		}
	}
	tv.mu.Lock()
	defer tv.mu.Unlock()
	tv.src.merge(sum)
	tv.res.Chunks += chunks
	tv.end = time.Now()
	return nil
}

// targetDigest sums the target rows in the blocks [from, to).
func (tv *tableVerification) targetDigest(ctx context.Context, from, to int64) error {
	sum := newChunk(false)
	if err := tv.cmp.targetBlocks(ctx, from, to, sum); err != nil {
		return fmt.Errorf("verifying %s: %w", tv.cmp.t.Name, err)
	}
	tv.mu.Lock()
	defer tv.mu.Unlock()
	tv.dst.merge(sum)
	tv.end = time.Now()
	return nil
}

// job is a piece of work and an estimate of its size.
type job struct {
	weight int64
	run    func(context.Context) error
}

// runJobs runs jobs on at most limit goroutines, the largest first, so that
// they run out of work at about the same time.
func runJobs(ctx context.Context, jobs []job, limit int) error {
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.weight, a.weight) })
	return parallel.Each(ctx, jobs, limit, func(ctx context.Context, j job) error { return j.run(ctx) })
}

// both runs a and b at once; the first error cancels the other.
func both(ctx context.Context, a, b func(context.Context) error) error {
	return parallel.Each(ctx, []func(context.Context) error{a, b}, 2,
		func(ctx context.Context, run func(context.Context) error) error { return run(ctx) })
}
