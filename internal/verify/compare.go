package verify

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/values"
)

// comparer reads one table's chunks from both sides and reduces rows to
// hashes of their canonical values.
type comparer struct {
	v        *Verifier
	t        *schema.Table
	cols     []*schema.Column
	srcNames []string
	keyIdx   []int
	keyCols  []*schema.Column
	dstQuery string // without the range predicate
}

func newComparer(v *Verifier, t *schema.Table) *comparer {
	c := &comparer{v: v, t: t, cols: t.CopiedColumns()}
	selects := make([]string, len(c.cols))
	for i, col := range c.cols {
		c.srcNames = append(c.srcNames, col.Source.Name)
		selects[i] = schema.QuoteIdent(col.Name)
		switch col.Kind {
		case schema.KindJSON, schema.KindUUID:
			// As text: pgx would decode jsonb into maps and lose number precision.
			selects[i] += "::text"
		}
	}
	for _, k := range t.Key {
		for i, col := range c.cols {
			if col.Name == k {
				c.keyIdx = append(c.keyIdx, i)
				c.keyCols = append(c.keyCols, col)
			}
		}
	}
	c.dstQuery = "SELECT " + strings.Join(selects, ", ") + " FROM " + schema.QuoteIdent(t.Name)
	return c
}

// sourceChunk reads up to n of the tenant's rows after the key lower.
func (c *comparer) sourceChunk(ctx context.Context, lower [][]byte, n int) (*chunk, error) {
	query, args := c.v.Layout.ChunkQuery(c.t.Source, c.srcNames, c.v.Tenant, lower, n)
	rows, err := c.v.Source.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("source: reading %s: %w", c.t.Source.Name, err)
	}
	defer rows.Close()
	out := newChunk()
	raw := make([]sql.RawBytes, len(c.cols))
	dest := make([]any, len(c.cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	vals := make([]any, len(c.cols))
	counts := values.Counts{}
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("source: reading %s: %w", c.t.Source.Name, err)
		}
		for i, col := range c.cols {
			if vals[i], err = values.Convert(col, raw[i], counts); err != nil {
				return nil, fmt.Errorf("source: %s.%s: %w", c.t.Source.Name, col.Source.Name, err)
			}
		}
		var key string
		if buf, key, err = c.canonical(buf[:0], vals); err != nil {
			return nil, err
		}
		out.add(key, rowHash(buf))
		out.lastKey = make([][]byte, len(c.keyIdx))
		for i, idx := range c.keyIdx {
			out.lastKey[i] = append([]byte(nil), raw[idx]...)
		}
		out.count++
	}
	return out, rows.Err()
}

// targetChunk reads the target rows with lower < key <= upper (nil: unbounded).
func (c *comparer) targetChunk(ctx context.Context, lower, upper [][]byte) (*chunk, error) {
	var where []string
	var args []any
	keyList := make([]string, len(c.keyCols))
	for i, col := range c.keyCols {
		keyList[i] = schema.QuoteIdent(col.Name)
	}
	tuple := "(" + strings.Join(keyList, ", ") + ")"
	bound := func(op string, key [][]byte) error {
		ph := make([]string, len(key))
		for i, raw := range key {
			v, err := values.Convert(c.keyCols[i], raw, values.Counts{})
			if err != nil {
				return err
			}
			args = append(args, v)
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		where = append(where, tuple+" "+op+" ("+strings.Join(ph, ", ")+")")
		return nil
	}
	if lower != nil {
		if err := bound(">", lower); err != nil {
			return nil, err
		}
	}
	if upper != nil {
		if err := bound("<=", upper); err != nil {
			return nil, err
		}
	}
	query := c.dstQuery
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := c.v.Target.Query(ctx, query+" ORDER BY "+strings.Join(keyList, ", "), args...)
	if err != nil {
		return nil, fmt.Errorf("target: reading %s: %w", c.t.Name, err)
	}
	defer rows.Close()
	out := newChunk()
	var buf []byte
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("target: reading %s: %w", c.t.Name, err)
		}
		var key string
		if buf, key, err = c.canonical(buf[:0], vals); err != nil {
			return nil, err
		}
		out.add(key, rowHash(buf))
		out.count++
	}
	return out, rows.Err()
}

// canonical appends the row's canonical bytes to buf and prints its key.
func (c *comparer) canonical(buf []byte, vals []any) ([]byte, string, error) {
	var err error
	for i, col := range c.cols {
		if buf, err = values.AppendCanonical(buf, col, vals[i]); err != nil {
			return nil, "", err
		}
	}
	parts := make([]string, len(c.keyIdx))
	var kb []byte
	for i, idx := range c.keyIdx {
		if kb, err = values.AppendCanonical(kb[:0], c.cols[idx], vals[idx]); err != nil {
			return nil, "", err
		}
		s := "NULL"
		if len(kb) > 4 {
			s = string(kb[4:]) // without the length prefix
		}
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\n") {
			s = strconv.Quote(s)
		}
		parts[i] = c.cols[idx].Name + "=" + s
	}
	return buf, "(" + strings.Join(parts, ", ") + ")", nil
}
