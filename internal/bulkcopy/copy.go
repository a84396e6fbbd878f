// Package bulkcopy copies one tenant from the shared source into its own
// PostgreSQL database: tables first, then the data in key order through
// binary COPY, then keys, indexes, constraints and sequences.
//
// The copy is resumable at any row: each chunk of rows is committed in the
// same transaction as its checkpoint (the last key copied), in the target
// database itself, so a resumed copy starts exactly after the last committed
// chunk — never duplicating or skipping a row, whatever a caller's own
// checkpoint says.
package bulkcopy

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/parallel"
	"github.com/migrawave/migrawave/internal/retry"
	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/throttle"
	"github.com/migrawave/migrawave/internal/values"
)

// Options tune a copy.
type Options struct {
	// Tables limits the copy to these source tables; empty means all.
	Tables []string
	// Parallelism is how many connections copy at once, each a part of a
	// table: large tables are split in key ranges (default 4).
	Parallelism int
	// ChunkRows is how many rows one COPY transaction carries (default 50,000).
	ChunkRows int
	// Resume continues a copy that stopped; without it the target must hold no copy yet.
	Resume bool
	// MaxRowsPerSecond caps the rows read from the source per second, all
	// connections together (0: no limit). A throttled copy commits smaller
	// chunks, about ten seconds' worth of a connection's share, so that its
	// source transactions stay short and its progress keeps moving.
	MaxRowsPerSecond int64
	// Progress is called after every committed chunk, from several goroutines.
	Progress func(Progress)
}

// Progress reports one table's advance, all its parts together, after each
// committed chunk; the checkpoints themselves stay in the target database.
type Progress struct {
	Table string
	Rows  int64
	Bytes int64 // streamed into COPY, in PostgreSQL's binary format
	Done  bool
}

// TableReport is the outcome of one table.
type TableReport struct {
	Table       string        `json:"table"`
	Rows        int64         `json:"rows"`
	Bytes       int64         `json:"bytes"`
	Duration    time.Duration `json:"duration_ns"`
	Resumed     bool          `json:"resumed,omitempty"`
	Conversions values.Counts `json:"conversions,omitempty"`
	Notes       []string      `json:"notes,omitempty"`
}

// Report is the outcome of a copy.
type Report struct {
	Tenant           string        `json:"tenant"`
	Tables           []TableReport `json:"tables"`
	Rows             int64         `json:"rows"`
	Bytes            int64         `json:"bytes"`
	DataDuration     time.Duration `json:"data_duration_ns"`
	PostDataDuration time.Duration `json:"post_data_duration_ns"`
	Warnings         []string      `json:"warnings,omitempty"`
}

// DataError is a row the target cannot take as it is: bad input, not a
// transient failure, so retrying will not help.
type DataError struct {
	Table string
	Key   string
	Err   error
}

func (e *DataError) Error() string {
	return fmt.Sprintf("table %s, row %s: %v", e.Table, e.Key, e.Err)
}

func (e *DataError) Unwrap() error { return e.Err }

// Final says that retrying cannot help (see package retry).
func (e *DataError) Final() bool { return true }

// ErrAlreadyCopied is returned when the target holds a copy and Resume is off.
var ErrAlreadyCopied = retry.Final(errors.New("the target database already holds a copy of this tenant"))

// Copier copies one tenant.
type Copier struct {
	Source *sql.DB
	Layout *source.Layout
	Schema *schema.Schema
	Target *pgxpool.Pool
	Tenant string
}

// Run copies the tenant: schema, data, then everything built after the data.
// Nothing is built while rows are still copying: building would compete
// for the same CPUs with reading the source, which is the part to keep short.
func (c *Copier) Run(ctx context.Context, opts Options) (*Report, error) {
	rep, err := c.CopyData(ctx, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := c.BuildAfterData(ctx, opts); err != nil {
		return nil, err
	}
	if err := VacuumSmall(ctx, c.Target); err != nil {
		return nil, err
	}
	rep.PostDataDuration = time.Since(start)
	return rep, nil
}

// CreateTables creates the tables, without their keys and indexes, and the
// copy's bookkeeping, so that a migration does it before freezing the
// tenant. CopyData creates what is still missing.
func (c *Copier) CreateTables(ctx context.Context) error {
	_, err := prepareTarget(ctx, c.Target, c.Schema, true)
	return err
}

// CopyData creates the tables and copies the rows, from the checkpoints when
// resuming.
func (c *Copier) CopyData(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	tables, err := c.Schema.Select(opts.Tables)
	if err != nil {
		return nil, err
	}
	exists, err := c.Layout.TenantExists(ctx, c.Source, c.Tenant)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("unknown tenant %q: no row of it in the source", c.Tenant)
	}
	state, err := prepareTarget(ctx, c.Target, c.Schema, opts.Resume)
	if err != nil {
		return nil, err
	}
	rep := &Report{Tenant: c.Tenant, Warnings: c.Schema.Warnings}
	start := time.Now()
	reports, err := c.copyTables(ctx, tables, state, opts, throttle.New(opts.MaxRowsPerSecond))
	if err != nil {
		return nil, err
	}
	rep.DataDuration = time.Since(start)
	for _, tr := range reports {
		rep.Tables = append(rep.Tables, tr)
		rep.Rows += tr.Rows
		rep.Bytes += tr.Bytes
	}
	return rep, nil
}

