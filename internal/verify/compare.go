package verify

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/values"
)

// comparer reads one table's chunks from both sides and reduces rows to
// hashes of their values in PostgreSQL's binary form: the source's as the
// copy encodes them, the target's as PostgreSQL sends them.
type comparer struct {
	v        *Verifier
	t        *schema.Table
	cols     []*schema.Column
	norm     []bool // whether values.Normalize makes each column's values comparable
	srcNames []string
	keyIdx   []int
	// rangeCols are the columns whose ranges make spans: the key, or the
	// columns of an owned table that reference its parent.
	rangeCols []*schema.Column
	// alike: both engines order rangeCols alike, so spans can be compared
	// (see unordered.go).
	alike    bool
	dstQuery string // without the range predicate
	seed     maphash.Seed
}

func newComparer(v *Verifier, t *schema.Table, seed maphash.Seed) *comparer {
	c := &comparer{v: v, t: t, cols: t.CopiedColumns(), seed: seed}
	selects := make([]string, len(c.cols))
	for i, col := range c.cols {
		c.norm = append(c.norm, values.Normalized(col))
		c.srcNames = append(c.srcNames, col.Source.Name)
		selects[i] = schema.QuoteIdent(col.Name)
	}
	for _, k := range t.Key {
		for i, col := range c.cols {
			if col.Name == k {
				c.keyIdx = append(c.keyIdx, i)
				c.rangeCols = append(c.rangeCols, col)
			}
		}
	}
	if t.Source.Paged() {
		c.rangeCols = nil
		for _, name := range t.Source.PageColumns() {
			for _, col := range c.cols {
				if col.Source.Name == name {
					c.rangeCols = append(c.rangeCols, col)
				}
			}
		}
	}
	c.alike = orderedAlike(c.rangeCols, v.Layout.TenantColumn)
	c.dstQuery = "SELECT " + strings.Join(selects, ", ") + " FROM " + schema.QuoteIdent(t.Name)
	return c
}

// spans returns a function that reads the source one span after another
// within the part (lower, upper] (nil: open), each of about n rows, into the
// sink into gives for it, and reports when it returned the part's last span.
func (c *comparer) spans(lower, upper [][]byte, n int, into func() rowSink) func(context.Context) (span, rowSink, bool, error) {
	t := c.t.Source
	var pager *source.Pager
	if t.Paged() {
		pager = c.v.Layout.NewPager(c.v.Source, t, c.v.Tenant, upper, n)
	}
	return func(ctx context.Context) (span, rowSink, bool, error) {
		r := span{lower: lower}
		var query string
		var args []any
		var last bool
		if pager != nil {
			end, lastPage, err := pager.Next(ctx, lower)
			if err != nil {
				return r, nil, false, err
			}
			r.upper, last = end, lastPage
			query, args = c.v.Layout.PageQuery(t, c.srcNames, c.v.Tenant, lower, end)
		} else {
			query, args = c.v.Layout.ChunkQuery(t, c.srcNames, c.v.Tenant, lower, upper, n)
		}
		out := into()
		count, lastKey, err := c.sourceChunk(ctx, query, args, out)
		if err != nil {
			return r, nil, false, err
		}
		r.rows = count
		if pager != nil {
			pager.Seen(int64(count))
		} else if count == n {
			r.upper = lastKey
		} else {
			r.upper, last = upper, true
		}
		lower = r.upper
		return r, out, last, nil
	}
}

// drillDown reads a span that differs again from both sides, row by row
// under their keys, and counts and lists what is missing, extra or different.
func (c *comparer) drillDown(ctx context.Context, r span, res *TableResult, maxListed int) error {
	t := c.t.Source
	var query string
	var args []any
	if t.Paged() {
		query, args = c.v.Layout.PageQuery(t, c.srcNames, c.v.Tenant, r.lower, r.upper)
	} else {
		query, args = c.v.Layout.ChunkQuery(t, c.srcNames, c.v.Tenant, r.lower, r.upper, max(r.rows, 1))
	}
	src, dst := newChunk(true), newChunk(true)
	if _, _, err := c.sourceChunk(ctx, query, args, src); err != nil {
		return err
	}
	if err := c.targetChunk(ctx, r, dst); err != nil {
		return err
	}
	diffRows(res, src, dst, maxListed)
	return nil
}

