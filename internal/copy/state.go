package copy

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/schema"
)

// The copy's bookkeeping lives in its own schema of the tenant database, out
// of the application's way in public; DropBookkeeping removes it at cutover.
const bookkeeping = "migrawave_copy"

type checkpoint struct {
	lastKey [][]byte
	rows    int64
	bytes   int64
	done    bool
}

// prepareTarget creates the bookkeeping and the tables, and returns the
// checkpoints of a copy to resume. Without resume, a target that already
// holds copied rows is refused: we never mix two copies.
func prepareTarget(ctx context.Context, pool *pgxpool.Pool, s *schema.Schema, resume bool) (map[string]checkpoint, error) {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		stmts := []string{
			"CREATE SCHEMA IF NOT EXISTS " + bookkeeping,
			"CREATE TABLE IF NOT EXISTS " + bookkeeping + `.checkpoints (
				table_name text PRIMARY KEY,
				last_key bytea[],
				rows bigint NOT NULL DEFAULT 0,
				bytes bigint NOT NULL DEFAULT 0,
				done boolean NOT NULL DEFAULT false,
				updated_at timestamptz NOT NULL DEFAULT now())`,
		}
		stmts = append(stmts, s.CreateTables()...)
		for _, sql := range stmts {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("target: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	state, err := loadCheckpoints(ctx, pool)
	if err != nil {
		return nil, err
	}
	if !resume && len(state) > 0 {
		return nil, ErrAlreadyCopied
	}
	return state, nil
}

func loadCheckpoints(ctx context.Context, pool *pgxpool.Pool) (map[string]checkpoint, error) {
	rows, err := pool.Query(ctx, "SELECT table_name, last_key, rows, bytes, done FROM "+bookkeeping+".checkpoints")
	if err != nil {
		return nil, fmt.Errorf("target: reading checkpoints: %w", err)
	}
	defer rows.Close()
	state := map[string]checkpoint{}
	for rows.Next() {
		var name string
		var cp checkpoint
		if err := rows.Scan(&name, &cp.lastKey, &cp.rows, &cp.bytes, &cp.done); err != nil {
			return nil, fmt.Errorf("target: reading checkpoints: %w", err)
		}
		state[name] = cp
	}
	return state, rows.Err()
}

// saveCheckpoint records a committed chunk; lastKey nil keeps the previous key.
func saveCheckpoint(ctx context.Context, tx pgx.Tx, table string, lastKey [][]byte, rows, bytes int64, done bool) error {
	_, err := tx.Exec(ctx, "INSERT INTO "+bookkeeping+`.checkpoints AS c (table_name, last_key, rows, bytes, done)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (table_name) DO UPDATE SET
			last_key = coalesce(excluded.last_key, c.last_key),
			rows = c.rows + excluded.rows,
			bytes = c.bytes + excluded.bytes,
			done = excluded.done,
			updated_at = now()`, table, lastKey, rows, bytes, done)
	if err != nil {
		return fmt.Errorf("target: saving the checkpoint of %s: %w", table, err)
	}
	return nil
}

// DropBookkeeping removes the copy's checkpoints once the copy is verified
// and cut over; the tenant database then holds the application's schema only.
func DropBookkeeping(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+bookkeeping+" CASCADE"); err != nil {
		return fmt.Errorf("target: dropping the copy's bookkeeping: %w", err)
	}
	return nil
}
