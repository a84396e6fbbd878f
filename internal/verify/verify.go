// Package verify compares a tenant's rows in the source with its target
// database: row counts, then per-chunk hashes of normalized values computed
// in Go on both sides (the engines' own hash functions would not agree),
// drilling into chunks that differ to name missing, extra and different rows
// by key.
package verify

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/parallel"
	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
)

// Options tune a verification.
type Options struct {
	Tables      []string
	Parallelism int // connections at once, each on a part of a table (default 4)
	ChunkRows   int // rows per compared chunk (default 50,000)
	MaxListed   int // keys listed per kind of difference (default 10)
	// CountsOnly compares row counts and skips the hashes.
	CountsOnly bool
}

// TableResult is the comparison of one table.
type TableResult struct {
	Table          string   `json:"table"`
	SourceRows     int64    `json:"source_rows"`
	TargetRows     int64    `json:"target_rows"`
	Chunks         int      `json:"chunks"`
	ChunksDiffer   int      `json:"chunks_differ"`
	MissingCount   int64    `json:"missing_count"`
	ExtraCount     int64    `json:"extra_count"`
	DifferentCount int64    `json:"different_count"`
	Missing        []string `json:"missing,omitempty"`
	Extra          []string `json:"extra,omitempty"`
	Different      []string `json:"different,omitempty"`
	Match          bool     `json:"match"`
	// Duration runs from the start of the verification to the end of the
	// table's last part: its parts run among those of other tables.
	Duration time.Duration `json:"duration_ns"`
}

// Report is the comparison of a tenant.
type Report struct {
	Tenant   string        `json:"tenant"`
	Match    bool          `json:"match"`
	Tables   []TableResult `json:"tables"`
	Duration time.Duration `json:"duration_ns"`
}

// JSON renders the report for scripts.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Summary is one line saying whether the tenant matches, and where not.
func (r *Report) Summary() string {
	if r.Match {
		var rows int64
		for _, t := range r.Tables {
			rows += t.SourceRows
		}
		return fmt.Sprintf("tenant %s: source and target match (%d tables, %d rows)", r.Tenant, len(r.Tables), rows)
	}
	var bad []string
	for _, t := range r.Tables {
		if !t.Match {
			bad = append(bad, fmt.Sprintf("%s (%d missing, %d extra, %d different)", t.Table, t.MissingCount, t.ExtraCount, t.DifferentCount))
		}
	}
	return fmt.Sprintf("tenant %s: source and target differ in %s", r.Tenant, strings.Join(bad, ", "))
}

// Verifier compares one tenant.
type Verifier struct {
	Source *sql.DB
	Layout *source.Layout
	Schema *schema.Schema
	Target *pgxpool.Pool
	Tenant string
}

// Run compares every table (or opts.Tables) and reports.
func (v *Verifier) Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 4
	}
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = 50_000
	}
	if opts.MaxListed <= 0 {
		opts.MaxListed = 10
	}
	tables := v.Schema.Tables
	if len(opts.Tables) > 0 {
		tables = nil
		for _, n := range opts.Tables {
			t, ok := v.Schema.Table(n)
			if !ok {
				return nil, fmt.Errorf("--tables: %q is not a tenant table", n)
			}
			tables = append(tables, t)
		}
	}
	// One key for every row hash of the run, source and target alike.
	seed := maphash.MakeSeed()
	start := time.Now()
	tv := make([]*tableVerification, len(tables))
	for i, t := range tables {
		tv[i] = &tableVerification{cmp: newComparer(v, t, seed), res: TableResult{Table: t.Name, Match: true}}
	}
	// First the counts and how to split each table, then the parts of all
	// tables, the largest tables first.
	err := parallel.Each(ctx, tv, opts.Parallelism, func(ctx context.Context, t *tableVerification) error {
		return t.prepare(ctx, opts)
	})
	if err != nil {
		return nil, err
	}
	type unit struct {
		t            *tableVerification
		lower, upper [][]byte
	}
	var units []unit
	for _, t := range tv {
		if opts.CountsOnly {
			continue
		}
		if !t.cmp.alike {
			units = append(units, unit{t: t})
			continue
		}
		var lower [][]byte
		for _, k := range append(t.split.Keys, nil) {
			units = append(units, unit{t, lower, k})
			lower = k
		}
	}
	// The largest parts go first and the small ones fill the gaps at the
	// end, so that the connections run out of work at about the same time.
	slices.SortStableFunc(units, func(a, b unit) int { return cmp.Compare(b.t.partWeight(), a.t.partWeight()) })
	err = parallel.Each(ctx, units, opts.Parallelism, func(ctx context.Context, u unit) error {
		if !u.t.cmp.alike {
			return u.t.whole(ctx, opts)
		}
		return u.t.part(ctx, u.lower, u.upper, opts)
	})
	if err != nil {
		return nil, err
	}
	rep := &Report{Tenant: v.Tenant, Match: true, Duration: time.Since(start)}
	for _, t := range tv {
		t.res.Match = t.res.Match && t.res.SourceRows == t.res.TargetRows
		t.res.Duration = t.end.Sub(start)
		rep.Tables = append(rep.Tables, t.res)
		rep.Match = rep.Match && t.res.Match
	}
	return rep, nil
}

// tableVerification is the comparison of one table, built up by its parts
// from several goroutines.
type tableVerification struct {
	cmp   *comparer
	split source.Partition

	mu  sync.Mutex
	res TableResult
	end time.Time
}

