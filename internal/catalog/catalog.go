// Package catalog is the tenant catalog: the PostgreSQL database that says
// where every tenant lives and whether its writes are frozen. The application
// routes by it, so every change of a tenant's location is a compare-and-set on
// the row's version and leaves an event behind.
package catalog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/pgconnerr"
)

// LocationSource is a tenant's location until its cutover commits.
const LocationSource = "source"

// EventFenced is the event noted once a freeze has closed the tenant's
// source fence: no write of the tenant commits to the source after it.
const EventFenced = "fenced"

// EventUnfrozen is the kind of the change that lifts a freeze in the
// source: the tenant writes there again. (A cutover that unfreezes leaves
// the source fence closed for good.)
const EventUnfrozen = "unfreeze"

// NotifyChannel is where the catalog announces every change of a tenant's
// row, with the tenant id as payload (LISTEN migrawave_tenants).
const NotifyChannel = "migrawave_tenants"

// Tenant states.
const (
	StatePending    = "pending"
	StateMigrating  = "migrating"
	StateMigrated   = "migrated"
	StateRolledBack = "rolled_back"
	StateFailed     = "failed"
)

// ErrNotFound is returned for a tenant the catalog does not know.
var ErrNotFound = errors.New("unknown tenant")

// VersionConflictError is returned when a compare-and-set finds another version.
type VersionConflictError struct {
	TenantID        string
	Expected, Found int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("tenant %s: catalog row changed concurrently (expected version %d, found %d)", e.TenantID, e.Expected, e.Found)
}

// Tenant is one row of the catalog.
type Tenant struct {
	ID          string    `json:"tenant_id"`
	Hostname    string    `json:"hostname"`
	Location    string    `json:"location"`
	Cluster     string    `json:"cluster,omitempty"`
	Database    string    `json:"database,omitempty"`
	State       string    `json:"state"`
	Frozen      bool      `json:"frozen"`
	SizeBytes   int64     `json:"size_bytes"`
	RowEstimate int64     `json:"row_estimate"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Cluster is one row of the clusters table.
type Cluster struct {
	Name         string `json:"name"`
	MaxDatabases int    `json:"max_databases"`
	MaxBytes     int64  `json:"max_bytes"`
	Draining     bool   `json:"draining"`
}

// tenantIDPattern keeps tenant ids safe in database names, hostnames, queue
// names and workflow ids, and out of anything that looks like SQL.
var tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateTenantID returns an error naming the id if it is not usable.
func ValidateTenantID(id string) error {
	if !tenantIDPattern.MatchString(id) {
		return fmt.Errorf("invalid tenant id %q: use 1-63 lower case letters, digits, - or _", id)
	}
	return nil
}

//go:embed migrations/*.sql
var migrations embed.FS

// Catalog is a handle on the catalog database.
type Catalog struct {
	pool *pgxpool.Pool
}

// Open connects to the catalog database and checks that it answers.
func Open(ctx context.Context, dsn string) (*Catalog, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("catalog: catalog.dsn is not a valid PostgreSQL DSN")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("catalog: cannot reach %s:%d/%s: %s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, pgconnerr.Reason(err))
	}
	return &Catalog{pool: pool}, nil
}

// Pool is the catalog's connection pool, for the advisory locks that
// serialize work across worker processes.
func (c *Catalog) Pool() *pgxpool.Pool { return c.pool }

// Close releases the connections.
func (c *Catalog) Close() { c.pool.Close() }

// Migrate applies the embedded migrations not yet applied, under an advisory
// lock so that concurrent `setup` runs do not race. It returns how many ran.
func (c *Catalog) Migrate(ctx context.Context) (int, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	defer conn.Release()
	const lockID = 0x6d696772 // "migr"
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return 0, fmt.Errorf("catalog: taking the migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck // the session ends anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	applied := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return applied, fmt.Errorf("catalog: migration %s has no numeric prefix", name)
		}
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
			return applied, fmt.Errorf("catalog: %w", err)
		}
		if done {
			continue
		}
		sql, err := migrations.ReadFile(f)
		if err != nil {
			return applied, err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, version, name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("catalog: migration %s: %w", name, err)
		}
		applied++
	}
	return applied, nil
}

// Ready checks that setup has created the catalog's schema, so that commands
// fail with what to do rather than with "relation does not exist".
func (c *Catalog) Ready(ctx context.Context) error {
	var ok bool
	if err := c.pool.QueryRow(ctx, `SELECT to_regclass('tenants') IS NOT NULL`).Scan(&ok); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if !ok {
		return errors.New("catalog: the catalog database has no schema yet; run `migrawave setup` first")
	}
	return nil
}
