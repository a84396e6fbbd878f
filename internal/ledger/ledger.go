// Package ledger records what the tenant application did and was told
// during a migration — every write it acknowledged, every message it
// published or processed, every span in which a tenant's writes were
// refused — and checks afterwards that nothing was lost. The ledger is a
// PostgreSQL database of its own, apart from the catalog and the tenants.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/pgconnerr"
)

// Message events.
const (
	Published = "published"
	Processed = "processed"
	// Duplicate is a delivery of a message already processed, which the
	// application's inbox recognized and did not apply again.
	Duplicate = "duplicate"
)

// Write is one acknowledged write: the row's value after it, or Deleted.
type Write struct {
	Tenant   string
	Table    string
	Key      string
	Value    string
	Deleted  bool
	Location string // where it committed: "source" or "<cluster>/<database>"
	// At is when the commit was asked for: a write committed to the source
	// before the fence closed was asked for before it closed.
	At time.Time
}

// Message is one message event.
type Message struct {
	Tenant    string
	MessageID string
	Event     string // Published, Processed or Duplicate
	Broker    string // old or new
	At        time.Time
}

// Refusal is a span in which the tenant's writes were refused: from the
// first refused attempt to the write that then went through.
type Refusal struct {
	Tenant     string
	Start, End time.Time
}

const schema = `
CREATE TABLE IF NOT EXISTS writes (
    id bigserial PRIMARY KEY, tenant text NOT NULL, tbl text NOT NULL, key text NOT NULL,
    value text, deleted boolean NOT NULL, location text NOT NULL, at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS writes_tenant ON writes (tenant, tbl, key, id);
CREATE TABLE IF NOT EXISTS messages (
    id bigserial PRIMARY KEY, tenant text NOT NULL, message_id text NOT NULL,
    event text NOT NULL, broker text NOT NULL, at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS refusals (
    id bigserial PRIMARY KEY, tenant text NOT NULL, started timestamptz NOT NULL, ended timestamptz NOT NULL);`

// Ledger is a handle on the ledger database.
type Ledger struct {
	pool *pgxpool.Pool
}

// Open connects to the ledger database, creating it and its tables if
// needed.
func Open(ctx context.Context, dsn string) (*Ledger, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("ledger: not a valid PostgreSQL DSN")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		if err = pool.Ping(ctx); sqlState(err) == "3D000" /* invalid_catalog_name */ {
			err = createDatabase(ctx, cfg.ConnConfig)
		}
	}
	if err == nil {
		_, err = pool.Exec(ctx, schema)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, fmt.Errorf("ledger: %s:%d/%s: %s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, pgconnerr.Reason(err))
	}
	return &Ledger{pool: pool}, nil
}

// Close releases the connections.
func (l *Ledger) Close() { l.pool.Close() }

// DefaultDSN is the ledger the application and the demo use unless told
// otherwise: database tenantapp_ledger on the first cluster's server.
func DefaultDSN(cfg *config.Config) (string, error) {
	if len(cfg.Clusters) == 0 {
		return "", errors.New("ledger: no clusters in the config to put it on")
	}
	u, err := url.Parse(cfg.Clusters[0].DSN)
	if err != nil {
		return "", errors.New("ledger: clusters[0].dsn is not a valid URL")
	}
	u.Path = "/tenantapp_ledger"
	return u.String(), nil
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// createDatabase creates the database cc names, through the server's
// postgres database.
func createDatabase(ctx context.Context, cc *pgx.ConnConfig) error {
	admin := cc.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cc.Database}.Sanitize())
	if sqlState(err) == "42P04" /* duplicate_database */ {
		return nil // another process was first
	}
	return err
}

// Reset empties the ledger, for a new run.
func (l *Ledger) Reset(ctx context.Context) error {
	_, err := l.pool.Exec(ctx, `TRUNCATE writes, messages, refusals`)
	return err
}

// Recorder batches entries and writes them to the ledger every flush
// interval, so that recording costs the application one append per entry.
// Close writes what is left.
type Recorder struct {
	l    *Ledger
	log  *slog.Logger
	mu   sync.Mutex
	w    []Write
	m    []Message
	r    []Refusal
	stop chan struct{}
	done chan struct{}
}

// Record starts a recorder on the ledger.
func (l *Ledger) Record(log *slog.Logger) *Recorder {
	r := &Recorder{l: l, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// Write records an acknowledged write.
func (r *Recorder) Write(w Write) { r.mu.Lock(); r.w = append(r.w, w); r.mu.Unlock() }

// Message records a message event.
func (r *Recorder) Message(m Message) { r.mu.Lock(); r.m = append(r.m, m); r.mu.Unlock() }

// Refusal records a span of refused writes.
func (r *Recorder) Refusal(f Refusal) { r.mu.Lock(); r.r = append(r.r, f); r.mu.Unlock() }

// Close writes what is recorded and stops.
func (r *Recorder) Close() {
	close(r.stop)
	<-r.done
}

func (r *Recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.stop:
			r.flush()
			return
		}
		r.flush()
	}
}

// flush writes the entries recorded so far, and keeps them for the next
// flush if the ledger does not answer: an entry is lost only if the
// process dies first, which undercounts, never invents, a loss.
func (r *Recorder) flush() {
	r.mu.Lock()
	w, m, f := r.w, r.m, r.r
	r.w, r.m, r.r = nil, nil, nil
	r.mu.Unlock()
	if len(w)+len(m)+len(f) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := pgx.BeginFunc(ctx, r.l.pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"writes"}, []string{"tenant", "tbl", "key", "value", "deleted", "location", "at"},
			pgx.CopyFromSlice(len(w), func(i int) ([]any, error) {
				var v *string
				if !w[i].Deleted {
					v = &w[i].Value
				}
				return []any{w[i].Tenant, w[i].Table, w[i].Key, v, w[i].Deleted, w[i].Location, w[i].At}, nil
			})); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"messages"}, []string{"tenant", "message_id", "event", "broker", "at"},
			pgx.CopyFromSlice(len(m), func(i int) ([]any, error) {
				return []any{m[i].Tenant, m[i].MessageID, m[i].Event, m[i].Broker, m[i].At}, nil
			})); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"refusals"}, []string{"tenant", "started", "ended"},
			pgx.CopyFromSlice(len(f), func(i int) ([]any, error) { return []any{f[i].Tenant, f[i].Start, f[i].End}, nil }))
		return err
	})
	if err != nil {
		r.log.Warn("ledger: writing entries failed; keeping them for the next try", "entries", len(w)+len(m)+len(f), "err", err)
		r.mu.Lock()
		r.w, r.m, r.r = append(w, r.w...), append(m, r.m...), append(f, r.r...)
		r.mu.Unlock()
	}
}