// BuildAfterData builds keys, indexes, constraints, sequences and triggers
// once the data is in. It can run again after a crash.
func (c *Copier) BuildAfterData(ctx context.Context, opts Options) error {
	opts = opts.withDefaults()
	tables, err := c.Schema.Select(opts.Tables)
	if err != nil {
		return err
	}
	return buildAfterData(ctx, c.Target, tables, opts.Parallelism)
}

// BuildEmpty builds, on the tables before a small tenant's rows are copied,
// everything but the identity restarts and foreign keys, which BuildRest
// builds after the copy. Both can run again after a crash.
func (c *Copier) BuildEmpty(ctx context.Context) error {
	return buildEmpty(ctx, c.Target, c.Schema.Tables)
}

// BuildRest builds what BuildEmpty left, once the rows are in.
func (c *Copier) BuildRest(ctx context.Context) error {
	return buildRest(ctx, c.Target, c.Schema.Tables)
}

func (o Options) withDefaults() Options {
	if o.Parallelism <= 0 {
		o.Parallelism = 4
	}
	if o.ChunkRows <= 0 {
		o.ChunkRows = 50_000
		if o.MaxRowsPerSecond > 0 {
			o.ChunkRows = int(min(max(o.MaxRowsPerSecond*10/int64(o.Parallelism), 100), 50_000))
		}
	}
	return o
}

// copyTables copies the tables, each in one or more parts (key ranges), up
// to opts.Parallelism parts at once, the largest parts first; the first
// error stops the others.
func (c *Copier) copyTables(ctx context.Context, tables []*schema.Table, state map[string][]part, opts Options, limit *throttle.Limiter) ([]TableReport, error) {
	copies := make([]*tableCopy, len(tables))
	for i, t := range tables {
		copies[i] = &tableCopy{table: t}
	}
	err := parallel.Each(ctx, copies, opts.Parallelism, func(ctx context.Context, tc *tableCopy) error {
		parts, weight, err := c.plan(ctx, tc.table, state[tc.table.Name], opts)
		tc.planned(parts, weight)
		return err
	})
	if err != nil {
		return nil, err
	}
	type unit struct {
		tc   *tableCopy
		part *part
	}
	var units []unit
	for _, tc := range copies {
		for i := range tc.parts {
			if !tc.parts[i].done {
				units = append(units, unit{tc, &tc.parts[i]})
			}
		}
	}
	// The largest parts go first and the small ones fill the gaps at the
	// end, so that the connections run out of work at about the same time:
	// a table too small to split is one part larger than each of a large
	// table's, and left to the end it would be copied alone.
	slices.SortStableFunc(units, func(a, b unit) int { return cmp.Compare(b.tc.partWeight(), a.tc.partWeight()) })
	err = parallel.Each(ctx, units, opts.Parallelism, func(ctx context.Context, u unit) error {
		u.tc.started()
		if err := c.copyPart(ctx, u.tc.table, u.part, opts, limit, u.tc); err != nil {
			return err
		}
		u.tc.partCopied()
		return nil
	})
	if err != nil {
		return nil, err
	}
	reports := make([]TableReport, len(copies))
	for i, tc := range copies {
		reports[i] = tc.report()
	}
	return reports, nil
}

// plan returns the parts of a table and the table's estimated weight (see
// source.Partition): those of the copy being resumed, else new ones, saved
// before any row is copied.
func (c *Copier) plan(ctx context.Context, t *schema.Table, resumed []part, opts Options) ([]part, int64, error) {
	if len(resumed) > 0 {
		return resumed, 0, nil
	}
	split, err := c.Layout.SplitFor(ctx, c.Source, t.Source, c.Tenant, opts.Parallelism, opts.ChunkRows)
	if err != nil {
		return nil, 0, err
	}
	parts := make([]part, len(split.Keys)+1)
	for i := range parts {
		parts[i] = part{table: t.Name, n: i}
		if i > 0 {
			parts[i].lower = split.Keys[i-1]
		}
		if i < len(split.Keys) {
			parts[i].upper = split.Keys[i]
		}
	}
	return parts, split.Weight, saveParts(ctx, c.Target, parts)
}

