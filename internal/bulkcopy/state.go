package bulkcopy

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/schema"
)

// The copy's bookkeeping lives in its own schema of the tenant database, out
// of the application's way in public; DropBookkeeping removes it at cutover.
const bookkeeping = "migrawave_copy"

// part is one key range (lower, upper] of a table, copied on its own
// connection; a table too small to split is one part with open bounds. The
// ranges are fixed when the copy starts and kept with the checkpoints, so a
// resumed copy works on exactly the same ones.
type part struct {
	table        string
	n            int
	lower, upper [][]byte
	checkpoint
}

type checkpoint struct {
	lastKey [][]byte
	rows    int64
	bytes   int64
	done    bool
}

// prepareTarget creates the bookkeeping and the tables, and returns the
// parts of a copy to resume, by table. Without resume, a target that already
// holds copied rows is refused: we never mix two copies.
func prepareTarget(ctx context.Context, pool *pgxpool.Pool, s *schema.Schema, resume bool) (map[string][]part, error) {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		stmts := []string{
			"CREATE SCHEMA IF NOT EXISTS " + bookkeeping,
			"CREATE TABLE IF NOT EXISTS " + bookkeeping + `.checkpoints (
				table_name text NOT NULL,
				part integer NOT NULL,
				lower_key bytea[],
				upper_key bytea[],
				last_key bytea[],
				rows bigint NOT NULL DEFAULT 0,
				bytes bigint NOT NULL DEFAULT 0,
				done boolean NOT NULL DEFAULT false,
				updated_at timestamptz NOT NULL DEFAULT now(),
				PRIMARY KEY (table_name, part))`,
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
	state, err := loadParts(ctx, pool)
	if err != nil {
		return nil, err
	}
	if !resume && len(state) > 0 {
		return nil, ErrAlreadyCopied
	}
	return state, nil
}

// ErrOldCheckpoints is returned for a target holding the checkpoints of a
// copy by a migrawave from before key ranges were split into parts: they
// name no parts, so nothing says which rows each range holds.
var ErrOldCheckpoints = errors.New("the target database holds checkpoints of a copy by an older migrawave, which this one cannot resume: drop the database and copy again")

func loadParts(ctx context.Context, pool *pgxpool.Pool) (map[string][]part, error) {
	rows, err := pool.Query(ctx, "SELECT table_name, part, lower_key, upper_key, last_key, rows, bytes, done FROM "+bookkeeping+".checkpoints ORDER BY table_name, part")
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42703" { // undefined_column
		return nil, ErrOldCheckpoints
	}
	if err != nil {
		return nil, fmt.Errorf("target: reading checkpoints: %w", err)
	}
	defer rows.Close()
	state := map[string][]part{}
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.table, &p.n, &p.lower, &p.upper, &p.lastKey, &p.rows, &p.bytes, &p.done); err != nil {
			return nil, fmt.Errorf("target: reading checkpoints: %w", err)
		}
		state[p.table] = append(state[p.table], p)
	}
	return state, rows.Err()
}

// saveParts records the parts of a table before any of them is copied.
func saveParts(ctx context.Context, pool *pgxpool.Pool, parts []part) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, p := range parts {
			_, err := tx.Exec(ctx, "INSERT INTO "+bookkeeping+".checkpoints (table_name, part, lower_key, upper_key) VALUES ($1, $2, $3, $4)",
				p.table, p.n, p.lower, p.upper)
			if err != nil {
				return fmt.Errorf("target: saving the parts of %s: %w", p.table, err)
			}
		}
		return nil
	})
}

// errCheckpointMoved says that a part's checkpoint is no longer where this
// copy read its chunk from: another copy of the tenant committed the part's
// next chunk first — one still committing when this one resumed (a client
// gives up on a COMMIT it sent without the server giving up on it), or one
// running beside it.
var errCheckpointMoved = errors.New("the checkpoint moved under this copy")

// saveCheckpoint records a committed chunk of a part, provided the part's
// checkpoint is still at was, the key the chunk was read after: the UPDATE
// waits for another transaction holding the row, then finds it moved, and
// the chunk is rolled back instead of committed twice. lastKey nil keeps
// the previous key.
func saveCheckpoint(ctx context.Context, tx pgx.Tx, p *part, was, lastKey [][]byte, rows, bytes int64, done bool) error {
	tag, err := tx.Exec(ctx, "UPDATE "+bookkeeping+`.checkpoints SET
			last_key = coalesce($3, last_key),
			rows = rows + $4,
			bytes = bytes + $5,
			done = $6,
			updated_at = now()
		WHERE table_name = $1 AND part = $2 AND last_key IS NOT DISTINCT FROM $7 AND NOT done`,
		p.table, p.n, lastKey, rows, bytes, done, was)
	if err != nil {
		return fmt.Errorf("target: saving the checkpoint of %s: %w", p.table, err)
	}
	if tag.RowsAffected() != 1 {
		return errCheckpointMoved
	}
	return nil
}

// loadCheckpoint reads a part's checkpoint as committed.
func loadCheckpoint(ctx context.Context, pool *pgxpool.Pool, p *part) (checkpoint, error) {
	var c checkpoint
	err := pool.QueryRow(ctx, "SELECT last_key, rows, bytes, done FROM "+bookkeeping+".checkpoints WHERE table_name = $1 AND part = $2",
		p.table, p.n).Scan(&c.lastKey, &c.rows, &c.bytes, &c.done)
	if err != nil {
		return c, fmt.Errorf("target: reading the checkpoint of %s: %w", p.table, err)
	}
	return c, nil
}

// DropBookkeeping removes the copy's checkpoints once the copy is verified
// and cut over; the tenant database then holds the application's schema only.
func DropBookkeeping(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+bookkeeping+" CASCADE"); err != nil {
		return fmt.Errorf("target: dropping the copy's bookkeeping: %w", err)
	}
	return nil
}
