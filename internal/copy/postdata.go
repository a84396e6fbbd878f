package copy

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/schema"
)

// buildAfterData runs every table's post-data steps (keys, indexes, checks,
// sequences, triggers), several tables at once, then the foreign keys between
// them, then ANALYZE. Steps are idempotent, so a resumed copy simply runs
// them all again.
func buildAfterData(ctx context.Context, pool *pgxpool.Pool, tables []*schema.Table, parallelism int) error {
	err := forEachTable(ctx, tables, parallelism, func(ctx context.Context, t *schema.Table) error {
		return runSteps(ctx, pool, t.PostData())
	})
	if err != nil {
		return err
	}
	selected := map[string]bool{}
	for _, t := range tables {
		selected[t.Name] = true
	}
	for _, t := range tables {
		for _, st := range t.ForeignKeySteps() {
			// With --tables, a referenced table may not be there (yet).
			if !selected[st.RefTable] {
				continue
			}
			if err := runSteps(ctx, pool, []schema.Step{st}); err != nil {
				return err
			}
		}
	}
	return forEachTable(ctx, tables, parallelism, func(ctx context.Context, t *schema.Table) error {
		if _, err := pool.Exec(ctx, "ANALYZE "+schema.QuoteIdent(t.Name)); err != nil {
			return fmt.Errorf("target: analyzing %s: %w", t.Name, err)
		}
		return nil
	})
}

func runSteps(ctx context.Context, pool *pgxpool.Pool, steps []schema.Step) error {
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
	return nil
}

// forEachTable runs fn for every table, at most parallelism at once; the
// first error cancels the rest and is returned.
func forEachTable(ctx context.Context, tables []*schema.Table, parallelism int, fn func(context.Context, *schema.Table) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(parallelism, 1))
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for _, t := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if err := fn(ctx, t); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