// copyPart copies one part chunk by chunk from its checkpoint. A table
// with the tenant column goes in key order, LIMIT rows at a time, and its
// checkpoint is the last key copied; an owned table goes a page of parents at
// a time, and its checkpoint is the last parent key of the page.
func (c *Copier) copyPart(ctx context.Context, t *schema.Table, p *part, opts Options, limit *throttle.Limiter, tc *tableCopy) error {
	cols := t.CopiedColumns()
	srcNames := make([]string, len(cols))
	for i, col := range cols {
		srcNames[i] = col.Source.Name
	}
	copySQL := copySQL(t, cols)
	keyIdx := keyPositions(t, cols)
	var pager *source.Pager
	if t.Source.Paged() {
		pager = c.Layout.NewPager(c.Source, t.Source, c.Tenant, p.upper, opts.ChunkRows)
	}
	counts := values.Counts{}
	defer tc.addConversions(counts)
	// known is the part's checkpoint as committed, which each chunk expects
	// to find unmoved when it commits.
	known := p.checkpoint
	last := known.lastKey
	if last == nil {
		last = p.lower
	}
	for {
		var query string
		var args []any
		var pageEnd [][]byte
		var lastPage bool
		if pager != nil {
			var err error
			if pageEnd, lastPage, err = pager.Next(ctx, last); err != nil {
				return err
			}
			query, args = c.Layout.PageQuery(t.Source, srcNames, c.Tenant, last, pageEnd)
		} else {
			query, args = c.Layout.ChunkQuery(t.Source, srcNames, c.Tenant, last, p.upper, opts.ChunkRows)
		}
		chunk := &chunkSource{table: t, cols: cols, keyIdx: keyIdx, counts: values.Counts{}, ctx: ctx, limit: limit}
		// What the checkpoint says once n rows are in.
		endOf := func(n int64) ([][]byte, bool) {
			if pager != nil {
				return pageEnd, lastPage
			}
			return chunk.lastKeyOr(nil), n < int64(opts.ChunkRows)
		}
		n, err := c.copyChunk(ctx, t, p, known.lastKey, chunk, query, args, copySQL, endOf)
		if errors.Is(err, errCheckpointMoved) {
			// Another copy committed this chunk first: go on after what it did.
			now, err := loadCheckpoint(ctx, c.Target, p)
			if err != nil {
				return err
			}
			tc.add(now.rows-known.rows, now.bytes-known.bytes, now.done, opts.Progress)
			if now.done {
				return nil
			}
			known, last = now, now.lastKey
			if last == nil {
				last = p.lower
			}
			continue
		}
		if err != nil {
			return err
		}
		counts.Merge(chunk.counts)
		next, done := endOf(n)
		if next != nil {
			last, known.lastKey = next, next
		}
		known.rows += n
		known.bytes += chunk.bytes
		if pager != nil {
			pager.Seen(n)
		}
		tc.add(n, chunk.bytes, done, opts.Progress)
		if done {
			return nil
		}
	}
}

// copyChunk streams one chunk from the source into COPY and commits it with
// its checkpoint, which endOf gives for the rows copied, if the checkpoint
// is still at was (else errCheckpointMoved, and nothing is committed). It
// returns the rows copied.
func (c *Copier) copyChunk(ctx context.Context, t *schema.Table, p *part, was [][]byte, chunk *chunkSource, query string, args []any, copySQL string, endOf func(n int64) ([][]byte, bool)) (int64, error) {
	err := source.Query(ctx, c.Source, "reading "+t.Source.Name, query, args, func(rows *source.Rows) error {
		chunk.rows = rows
		return pgx.BeginFunc(ctx, c.Target, func(tx pgx.Tx) error {
			_, err := tx.Conn().PgConn().CopyFrom(ctx, chunk, copySQL)
			if chunk.err != nil {
				// The server only says "COPY failed"; ours says which row.
				return chunk.err
			}
			if err != nil {
				return fmt.Errorf("target: copying into %s: %w", t.Name, err)
			}
			end, done := endOf(chunk.n)
			return saveCheckpoint(ctx, tx, p, was, end, chunk.n, chunk.bytes, done)
		})
	})
	if err != nil {
		return 0, err
	}
	return chunk.n, nil
}
