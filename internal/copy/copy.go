// Package copy copies one tenant from the shared source into its own
// PostgreSQL database: tables first, then the data in key order through
// binary COPY, then keys, indexes, constraints and sequences.
//
// The copy is resumable at any row: each chunk of rows is committed in the
// same transaction as its checkpoint (the last key copied), in the target
// database itself, so a resumed copy starts exactly after the last committed
// chunk — never duplicating or skipping a row, whatever a caller's own
// checkpoint says.
package copy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/values"
)

// Options tune a copy.
type Options struct {
	// Tables limits the copy to these source tables; empty means all.
	Tables []string
	// Parallelism is how many tables are copied at once (default 4).
	Parallelism int
	// ChunkRows is how many rows one COPY transaction carries (default 50,000).
	ChunkRows int
	// Resume continues a copy that stopped; without it the target must hold no copy yet.
	Resume bool
	// Progress is called after every committed chunk, from several goroutines.
	Progress func(Progress)
}

// Progress reports one table's advance; Checkpoint is what was committed.
type Progress struct {
	Table      string
	Rows       int64
	Bytes      int64
	Checkpoint [][]byte
	Done       bool
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

// ErrAlreadyCopied is returned when the target holds a copy and Resume is off.
var ErrAlreadyCopied = errors.New("the target database already holds a copy of this tenant: pass --resume to continue it, or drop the database to start over")

// Copier copies one tenant.
type Copier struct {
	Source *sql.DB
	Layout *source.Layout
	Schema *schema.Schema
	Target *pgxpool.Pool
	Tenant string
}

// Run copies the tenant: schema, data, then everything built after the data.
func (c *Copier) Run(ctx context.Context, opts Options) (*Report, error) {
	rep, err := c.CopyData(ctx, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := c.BuildAfterData(ctx, opts); err != nil {
		return nil, err
	}
	rep.PostDataDuration = time.Since(start)
	return rep, nil
}

// CopyData creates the tables and copies the rows, from the checkpoints when
// resuming.
func (c *Copier) CopyData(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	tables, err := c.selectTables(opts.Tables)
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
	reports, err := c.copyTables(ctx, tables, state, opts)
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
	tables, err := c.selectTables(opts.Tables)
	if err != nil {
		return err
	}
	return buildAfterData(ctx, c.Target, tables, opts.Parallelism)
}

func (o Options) withDefaults() Options {
	if o.Parallelism <= 0 {
		o.Parallelism = 4
	}
	if o.ChunkRows <= 0 {
		o.ChunkRows = 50_000
	}
	return o
}

func (c *Copier) selectTables(names []string) ([]*schema.Table, error) {
	if len(names) == 0 {
		return c.Schema.Tables, nil
	}
	var out []*schema.Table
	for _, n := range names {
		t, ok := c.Schema.Table(n)
		if !ok {
			return nil, fmt.Errorf("--tables: %q is not a tenant table (tenant tables: %s)", n, tableNames(c.Schema.Tables))
		}
		out = append(out, t)
	}
	return out, nil
}

func tableNames(ts []*schema.Table) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += t.Name
	}
	return s
}

// copyTables copies up to opts.Parallelism tables at once; the first error
// stops the others.
func (c *Copier) copyTables(ctx context.Context, tables []*schema.Table, state map[string]checkpoint, opts Options) ([]TableReport, error) {
	reports := make([]TableReport, len(tables))
	index := map[*schema.Table]int{}
	for i, t := range tables {
		index[t] = i
	}
	err := forEachTable(ctx, tables, opts.Parallelism, func(ctx context.Context, t *schema.Table) error {
		tr, err := c.copyTable(ctx, t, state[t.Name], opts)
		reports[index[t]] = tr
		return err
	})
	if err != nil {
		return nil, err
	}
	return reports, nil
}

// copyTable copies one table chunk by chunk from its checkpoint. A table
// with the tenant column goes in key order, LIMIT rows at a time, and its
// checkpoint is the last key copied; an owned table goes a page of parents at
// a time, and its checkpoint is the last parent key of the page.
func (c *Copier) copyTable(ctx context.Context, t *schema.Table, cp checkpoint, opts Options) (TableReport, error) {
	start := time.Now()
	tr := TableReport{Table: t.Name, Rows: cp.rows, Bytes: cp.bytes, Resumed: cp.rows > 0 || cp.done, Conversions: values.Counts{}, Notes: t.Notes}
	if cp.done {
		tr.Duration = time.Since(start)
		return tr, nil
	}
	cols := t.CopiedColumns()
	srcNames := make([]string, len(cols))
	for i, col := range cols {
		srcNames[i] = col.Source.Name
	}
	copySQL := copySQL(t, cols)
	keyIdx := keyPositions(t, cols)
	var pager *source.Pager
	if t.Source.Paged() {
		pager = c.Layout.NewPager(c.Source, t.Source, c.Tenant, opts.ChunkRows)
	}
	last := cp.lastKey
	for {
		var query string
		var args []any
		var pageEnd [][]byte
		if pager != nil {
			var err error
			if pageEnd, err = pager.Next(ctx, last); err != nil {
				return tr, err
			}
			query, args = c.Layout.PageQuery(t.Source, srcNames, c.Tenant, last, pageEnd)
		} else {
			query, args = c.Layout.ChunkQuery(t.Source, srcNames, c.Tenant, last, opts.ChunkRows)
		}
		chunk := &chunkSource{table: t, cols: cols, keyIdx: keyIdx, counts: tr.Conversions}
		// What the checkpoint says once n rows are in.
		endOf := func(n int64) ([][]byte, bool) {
			if pager != nil {
				return pageEnd, pageEnd == nil
			}
			return chunk.lastKeyOr(nil), n < int64(opts.ChunkRows)
		}
		n, err := c.copyChunk(ctx, t, chunk, query, args, copySQL, endOf)
		if err != nil {
			return tr, err
		}
		tr.Rows += n
		tr.Bytes += chunk.bytes
		next, done := endOf(n)
		if next != nil {
			last = next
		}
		if pager != nil {
			pager.Seen(n)
		}
		if opts.Progress != nil {
			opts.Progress(Progress{Table: t.Name, Rows: tr.Rows, Bytes: tr.Bytes, Checkpoint: last, Done: done})
		}
		if done {
			break
		}
	}
	tr.Duration = time.Since(start)
	return tr, nil
}

// copyChunk streams one chunk from the source into COPY and commits it with
// its checkpoint, which endOf gives for the rows copied. It returns the rows
// copied.
func (c *Copier) copyChunk(ctx context.Context, t *schema.Table, chunk *chunkSource, query string, args []any, copySQL string, endOf func(n int64) ([][]byte, bool)) (int64, error) {
	rows, err := c.Source.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("source: reading %s: %w", t.Source.Name, err)
	}
	defer rows.Close()
	chunk.rows = rows
	err = pgx.BeginFunc(ctx, c.Target, func(tx pgx.Tx) error {
		_, err := tx.Conn().PgConn().CopyFrom(ctx, chunk, copySQL)
		if chunk.err != nil {
			// The server only says "COPY failed"; ours says which row.
			return chunk.err
		}
		if err != nil {
			return fmt.Errorf("target: copying into %s: %w", t.Name, err)
		}
		end, done := endOf(chunk.n)
		return saveCheckpoint(ctx, tx, t.Name, end, chunk.n, chunk.bytes, done)
	})
	if err != nil {
		return 0, err
	}
	return chunk.n, nil
}
