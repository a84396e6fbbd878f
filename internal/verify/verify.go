// Package verify compares a tenant's rows in the source with its target
// database: per table, row counts and a sum of hashes of normalized values
// computed in Go on both sides (the engines' own hash functions would not
// agree); where a table differs, per-chunk hashes, drilling into chunks that
// differ to name missing, extra and different rows by key.
package verify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/maphash"
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
	// Shallow says which tables differ, by their counts and digests,
	// without reading them again to name their rows.
	Shallow bool
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
	// Finished is when the last row was read: a write to the source after
	// it is not in this report.
	Finished time.Time `json:"finished"`
	// CountsOnly: rows were counted, not compared.
	CountsOnly bool `json:"counts_only,omitempty"`
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
	tables, err := v.Schema.Select(opts.Tables)
	if err != nil {
		return nil, err
	}
	// One key for every row hash of the run, source and target alike.
	seed := maphash.MakeSeed()
	start := time.Now()
	tv := make([]*tableVerification, len(tables))
	for i, t := range tables {
		tv[i] = &tableVerification{cmp: newComparer(v, t, seed), res: TableResult{Table: t.Name, Match: true}}
	}
	// First the counts and how to split each table; then every table's
	// digest on both sides; then, only for the tables whose digests differ,
	// a comparison chunk by chunk that names their rows.
	err = parallel.Each(ctx, tv, opts.Parallelism, func(ctx context.Context, t *tableVerification) error {
		return t.prepare(ctx, opts)
	})
	if err != nil {
		return nil, err
	}
	if !opts.CountsOnly {
		if err := digests(ctx, tv, opts); err != nil {
			return nil, err
		}
		if opts.Shallow {
			for _, t := range tv {
				t.res.Match = t.src.digest == t.dst.digest
			}
		} else if err := compareInDetail(ctx, tv, opts); err != nil {
			return nil, err
		}
	}
	rep := &Report{Tenant: v.Tenant, Match: true, Duration: time.Since(start), Finished: time.Now().UTC(), CountsOnly: opts.CountsOnly}
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
	// blocks is the target table's size in blocks, and tidRanges whether
	// its server can scan a range of them (PostgreSQL 14 and later).
	blocks    int64
	tidRanges bool

	mu       sync.Mutex
	res      TableResult
	src, dst chunk // each side's digest, summed over its parts
	end      time.Time
}

// compareInDetail compares the tables whose digests differ again, chunk by
// chunk, and names their missing, extra and different rows.
func compareInDetail(ctx context.Context, tv []*tableVerification, opts Options) error {
	var jobs []job
	for _, t := range tv {
		if t.src.count == t.dst.count && t.src.digest == t.dst.digest {
			continue
		}
		t.res = TableResult{Table: t.res.Table, Match: true}
		if !t.cmp.alike {
			jobs = append(jobs, job{t.split.Weight, func(ctx context.Context) error { return t.whole(ctx, opts) }})
			continue
		}
		var lower [][]byte
		for _, k := range append(t.split.Keys, nil) {
			from := lower
			jobs = append(jobs, job{t.partWeight(), func(ctx context.Context) error { return t.part(ctx, from, k, opts) }})
			lower = k
		}
	}
	return runJobs(ctx, jobs, opts.Parallelism)
}

// partWeight estimates the work of one of the table's parts, which cut its
// key range evenly.
func (tv *tableVerification) partWeight() int64 {
	return tv.split.Weight / int64(len(tv.split.Keys)+1)
}

// prepare splits the table into parts and measures its target; the parts
// count the rows of both sides as they read them. With CountsOnly, count
// queries do it instead.
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
	err := v.Target.QueryRow(ctx, `SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint,
		current_setting('server_version_num')::int >= 140000`, schema.QuoteIdent(t.Name)).Scan(&tv.blocks, &tv.tidRanges)
	if err != nil {
		return fmt.Errorf("verifying %s: target: %w", t.Name, err)
	}
	tv.split, err = v.Layout.SplitFor(ctx, v.Source, t.Source, v.Tenant, opts.Parallelism, opts.ChunkRows)
	return err
}

// part compares the part (lower, upper] of a table that both engines order
// alike, chunk by chunk. The source is read one chunk ahead, so that reading
// it overlaps with reading the target range of the chunk before.
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

// merge adds the rows of another part to a chunk without details.
func (c *chunk) merge(o *chunk) {
	c.count += o.count
	c.digest += o.digest
}

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
