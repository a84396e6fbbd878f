package copy

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/schema"
)

// buildAfterData runs every table's post-data steps (keys, indexes, checks,
// sequences, triggers), then the foreign keys between them, then ANALYZE.
// Steps are idempotent, so a resumed copy simply runs them all again.
func buildAfterData(ctx context.Context, pool *pgxpool.Pool, tables []*schema.Table) error {
	var steps []schema.Step
	for _, t := range tables {
		steps = append(steps, t.PostData()...)
	}
	for _, t := range tables {
		steps = append(steps, t.ForeignKeySteps()...)
	}
	for _, st := range steps {
		if st.Constraint != "" {
			var exists bool
			err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
				WHERE c.conname = $1 AND r.relname = $2 AND r.relnamespace = 'public'::regnamespace)`, st.Constraint, st.Table).Scan(&exists)
			if err != nil {
				return fmt.Errorf("target: %w", err)
			}
			if exists {
				continue
			}
		}
		if _, err := pool.Exec(ctx, st.SQL); err != nil {
			return fmt.Errorf("target: table %s: %w", st.Table, err)
		}
	}
	for _, t := range tables {
		if _, err := pool.Exec(ctx, "ANALYZE "+schema.QuoteIdent(t.Name)); err != nil {
			return fmt.Errorf("target: analyzing %s: %w", t.Name, err)
		}
	}
	return nil
}
