// Package source reads tenants out of the central shared MariaDB database.
package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migrawave/migrawave/internal/bufconn"
)

// Option changes how Open connects.
type Option func(*mysql.Config)

// ClientSideParams has the driver put the arguments into each statement
// itself (escaped for the connection's character set) instead of preparing,
// executing and closing a server-side statement: one round trip per
// statement instead of three. For an application's many small
// transactions, not for the engines' reads, which keep the server's
// binary protocol.
func ClientSideParams(c *mysql.Config) { c.InterpolateParams = true }

// Open connects to the source database named in dsn and checks that it
// answers. Errors name the address and database, never the password.
func Open(ctx context.Context, dsn string, opts ...Option) (*sql.DB, string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, "", errors.New("source: source.dsn is not a valid MariaDB DSN (user:pass@tcp(host:3306)/db)")
	}
	if cfg.DBName == "" {
		return nil, "", errors.New("source: source.dsn names no database")
	}
	// Values are read as the server sends them: zero dates and the server's
	// time zone are ours to interpret, not the driver's.
	cfg.ParseTime = false
	cfg.InterpolateParams = false
	cfg.MultiStatements = false
	cfg.DialFunc = bufconn.Dial
	// TIMESTAMP values come back in UTC, unambiguous across DST changes.
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	for _, o := range opts {
		o(cfg)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("source: %w", err)
	}
	db := sql.OpenDB(connector)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("source: cannot reach MariaDB at %s (database %s): %s", cfg.Addr, cfg.DBName, reason(err))
	}
	return db, cfg.DBName, nil
}

func reason(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return fmt.Sprintf("error %d: %s", me.Number, me.Message)
	}
	return err.Error()
}
