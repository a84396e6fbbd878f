package bulkcopy_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/internal/transfer"
)

// fixture is a source database of its own and a target cluster for one test.
type fixture struct {
	t   *testing.T
	cfg *config.Config
	src *sql.DB
}

const clusterName = "pg-c"

func newFixture(t *testing.T, ddl ...string) *fixture {
	t.Helper()
	cfg := testenv.Config(t)
	cfg.Source.DSN = testenv.MariaDBDatabase(t, cfg.Source.DSN)
	cfg.Source.Tables = map[string]config.Table{}
	cfg.Migration.DatabaseTemplate = fmt.Sprintf("test%d_{tenant}", time.Now().UnixNano()%1e9)
	db, _, err := source.Open(context.Background(), cfg.Source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, cfg: cfg, src: db}
	f.exec("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
	for _, s := range ddl {
		f.exec(s)
	}
	t.Cleanup(f.dropTargets)
	return f
}

// exec runs statements on the source in one session (sql_mode included).
func (f *fixture) exec(stmts ...string) {
	f.t.Helper()
	ctx := context.Background()
	conn, err := f.src.Conn(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'"); err != nil {
		f.t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			f.t.Fatalf("source: %v\n%s", err, s)
		}
	}
}

func (f *fixture) open(tenant string) *transfer.Transfer {
	f.t.Helper()
	tr, err := transfer.Open(context.Background(), f.cfg, tenant, clusterName, true)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(tr.Close)
	return tr
}

func (f *fixture) dropTargets() {
	cl, _ := f.cfg.Cluster(clusterName)
	ctx := context.Background()
	conn, err := target.ConnectCluster(ctx, cl)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	prefix := strings.TrimSuffix(f.cfg.Migration.DatabaseTemplate, "{tenant}")
	pg, err := pgx.Connect(ctx, cl.DSN)
	if err != nil {
		return
	}
	defer pg.Close(ctx)
	rows, err := pg.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		_ = conn.Drop(ctx, n)
	}
}

// query returns one value from the tenant's target database as text.
func queryText(t *testing.T, tr *transfer.Transfer, sql string, args ...any) string {
	t.Helper()
	var s *string
	if err := tr.Target.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("target: %v\n%s", err, sql)
	}
	if s == nil {
		return "NULL"
	}
	return *s
}

// sourceChecksum sums every table of the source, to prove it untouched.
func (f *fixture) sourceChecksum() string {
	f.t.Helper()
	rows, err := f.src.Query("SHOW TABLES")
	if err != nil {
		f.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, source.QuoteIdent(n))
	}
	rows.Close()
	var out []string
	for _, t := range tables {
		var name string
		var sum sql.NullInt64
		if err := f.src.QueryRow("CHECKSUM TABLE "+t).Scan(&name, &sum); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", name, sum.Int64))
	}
	return strings.Join(out, ",")
}
