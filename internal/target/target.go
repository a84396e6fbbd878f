// Package target manages tenant databases on the PostgreSQL clusters:
// naming, creating, connecting to and dropping them.
package target

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/bufconn"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/pgconnerr"
)

// DatabaseName is the tenant's database name from the template ({tenant}
// replaced), lower case, with anything but letters, digits and _ replaced by _.
func DatabaseName(template, tenant string) string {
	raw := strings.ToLower(strings.ReplaceAll(template, "{tenant}", tenant))
	var b strings.Builder
	for _, r := range raw {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "t_" + name
	}
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Cluster is a connection to one cluster's maintenance database.
type Cluster struct {
	Name string
	cfg  config.Cluster
	conn *pgx.Conn
}

// ConnectCluster connects to the cluster's maintenance database (its DSN).
// Errors name the cluster, host and port, never the password.
func ConnectCluster(ctx context.Context, cl config.Cluster) (*Cluster, error) {
	cfg, err := pgx.ParseConfig(cl.DSN)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: the DSN is not valid", cl.Name)
	}
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(dialCtx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: cannot reach %s:%d: %s", cl.Name, cfg.Host, cfg.Port, pgconnerr.Reason(err))
	}
	return &Cluster{Name: cl.Name, cfg: cl, conn: conn}, nil
}

// Close closes the connection.
func (c *Cluster) Close(ctx context.Context) error { return c.conn.Close(ctx) }

// Exists reports whether the database exists on the cluster.
func (c *Cluster) Exists(ctx context.Context, database string) (bool, error) {
	var ok bool
	err := c.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, database).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return ok, nil
}

// Create creates the database unless it exists. owner, if set, owns it.
// timeZone, the source server's, becomes the database's default so that
// CURRENT_TIMESTAMP defaults of timestamp-without-zone columns mean what
// they meant in MariaDB; an offset like +02:00 is left out, as PostgreSQL
// reads POSIX offsets with the opposite sign.
func (c *Cluster) Create(ctx context.Context, database, owner, timeZone string) (created bool, err error) {
	if exists, err := c.Exists(ctx, database); err != nil || exists {
		return false, err
	}
	defer func() {
		if created && err == nil {
			err = c.setTimeZone(ctx, database, timeZone)
		}
	}()
	sql := "CREATE DATABASE " + pgx.Identifier{database}.Sanitize()
	if owner != "" {
		sql += " OWNER " + pgx.Identifier{owner}.Sanitize()
	}
	if _, err := c.conn.Exec(ctx, sql); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created concurrently
			return false, nil
		}
		return false, fmt.Errorf("cluster %s: creating database %s: %w", c.Name, database, err)
	}
	return true, nil
}

func (c *Cluster) setTimeZone(ctx context.Context, database, tz string) error {
	if tz == "+00:00" || tz == "UTC" || tz == "" {
		tz = "UTC"
	} else if strings.HasPrefix(tz, "+") || strings.HasPrefix(tz, "-") {
		return nil
	}
	sql := "ALTER DATABASE " + pgx.Identifier{database}.Sanitize() + " SET timezone TO '" + strings.ReplaceAll(tz, "'", "''") + "'"
	if _, err := c.conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("cluster %s: setting the time zone of %s to %s: %w", c.Name, database, tz, err)
	}
	return nil
}

// Databases lists the cluster's databases.
func (c *Cluster) Databases(ctx context.Context) ([]string, error) {
	rows, err := c.conn.Query(ctx, `SELECT datname FROM pg_database ORDER BY datname`)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: listing databases: %w", c.Name, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cluster %s: listing databases: %w", c.Name, err)
	}
	return names, nil
}

// markerPrefix starts the marker of every database a migration created.
const markerPrefix = "migrawave run "

// RunMarker is the marker of the databases the workflow run runID creates.
func RunMarker(runID string) string { return markerPrefix + runID }

// IsMigrationMarker says whether a marker is one a migration set.
func IsMigrationMarker(marker string) bool { return strings.HasPrefix(marker, markerPrefix) }

