package tenantapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/target"
)

// The tables the application writes. activity_log's action holds the value
// the ledger expects; inbox holds the ids of processed messages.
const (
	tableActivity = "activity_log"
	tableInbox    = "inbox"
)

// errFenced is the source's fence refusing a tenant's write.
var errFenced = errors.New("the source's fence refuses the tenant's writes")

// stores reach a tenant where it lives: the shared source, through the
// tenant's fence, or the tenant's own database.
type stores struct {
	cfg     *config.Config
	src     *sql.DB
	mu      sync.Mutex
	targets map[string]*pgxpool.Pool
}

func newStores(ctx context.Context, cfg *config.Config) (*stores, error) {
	src, _, err := source.Open(ctx, cfg.Source.DSN, source.ClientSideParams)
	if err != nil {
		return nil, err
	}
	return &stores{cfg: cfg, src: src, targets: map[string]*pgxpool.Pool{}}, nil
}

func (s *stores) close() {
	s.src.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.targets {
		p.Close()
	}
}

// tenantTx is one transaction of the application on a tenant's rows.
type tenantTx interface {
	// insert adds an activity with value, and returns its key.
	insert(ctx context.Context, value string) (string, error)
	// set changes the value of the activity key, or deletes it
	// (deleted); it reports false if there is no such row.
	set(ctx context.Context, key, value string, deleted bool) (bool, error)
	// inbox records a processed message, and reports false if it was
	// processed before.
	inbox(ctx context.Context, messageID string) (bool, error)
	commit(ctx context.Context) error
	rollback()
}

// begin starts a transaction on the tenant at location. In the source it
// first reads the tenant's fence with a shared lock, and refuses with
// errFenced unless the fence is open: the contract that makes a freeze a
// fence (docs/application-contract.md).
func (s *stores) begin(ctx context.Context, tenant, location string) (tenantTx, error) {
	if location == catalog.LocationSource {
		tx, err := s.src.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		var state string
		err = tx.QueryRowContext(ctx, source.FenceQuery, tenant).Scan(&state)
		if err == nil && state != source.FenceOpen {
			err = errFenced
		} else if errors.Is(err, sql.ErrNoRows) {
			err = nil // never frozen: the fence is open
		}
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		return &sourceTx{tx: tx, tenant: tenant, col: source.QuoteIdent(s.cfg.Source.TenantColumn)}, nil
	}
	pool, err := s.target(ctx, location)
	if err != nil {
		return nil, err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &targetTx{tx: tx, tenant: tenant, col: pgx.Identifier{strings.ToLower(s.cfg.Source.TenantColumn)}.Sanitize()}, nil
}

// target is the pool of a tenant database, "<cluster>/<database>".
func (s *stores) target(ctx context.Context, location string) (*pgxpool.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.targets[location]; p != nil {
		return p, nil
	}
	cluster, database, ok := strings.Cut(location, "/")
	if !ok {
		return nil, fmt.Errorf("catalog location %q is neither source nor <cluster>/<database>", location)
	}
	cl, err := s.cfg.Cluster(cluster)
	if err != nil {
		return nil, err
	}
	p, err := target.Open(ctx, cl, database, 4)
	if err != nil {
		return nil, err
	}
	s.targets[location] = p
	return p, nil
}

type sourceTx struct {
	tx     *sql.Tx
	tenant string
	col    string // the quoted tenant column
}

func (t *sourceTx) insert(ctx context.Context, value string) (string, error) {
	res, err := t.tx.ExecContext(ctx, "INSERT INTO "+tableActivity+" ("+t.col+", entity_type, entity_id, action, user_agent, occurred_at) VALUES (?, 'document', 0, ?, 'tenantapp', UTC_TIMESTAMP(6))", t.tenant, value)
	if err != nil {
		return "", err
	}
	id, err := res.LastInsertId()
	return strconv.FormatInt(id, 10), err
}

func (t *sourceTx) set(ctx context.Context, key, value string, deleted bool) (bool, error) {
	q, args := "UPDATE "+tableActivity+" SET action = ? WHERE id = ? AND "+t.col+" = ?", []any{value, key, t.tenant}
	if deleted {
		q, args = "DELETE FROM "+tableActivity+" WHERE id = ? AND "+t.col+" = ?", []any{key, t.tenant}
	}
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *sourceTx) inbox(ctx context.Context, messageID string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, "INSERT IGNORE INTO "+tableInbox+" ("+t.col+", message_id, processed_at) VALUES (?, ?, UTC_TIMESTAMP(6))", t.tenant, messageID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *sourceTx) commit(context.Context) error { return t.tx.Commit() }
func (t *sourceTx) rollback()                    { t.tx.Rollback() }

type targetTx struct {
	tx     pgx.Tx
	tenant string
	col    string
}

func (t *targetTx) insert(ctx context.Context, value string) (string, error) {
	var id int64
	err := t.tx.QueryRow(ctx, "INSERT INTO "+tableActivity+" ("+t.col+", entity_type, entity_id, action, user_agent, occurred_at) VALUES ($1, 'document', 0, $2, 'tenantapp', now() AT TIME ZONE 'UTC') RETURNING id", t.tenant, value).Scan(&id)
	return strconv.FormatInt(id, 10), err
}

func (t *targetTx) set(ctx context.Context, key, value string, deleted bool) (bool, error) {
	q, args := "UPDATE "+tableActivity+" SET action = $1 WHERE id = $2 AND "+t.col+" = $3", []any{value, key, t.tenant}
	if deleted {
		q, args = "DELETE FROM "+tableActivity+" WHERE id = $1 AND "+t.col+" = $2", []any{key, t.tenant}
	}
	tag, err := t.tx.Exec(ctx, q, args...)
	return tag.RowsAffected() == 1, err
}

func (t *targetTx) inbox(ctx context.Context, messageID string) (bool, error) {
	tag, err := t.tx.Exec(ctx, "INSERT INTO "+tableInbox+" ("+t.col+", message_id, processed_at) VALUES ($1, $2, now() AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING", t.tenant, messageID)
	return tag.RowsAffected() == 1, err
}

func (t *targetTx) commit(ctx context.Context) error { return t.tx.Commit(ctx) }
func (t *targetTx) rollback()                        { t.tx.Rollback(context.Background()) }

// Values reads the tenant's activities among keys where it lives now: the
// ledger's check (ledger.Store).
func (s *stores) Values(ctx context.Context, tenant, location, table string, keys []string) (map[string]string, error) {
	if table != tableActivity {
		return nil, fmt.Errorf("the application writes no table %s", table)
	}
	out := map[string]string{}
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("key %q of %s is not an id", k, table)
		}
		ids = append(ids, id)
	}
	if location == catalog.LocationSource {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), 500)]
			ids = ids[len(batch):]
			args := []any{tenant}
			for _, id := range batch {
				args = append(args, id)
			}
			rows, err := s.src.QueryContext(ctx, "SELECT id, action FROM "+tableActivity+" WHERE "+source.QuoteIdent(s.cfg.Source.TenantColumn)+" = ? AND id IN (?"+strings.Repeat(", ?", len(batch)-1)+")", args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var k, v string
				if err := rows.Scan(&k, &v); err != nil {
					rows.Close()
					return nil, err
				}
				out[k] = v
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	pool, err := s.target(ctx, location)
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, "SELECT id::text, action FROM "+tableActivity+" WHERE "+pgx.Identifier{strings.ToLower(s.cfg.Source.TenantColumn)}.Sanitize()+" = $1 AND id = ANY($2)", tenant, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
