package verify

import (
	"context"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/migrawave/migrawave/internal/schema"
)

// Spans cut in the source's key order select the same rows in the target
// only when both engines order the range columns alike: numbers, dates and
// times. Text they do not (MariaDB sorts by the column's collation, where
// "a" < "B" under utf8mb4_unicode_ci; PostgreSQL by its own, where "B" < "a"
// in C), nor enums (MariaDB sorts them by position). When the digests of a
// table with such range columns differ, it is compared whole instead: both
// sides are read in full and their rows bucketed by a hash of the key,
// which needs no order; only the buckets that differ are read again, a few
// at a time, to name their rows.

// orderedAlike reports whether both engines order the range columns alike.
func orderedAlike(rangeCols []*schema.Column, tenantColumn string) bool {
	for i, col := range rangeCols {
		switch col.Kind {
		case schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindUint64Key, schema.KindYear,
			schema.KindNumeric, schema.KindDate, schema.KindTimestamp, schema.KindTimestamptz:
			continue
		}
		// A key led by the tenant column: one tenant's rows all hold the same.
		if i == 0 && len(rangeCols) > 1 && col.Source.Name == tenantColumn {
			continue
		}
		return false
	}
	return true
}

// nBuckets is how many buckets of key hashes a table compared whole is cut into.
const nBuckets = 1024

// buckets is what one side holds of a table compared whole: per bucket, the
// rows and their digest; and, for the buckets in drill, each row's hash
// under its printed key.
type buckets struct {
	seed   maphash.Seed
	rows   int
	count  [nBuckets]int
	digest [nBuckets]uint64
	drill  map[int]bool
	keyed  *chunk
}

func newBuckets(seed maphash.Seed, drill map[int]bool) *buckets {
	return &buckets{seed: seed, drill: drill, keyed: newChunk(true)}
}

func (b *buckets) wantsKey() bool { return true }

func (b *buckets) add(key string, rowHash uint64) {
	i := int(maphash.String(b.seed, key) % nBuckets)
	b.rows++
	b.count[i]++
	b.digest[i] += rowHash
	if b.drill[i] {
		b.keyed.add(key, rowHash)
	}
}

// whole compares a table whose range columns the engines order differently.
func (tv *tableVerification) whole(ctx context.Context, opts Options) error {
	c := tv.cmp
	// Both sides at once: they share nothing until compared.
	read := func(drill map[int]bool) (src, dst *buckets, err error) {
		src, dst = newBuckets(c.seed, drill), newBuckets(c.seed, drill)
		readSource := func(ctx context.Context) error {
			next := c.spans(nil, nil, opts.ChunkRows, func() rowSink { return src })
			for last := false; !last; {
				var err error
				if _, _, last, err = next(ctx); err != nil {
					return err
				}
			}
			return nil
		}
		readTarget := func(ctx context.Context) error { return c.targetChunk(ctx, span{}, dst) }
		if err := both(ctx, readSource, readTarget); err != nil {
			return nil, nil, fmt.Errorf("verifying %s: %w", c.t.Name, err)
		}
		return src, dst, nil
	}
	src, dst, err := read(nil)
	if err != nil {
		return err
	}
	res := TableResult{SourceRows: int64(src.rows), TargetRows: int64(dst.rows)}
	var differ []int
	for i := range nBuckets {
		if src.count[i]+dst.count[i] > 0 {
			res.Chunks++
		}
		if src.count[i] != dst.count[i] || src.digest[i] != dst.digest[i] {
			differ = append(differ, i)
		}
	}
	res.ChunksDiffer = len(differ)
	// Each pass holds the rows of as many differing buckets as fit in four
	// chunks (of both sides together), so memory stays bounded however
	// much differs.
	for len(differ) > 0 {
		drill, rows := map[int]bool{}, 0
		for len(differ) > 0 {
			n := src.count[differ[0]] + dst.count[differ[0]]
			if len(drill) > 0 && rows+n > 4*opts.ChunkRows {
				break
			}
			drill[differ[0]] = true
			rows += n
			differ = differ[1:]
		}
		s, d, err := read(drill)
		if err != nil {
			return err
		}
		diffRows(&res, s.keyed, d.keyed, opts.MaxListed)
	}
	tv.mu.Lock()
	defer tv.mu.Unlock()
	tv.res.add(res, opts.MaxListed)
	tv.end = time.Now()
	return nil
}