// sourceChunk reads the source rows query selects into out, and returns how
// many there were and the key of the last.
func (c *comparer) sourceChunk(ctx context.Context, query string, args []any, out rowSink) (int, [][]byte, error) {
	count := 0
	counts := values.Counts{}
	lastKey := make([][]byte, len(c.keyIdx))
	var buf []byte
	err := source.Query(ctx, c.v.Source, "reading "+c.t.Source.Name, query, args, func(rows *source.Rows) error {
		for rows.Next() {
			row := rows.Values()
			buf = buf[:0]
			for i, col := range c.cols {
				var err error
				if buf, err = values.AppendNormalized(buf, col, row[i], counts); err != nil {
					return fmt.Errorf("source: %s.%s: %w", c.t.Source.Name, col.Source.Name, err)
				}
			}
			c.add(out, buf)
			count++
			for i, idx := range c.keyIdx {
				var err error
				if lastKey[i], err = values.AppendKey(lastKey[i][:0], c.cols[idx], row[idx]); err != nil {
					return fmt.Errorf("source: %s.%s: %w", c.t.Source.Name, c.cols[idx].Source.Name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return count, lastKey, nil
}

// targetChunk reads the target rows in the span r (no bounds: the whole
// table) into out.
func (c *comparer) targetChunk(ctx context.Context, r span, out rowSink) error {
	var where []string
	var args []any
	list := make([]string, len(c.rangeCols))
	for i, col := range c.rangeCols {
		list[i] = schema.QuoteIdent(col.Name)
	}
	tuple := "(" + strings.Join(list, ", ") + ")"
	bound := func(op string, key [][]byte) error {
		ph := make([]string, len(key))
		for i, raw := range key {
			args = append(args, string(raw))
			ph[i] = boundParam(c.rangeCols[i], len(args))
		}
		where = append(where, tuple+" "+op+" ("+strings.Join(ph, ", ")+")")
		return nil
	}
	if r.lower != nil {
		if err := bound(">", r.lower); err != nil {
			return err
		}
	}
	if r.upper != nil {
		if err := bound("<=", r.upper); err != nil {
			return err
		}
		// The first span, open below, also holds the rows no bound can
		// place: those with a NULL range column (a nullable reference to
		// an owned table's parent), which the source never has.
		var nulls []string
		for _, col := range c.rangeCols {
			if !col.NotNull {
				nulls = append(nulls, schema.QuoteIdent(col.Name)+" IS NULL")
			}
		}
		if r.lower == nil && len(nulls) > 0 {
			where[0] = "(" + where[0] + " OR " + strings.Join(nulls, " OR ") + ")"
		}
	}
	return c.readTarget(ctx, where, args, out)
}

// targetBlocks reads the target rows stored in the blocks [from, to) (0:
// open) into out: a plain scan of part of the table, cheaper for PostgreSQL
// than a range of its key, in no order.
func (c *comparer) targetBlocks(ctx context.Context, from, to int64, out rowSink) error {
	var where []string
	var args []any
	tid := func(op string, block int64) {
		args = append(args, fmt.Sprintf("(%d,0)", block))
		where = append(where, "ctid "+op+" $"+strconv.Itoa(len(args))+"::tid")
	}
	if from > 0 {
		tid(">=", from)
	}
	if to > 0 {
		tid("<", to)
	}
	return c.readTarget(ctx, where, args, out)
}

// readTarget reads the target rows that match every condition in where
// into out.
func (c *comparer) readTarget(ctx context.Context, where []string, args []any, out rowSink) error {
	query := c.dstQuery
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	// Every column in binary, as PostgreSQL's send functions give it.
	args = append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)
	rows, err := c.v.Target.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("target: reading %s: %w", c.t.Name, err)
	}
	defer rows.Close()
	var buf []byte
	for rows.Next() {
		if buf, err = c.appendTargetRow(buf[:0], rows.RawValues()); err != nil {
			return err
		}
		c.add(out, buf)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("target: reading %s: %w", c.t.Name, err)
	}
	return nil
}

func newChunk(detail bool) *chunk {
	if detail {
		return &chunk{rows: map[string]uint64{}}
	}
	return &chunk{}
}

// appendTargetRow appends a target row — its binary values, nil for NULL —
// as the source's are written: each normalized, after its length.
func (c *comparer) appendTargetRow(buf []byte, fields [][]byte) ([]byte, error) {
	var err error
	for i, col := range c.cols {
		v := fields[i]
		if v == nil {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		if c.norm[i] {
			if buf, err = values.Normalize(buf, col, v); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", c.t.Name, col.Name, err)
			}
		} else {
			buf = append(buf, v...)
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

// add hashes one row, written as appendTargetRow writes it, into out, under
// its printed key when out wants it.
func (c *comparer) add(out rowSink, row []byte) {
	var key string
	if out.wantsKey() {
		key = c.printKey(row)
	}
	out.add(key, maphash.Bytes(c.seed, row))
}

// printKey names a row by its key, e.g. (id=42), from the row as add
// hashes it.
func (c *comparer) printKey(row []byte) string {
	fields := make([][]byte, len(c.cols))
	for i := range fields {
		n := int32(binary.BigEndian.Uint32(row))
		row = row[4:]
		if n >= 0 {
			fields[i], row = row[:n], row[n:]
		}
	}
	parts := make([]string, len(c.keyIdx))
	for i, idx := range c.keyIdx {
		s := values.FormatNormalized(c.cols[idx], fields[idx])
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\n") {
			s = strconv.Quote(s)
		}
		parts[i] = c.cols[idx].Name + "=" + s
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// boundParam is the n-th parameter, a key in the source's text form, as a
// value of col's type: PostgreSQL parses it, so the verifier keeps no
// parser of its own. Range columns are integers, decimals, dates and
// timestamps, which PostgreSQL reads in MariaDB's text form, and the tenant
// column; a TIMESTAMP's text is UTC (the source session's time zone).
func boundParam(col *schema.Column, n int) string {
	p := "$" + strconv.Itoa(n) + "::text"
	if col.Kind == schema.KindTimestamptz {
		return "(" + p + "::timestamp AT TIME ZONE 'UTC')"
	}
	return "CAST(" + p + " AS " + col.Type + ")"
}