// Marker returns the database's comment, which migrawave sets to the run
// that created it ("" when none or no such database).
func (c *Cluster) Marker(ctx context.Context, database string) (string, error) {
	var m *string
	err := c.conn.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, database).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) || m == nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return *m, nil
}

// SetMarker records which run created the database.
func (c *Cluster) SetMarker(ctx context.Context, database, marker string) error {
	sql := "COMMENT ON DATABASE " + pgx.Identifier{database}.Sanitize() + " IS '" + strings.ReplaceAll(marker, "'", "''") + "'"
	if _, err := c.conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("cluster %s: marking database %s: %w", c.Name, database, err)
	}
	return nil
}

// ForeignDatabaseError is a tenant database a migration finds on its
// cluster and did not create: a migration never adopts a copy it did not
// make.
type ForeignDatabaseError struct{ Database, Cluster string }

// Final says that retrying cannot help (see package retry).
func (e *ForeignDatabaseError) Final() bool { return true }

func (e *ForeignDatabaseError) Error() string {
	return fmt.Sprintf("database %s already exists on cluster %s and this migration did not create it: drop it, or migrate the tenant to another cluster", e.Database, e.Cluster)
}

// Claim says whether the run that marks its databases with marker may use
// database: false when it does not exist yet (create it, then SetMarker),
// true when it is the run's own, or empty and unmarked (a crash between
// CREATE DATABASE and its marker; taking that over loses nothing, and it is
// marked now). Any other database is a *ForeignDatabaseError.
func (c *Cluster) Claim(ctx context.Context, database, marker string) (bool, error) {
	exists, err := c.Exists(ctx, database)
	if err != nil || !exists {
		return false, err
	}
	found, err := c.Marker(ctx, database)
	if err != nil {
		return false, err
	}
	if found == "" {
		empty, err := c.isEmpty(ctx, database)
		if err != nil {
			return false, err
		}
		if empty {
			return true, c.SetMarker(ctx, database, marker)
		}
	}
	if found != marker {
		return false, &ForeignDatabaseError{Database: database, Cluster: c.Name}
	}
	return true, nil
}

// isEmpty reports whether a database holds no table at all.
func (c *Cluster) isEmpty(ctx context.Context, database string) (bool, error) {
	pool, err := Open(ctx, c.cfg, database, 1)
	if err != nil {
		return false, err
	}
	defer pool.Close()
	var tables int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables)
	if err != nil {
		return false, fmt.Errorf("cluster %s: reading database %s: %w", c.Name, database, err)
	}
	return tables == 0, nil
}

// Drop drops the database if it exists, closing its connections.
func (c *Cluster) Drop(ctx context.Context, database string) error {
	if _, err := c.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{database}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("cluster %s: dropping database %s: %w", c.Name, database, err)
	}
	return nil
}

// Open connects a pool to a tenant database on the cluster. With an owner
// role configured, sessions act as that role, so every table, index and
// sequence the copy creates belongs to the application's role.
func Open(ctx context.Context, cl config.Cluster, database string, maxConns int32) (*pgxpool.Pool, error) {
	u, err := url.Parse(cl.DSN)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: the DSN is not valid", cl.Name)
	}
	u.Path = "/" + database
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("cluster %s: the DSN is not valid", cl.Name)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.DialFunc = bufconn.Dial
	if cl.Owner != "" {
		setRole := "SET ROLE " + pgx.Identifier{cl.Owner}.Sanitize()
		cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, setRole)
			return err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name
			return nil, &NoDatabaseError{Cluster: cl.Name, Database: database}
		}
		return nil, fmt.Errorf("cluster %s: cannot open database %s on %s:%d: %s", cl.Name, database, cfg.ConnConfig.Host, cfg.ConnConfig.Port, pgconnerr.Reason(err))
	}
	return pool, nil
}

// NoDatabaseError is Open's error for a database the cluster does not have.
type NoDatabaseError struct{ Cluster, Database string }

func (e *NoDatabaseError) Error() string {
	return fmt.Sprintf("cluster %s has no database %s", e.Cluster, e.Database)
}
