// Package verify compares a tenant's rows in the source with its target
// database: row counts, then per-chunk hashes of normalized values computed
// in Go on both sides (the engines' own hash functions would not agree),
// drilling into chunks that differ to name missing, extra and different rows
// by key.
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

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
)

// Options tune a verification.
type Options struct {
	Tables      []string
	Parallelism int // tables at once (default 4)
	ChunkRows   int // rows per compared chunk (default 10,000)
	MaxListed   int // keys listed per kind of difference (default 10)
	// CountsOnly compares row counts and skips the hashes.
	CountsOnly bool
}

// TableResult is the comparison of one table.
type TableResult struct {
	Table          string        `json:"table"`
	SourceRows     int64         `json:"source_rows"`
	TargetRows     int64         `json:"target_rows"`
	Chunks         int           `json:"chunks"`
	ChunksDiffer   int           `json:"chunks_differ"`
	MissingCount   int64         `json:"missing_count"`
	ExtraCount     int64         `json:"extra_count"`
	DifferentCount int64         `json:"different_count"`
	Missing        []string      `json:"missing,omitempty"`
	Extra          []string      `json:"extra,omitempty"`
	Different      []string      `json:"different,omitempty"`
	Match          bool          `json:"match"`
	Duration       time.Duration `json:"duration_ns"`
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
		opts.ChunkRows = 10_000
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
	results := make([]TableResult, len(tables))
	errs := make([]error, len(tables))
	sem := make(chan struct{}, opts.Parallelism)
	var wg sync.WaitGroup
	for i, t := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = v.table(ctx, t, seed, opts)
		}()
	}
	wg.Wait()
	rep := &Report{Tenant: v.Tenant, Match: true, Tables: results, Duration: time.Since(start)}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("verifying %s: %w", tables[i].Name, err)
		}
		rep.Match = rep.Match && results[i].Match
	}
	return rep, nil
}

func (v *Verifier) table(ctx context.Context, t *schema.Table, seed maphash.Seed, opts Options) (TableResult, error) {
	start := time.Now()
	res := TableResult{Table: t.Name}
	q, args := v.Layout.CountQuery(t.Source, v.Tenant)
	if err := v.Source.QueryRowContext(ctx, q, args...).Scan(&res.SourceRows); err != nil {
		return res, fmt.Errorf("source: counting %s: %w", t.Source.Name, err)
	}
	if err := v.Target.QueryRow(ctx, "SELECT count(*) FROM "+schema.QuoteIdent(t.Name)).Scan(&res.TargetRows); err != nil {
		return res, fmt.Errorf("target: counting %s: %w", t.Name, err)
	}
	if opts.CountsOnly {
		res.Match = res.SourceRows == res.TargetRows
		res.Duration = time.Since(start)
		return res, nil
	}
	cmp := newComparer(v, t, seed)
	// The source is read one chunk ahead, so that reading it overlaps with
	// reading the target range of the chunk before.
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
		next := cmp.spans(opts.ChunkRows)
		for {
			r, c, err := next(ctx)
			select {
			case chunks <- sourced{r, c, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || r.upper == nil {
				return
			}
		}
	}()
	for s := range chunks {
		if s.err != nil {
			return res, s.err
		}
		dst, err := cmp.targetChunk(ctx, s.r, false)
		if err != nil {
			return res, err
		}
		res.Chunks++
		if s.c.count != dst.count || s.c.digest != dst.digest {
			res.ChunksDiffer++
			if err := cmp.drillDown(ctx, s.r, &res, opts.MaxListed); err != nil {
				return res, err
			}
		}
	}
	res.Match = res.SourceRows == res.TargetRows && res.ChunksDiffer == 0
	res.Duration = time.Since(start)
	return res, nil
}

// span is a range of rows (lower, upper] of a table's range columns: its
// key, or for an owned table the columns referencing its parent. A nil
// bound is open. rows is how many rows the source held in it.
type span struct {
	lower, upper [][]byte
	rows         int
}

// chunk is what one side holds in a span: a digest of its rows and, when
// drilling down, each row's hash under its printed key.
type chunk struct {
	count  int
	digest uint64
	keys   []string
	rows   map[string]uint64
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
