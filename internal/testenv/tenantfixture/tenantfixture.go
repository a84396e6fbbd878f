// Package tenantfixture gives a data-engine test a source database of its
// own, filled by the test's DDL, and the tenant databases it copies into on
// one cluster, dropped when the test ends. The copy and verify tests share it.
package tenantfixture

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

// Fixture is a source database of its own and a target cluster for one test.
type Fixture struct {
	t *testing.T
	// Cfg points at the fixture's source; tests may add table overrides.
	Cfg *config.Config
	Src *sql.DB
}

// Cluster is where the fixture's tenant databases go.
const Cluster = "pg-c"

// New creates the fixture's source database and runs ddl in it.
func New(t *testing.T, ddl ...string) *Fixture {
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
	f := &Fixture{t: t, Cfg: cfg, Src: db}
	f.Exec("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
	for _, s := range ddl {
		f.Exec(s)
	}
	t.Cleanup(f.dropTargets)
	return f
}

// Exec runs statements on the source in one session (sql_mode included).
func (f *Fixture) Exec(stmts ...string) {
	f.t.Helper()
	ctx := context.Background()
	conn, err := f.Src.Conn(ctx)
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

// Open opens (creating) the tenant's transfer to the fixture's cluster.
func (f *Fixture) Open(tenant string) *transfer.Transfer {
	f.t.Helper()
	tr, err := transfer.Open(context.Background(), f.Cfg, tenant, Cluster, true)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(tr.Close)
	return tr
}

func (f *Fixture) dropTargets() {
	cl, _ := f.Cfg.Cluster(Cluster)
	ctx := context.Background()
	conn, err := target.ConnectCluster(ctx, cl)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	prefix := strings.TrimSuffix(f.Cfg.Migration.DatabaseTemplate, "{tenant}")
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

// QueryText returns one value from the tenant's target database as text.
func QueryText(t *testing.T, tr *transfer.Transfer, sql string, args ...any) string {
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

// SourceChecksum sums every table of the source, to prove it untouched.
func (f *Fixture) SourceChecksum() string {
	f.t.Helper()
	rows, err := f.Src.Query("SHOW TABLES")
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
		if err := f.Src.QueryRow("CHECKSUM TABLE "+t).Scan(&name, &sum); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", name, sum.Int64))
	}
	return strings.Join(out, ",")
}

// An invoicing schema: lines are owned through invoices (no tenant column,
// composite key), and notes through lines — two hops.
var invoicingDDL = []string{
	`CREATE TABLE invoices (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, tenant_id varchar(64) NOT NULL,
		number varchar(20) NOT NULL, KEY (tenant_id)) ENGINE=InnoDB`,
	`CREATE TABLE invoice_lines (invoice_id int unsigned NOT NULL, position smallint unsigned NOT NULL, amount decimal(10,2) NOT NULL,
		PRIMARY KEY (invoice_id, position), CONSTRAINT fk_lines_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)) ENGINE=InnoDB`,
	`CREATE TABLE line_notes (id int NOT NULL PRIMARY KEY, invoice_id int unsigned NOT NULL, position smallint unsigned NOT NULL, note text,
		CONSTRAINT fk_notes_line FOREIGN KEY (invoice_id, position) REFERENCES invoice_lines (invoice_id, position)) ENGINE=InnoDB`,
	`CREATE TABLE countries (code char(2) PRIMARY KEY, name varchar(50)) ENGINE=InnoDB`,
}

// seedInvoicing gives each tenant n invoices of 3 lines, each line a note.
func seedInvoicing(f *Fixture, tenants map[string]int) {
	id := 0
	var inv, lines, notes []string
	for _, tenant := range []string{"acme", "globex", "initech"} {
		for i := 0; i < tenants[tenant]; i++ {
			id++
			inv = append(inv, fmt.Sprintf("(%d, '%s', 'INV-%d')", id, tenant, id))
			for p := 1; p <= 3; p++ {
				lines = append(lines, fmt.Sprintf("(%d, %d, %d.%02d)", id, p, id, p))
				notes = append(notes, fmt.Sprintf("(%d, %d, %d, 'note %d/%d')", id*10+p, id, p, id, p))
			}
		}
	}
	f.Exec("INSERT INTO countries VALUES ('de', 'Germany'), ('fr', 'France')")
	f.Exec("INSERT INTO invoices VALUES " + strings.Join(inv, ","))
	f.Exec("INSERT INTO invoice_lines VALUES " + strings.Join(lines, ","))
	f.Exec("INSERT INTO line_notes VALUES " + strings.Join(notes, ","))
}

// Invoicing is a fixture with the invoicing schema, its countries global,
// and tenants (acme, globex, initech) with as many invoices as given.
func Invoicing(t *testing.T, tenants map[string]int) *Fixture {
	f := New(t, invoicingDDL...)
	f.Cfg.Source.Tables["countries"] = config.Table{Global: true}
	seedInvoicing(f, tenants)
	return f
}