// partWeight estimates the work of one of the table's parts, which cut its
// key range evenly.
func (tv *tableVerification) partWeight() int64 {
	return tv.split.Weight / int64(len(tv.split.Keys)+1)
}

// prepare splits the table into parts; the parts count the rows of both
// sides as they read them. With CountsOnly, count queries do it instead.
func (tv *tableVerification) prepare(ctx context.Context, opts Options) error {
	v, t := tv.cmp.v, tv.cmp.t
	tv.end = time.Now()
	if opts.CountsOnly {
		if err := v.Target.QueryRow(ctx, "SELECT count(*) FROM "+schema.QuoteIdent(t.Name)).Scan(&tv.res.TargetRows); err != nil {
			return fmt.Errorf("verifying %s: target: counting: %w", t.Name, err)
		}
		q, args := v.Layout.CountQuery(t.Source, v.Tenant)
		if err := v.Source.QueryRowContext(ctx, q, args...).Scan(&tv.res.SourceRows); err != nil {
			return fmt.Errorf("verifying %s: source: counting: %w", t.Name, err)
		}
		return nil
	}
	var err error
	tv.split, err = v.Layout.SplitFor(ctx, v.Source, t.Source, v.Tenant, opts.Parallelism, opts.ChunkRows)
	return err
}

// part compares the part (lower, upper] chunk by chunk. The source is read
// one chunk ahead, so that reading it overlaps with reading the target range
// of the chunk before.
func (tv *tableVerification) part(ctx context.Context, lower, upper [][]byte, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type sourced struct {
		r   span
		c   *chunk
		err error
	}
	chunks := make(chan sourced, 1)
	go func() {
		defer close(chunks)
		next := tv.cmp.spans(lower, upper, opts.ChunkRows, func() rowSink { return newChunk(false) })
		for {
			r, c, last, err := next(ctx)
			src, _ := c.(*chunk)
			select {
			case chunks <- sourced{r, src, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || last {
				return
			}
		}
	}()
	var res TableResult
	for s := range chunks {
		if s.err != nil {
			return fmt.Errorf("verifying %s: %w", tv.cmp.t.Name, s.err)
		}
		dst := newChunk(false)
		if err := tv.cmp.targetChunk(ctx, s.r, dst); err != nil {
			return fmt.Errorf("verifying %s: %w", tv.cmp.t.Name, err)
		}
		res.Chunks++
		res.SourceRows += int64(s.c.count)
		res.TargetRows += int64(dst.count)
		if s.c.count != dst.count || s.c.digest != dst.digest {
			res.ChunksDiffer++
			if err := tv.cmp.drillDown(ctx, s.r, &res, opts.MaxListed); err != nil {
				return fmt.Errorf("verifying %s: %w", tv.cmp.t.Name, err)
			}
		}
	}
	tv.mu.Lock()
	defer tv.mu.Unlock()
	tv.res.add(res, opts.MaxListed)
	tv.end = time.Now()
	return nil
}

// add merges what a part found.
func (r *TableResult) add(p TableResult, maxListed int) {
	r.SourceRows += p.SourceRows
	r.TargetRows += p.TargetRows
	r.Chunks += p.Chunks
	r.ChunksDiffer += p.ChunksDiffer
	r.MissingCount += p.MissingCount
	r.ExtraCount += p.ExtraCount
	r.DifferentCount += p.DifferentCount
	listMore := func(l *[]string, more []string) {
		*l = append(*l, more[:min(len(more), maxListed-len(*l))]...)
	}
	listMore(&r.Missing, p.Missing)
	listMore(&r.Extra, p.Extra)
	listMore(&r.Different, p.Different)
	r.Match = r.Match && p.ChunksDiffer == 0
}

// span is a range of rows (lower, upper] of a table's range columns: its
// key, or for an owned table the columns referencing its parent. A nil
// bound is open. rows is how many rows the source held in it.
type span struct {
	lower, upper [][]byte
	rows         int
}

// rowSink takes one side's rows as they are read: each row's hash, under
// its printed key if the sink wants it (printing costs).
type rowSink interface {
	wantsKey() bool
	add(key string, rowHash uint64)
}

// chunk is what one side holds in a span: a digest of its rows and, when
// drilling down, each row's hash under its printed key.
type chunk struct {
	count  int
	digest uint64
	keys   []string
	rows   map[string]uint64
}

func (c *chunk) wantsKey() bool { return c.rows != nil }

// add records one row; the digest sums row hashes, independent of order, as
// the two engines may order equal-looking keys differently.
func (c *chunk) add(key string, rowHash uint64) {
	c.count++
	c.digest += rowHash
	if c.rows != nil {
		c.keys = append(c.keys, key)
		c.rows[key] = rowHash
	}
}

func diffRows(res *TableResult, src, dst *chunk, max int) {
	list := func(l *[]string, key string) {
		if len(*l) < max {
			*l = append(*l, key)
		}
	}
	for _, k := range src.keys {
		h, ok := dst.rows[k]
		switch {
		case !ok:
			res.MissingCount++
			list(&res.Missing, k)
		case h != src.rows[k]:
			res.DifferentCount++
			list(&res.Different, k)
		}
	}
	for _, k := range dst.keys {
		if _, ok := src.rows[k]; !ok {
			res.ExtraCount++
			list(&res.Extra, k)
		}
	}
}
