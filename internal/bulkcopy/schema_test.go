package bulkcopy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/testenv/tenantfixture"
	"github.com/migrawave/migrawave/internal/transfer"
	"github.com/migrawave/migrawave/internal/verify"
)

// A CHECK constraint MariaDB enforces is enforced by the tenant database
// too; one that cannot be translated stops the copy by name until the
// config skips it.
func TestCheckConstraintsRefuseInPostgreSQLWhatTheyRefuseInMariaDB(t *testing.T) {
	f := tenantfixture.New(t, `CREATE TABLE employees (
		id int PRIMARY KEY, tenant_id varchar(64) NOT NULL,
		salary decimal(10,2), active tinyint(1) NOT NULL DEFAULT 1,
		grade int CHECK (grade >= 0),
		CONSTRAINT chk_salary_positive CHECK (salary > 0),
		CONSTRAINT chk_active CHECK (active IN (0, 1))) ENGINE=InnoDB`)
	f.Exec(`INSERT INTO employees VALUES (1, 'acme', 1000, 1, 3)`)
	refused := map[string]string{
		"salary": `(2, 'acme', -5, 1, 3)`,
		"grade":  `(3, 'acme', 10, 1, -1)`,
		"active": `(4, 'acme', 10, 2, 1)`,
	}
	for what, row := range refused {
		if _, err := f.Src.Exec(`INSERT INTO employees VALUES ` + row); err == nil || !strings.Contains(err.Error(), "CONSTRAINT") {
			t.Fatalf("MariaDB took a row breaking the %s check: %v", what, err)
		}
	}

	tr := f.Open("acme")
	if _, err := tr.Copier().Run(context.Background(), bulkcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	// The same rows in PostgreSQL's spelling; active is boolean there, which
	// takes no 2, and its check (active IN (0, 1)) is created all the same.
	inTarget := map[string]struct{ row, check string }{
		"salary": {`(2, 'acme', -5, true, 3)`, "employees_chk_salary_positive"},
		"grade":  {`(3, 'acme', 10, true, -1)`, "employees_grade_check"},
	}
	for what, c := range inTarget {
		_, err := tr.Target.Exec(context.Background(), `INSERT INTO employees VALUES `+c.row)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23514" || pe.ConstraintName != c.check {
			t.Errorf("PostgreSQL on the row MariaDB refused for its %s check: %v; want a violation of %s", what, err, c.check)
		}
	}
	if got := tenantfixture.QueryText(t, tr, `SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype = 'c' AND conrelid = 'employees'::regclass`); got != "employees_chk_active,employees_chk_salary_positive,employees_grade_check" {
		t.Errorf("checks in the tenant database: %s", got)
	}
	if _, err := tr.Target.Exec(context.Background(), `INSERT INTO employees VALUES (5, 'acme', 10, true, 0)`); err != nil {
		t.Errorf("a row both accept: %v", err)
	}

	f.Exec(`ALTER TABLE employees ADD CONSTRAINT chk_code CHECK (tenant_id REGEXP '^[a-z]+$')`)
	_, err := transfer.Open(context.Background(), f.Cfg, "acme", tenantfixture.Cluster, false)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "check chk_code") ||
		!strings.Contains(err.Error(), "source.tables.employees.skip_checks: [chk_code]") {
		t.Fatalf("an untranslatable check: %v; want one line naming it and skip_checks", err)
	}
	f.Cfg.Source.Tables["employees"] = config.Table{SkipChecks: []string{"chk_code"}}
	tr = f.Open("acme")
	tbl, _ := tr.Schema.Table("employees")
	if !slicesContainsPrefix(tbl.Notes, "warning: check chk_code") || len(tbl.Checks) != 3 {
		t.Errorf("skipped check: notes %q, checks %+v; want a warning and the other three", tbl.Notes, tbl.Checks)
	}
	f.Cfg.Source.Tables["employees"] = config.Table{SkipChecks: []string{"chk_nope"}}
	if _, err := transfer.Open(context.Background(), f.Cfg, "acme", tenantfixture.Cluster, false); err == nil ||
		!strings.Contains(err.Error(), `source.tables.employees.skip_checks: employees has no check named "chk_nope"`) {
		t.Errorf("skipping a check that is not there: %v", err)
	}
}

func slicesContainsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// A small tenant's tables built around its rows (BuildEmpty, the copy,
// BuildRest: what a migration does while the tenant is frozen) end as
// those the copy builds after its rows: the same indexes, valid
// constraints, triggers and next identity, and the same rows.
func TestBuildingAroundTheRowsEndsAsBuildingAfterThem(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 30, "globex": 5})
	f.Exec(`ALTER TABLE invoices ADD COLUMN changed_at timestamp NOT NULL DEFAULT current_timestamp ON UPDATE current_timestamp,
		ADD CONSTRAINT chk_number CHECK (number <> '')`)
	ctx := context.Background()
	builds := []struct {
		name  string
		build func(c *bulkcopy.Copier) error
	}{
		{"after the rows", func(c *bulkcopy.Copier) error {
			_, err := c.Run(ctx, bulkcopy.Options{ChunkRows: 7})
			return err
		}},
		{"around the rows", func(c *bulkcopy.Copier) error {
			if err := c.CreateTables(ctx); err != nil {
				return err
			}
			if err := c.BuildEmpty(ctx); err != nil {
				return err
			}
			if _, err := c.CopyData(ctx, bulkcopy.Options{ChunkRows: 7, Resume: true}); err != nil {
				return err
			}
			return c.BuildRest(ctx)
		}},
	}
	var first string
	for _, b := range builds {
		tr := f.Open("acme")
		if err := b.build(tr.Copier()); err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if vr, err := tr.Verifier().Run(ctx, verify.Options{}); err != nil || !vr.Match {
			t.Fatalf("%s: verify %+v, %v", b.name, vr, err)
		}
		got := tenantfixture.QueryText(t, tr, `SELECT string_agg(x, E'\n' ORDER BY x) FROM (
			SELECT indexdef AS x FROM pg_indexes WHERE schemaname = 'public'
			UNION ALL SELECT format('%s %s %s valid %s', conrelid::regclass, conname, pg_get_constraintdef(oid), convalidated)
				FROM pg_constraint WHERE connamespace = 'public'::regnamespace
			UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
			UNION ALL SELECT 'next invoice id ' || nextval(pg_get_serial_sequence('invoices', 'id'))) s`)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("built %s:\n%s\nbuilt %s:\n%s", builds[0].name, first, b.name, got)
		}
		if !strings.Contains(got, "next invoice id 31") || !strings.Contains(got, "invoices_chk_number") || !strings.Contains(got, "BEFORE UPDATE ON public.invoices") {
			t.Errorf("built %s: %s", b.name, got)
		}
		tr.Close()
		cl, _ := f.Cfg.Cluster(tenantfixture.Cluster)
		conn, err := target.ConnectCluster(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Drop(ctx, tr.Database); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
	}
}
