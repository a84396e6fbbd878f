package bulkcopy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/schema"
)

// Recopy copies tables again, for a tenant whose source rows changed after
// they were copied and built: the tables, and every table that references
// one of them, are emptied together (a foreign key would not let a
// referenced table be emptied alone) and copied anew, one table after the
// other, parents first, as the foreign keys stay in place; their identity
// restarts are then set again. Its report lists the tables copied, in that
// order.
func (c *Copier) Recopy(ctx context.Context, tables []string, opts Options) (*Report, error) {
	chosen, err := c.Schema.Select(tables)
	if err != nil {
		return nil, err
	}
	redo := withReferencing(c.Schema, chosen)
	names := make([]string, len(redo))
	quoted := make([]string, len(redo))
	for i, t := range redo {
		names[i], quoted[i] = t.Name, schema.QuoteIdent(t.Name)
	}
	err = pgx.BeginFunc(ctx, c.Target, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(quoted, ", ")); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM "+bookkeeping+".checkpoints WHERE table_name = ANY($1)", names)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("target: emptying %s to copy them again: %w", strings.Join(names, ", "), err)
	}
	opts.Resume = true
	rep := &Report{Tenant: c.Tenant}
	for _, name := range names {
		opts.Tables = []string{name}
		one, err := c.CopyData(ctx, opts)
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, one.Tables...)
		rep.Rows += one.Rows
		rep.Bytes += one.Bytes
		rep.DataDuration += one.DataDuration
	}
	return rep, buildRest(ctx, c.Target, redo)
}

// withReferencing returns tables and every table of s that references one
// of them, directly or through others, in the order of s: parents first.
func withReferencing(s *schema.Schema, tables []*schema.Table) []*schema.Table {
	in := map[string]bool{}
	for _, t := range tables {
		in[t.Name] = true
	}
	for grown := true; grown; {
		grown = false
		for _, t := range s.Tables {
			if !in[t.Name] && slices.ContainsFunc(t.ForeignKeys, func(fk schema.ForeignKey) bool { return in[fk.RefTable] }) {
				in[t.Name], grown = true, true
			}
		}
	}
	var out []*schema.Table
	for _, t := range s.Tables {
		if in[t.Name] {
			out = append(out, t)
		}
	}
	return out
}
