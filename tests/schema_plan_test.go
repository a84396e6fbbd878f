package tests

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/testenv"
)

// schema plan on the demo source, with an object of every kind added,
// accounts for every table, column, index, check, foreign key and other
// object information_schema lists, and refuses what it cannot convert.
func TestSchemaPlanAccountsForEveryObjectOfTheSource(t *testing.T) {
	cfg, _, _ := ownStack(t, "plan")
	tenants := ownTenants(t, cfg, "", 2)
	conf := testenv.WriteConfig(t, cfg)
	cli(t, conf, "demo", "seed", "--tenants", "2", "--scale", "0.05")
	ctx := context.Background()
	db, _, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`CREATE VIEW open_invoices AS SELECT * FROM invoices WHERE status = 'open'`,
		`CREATE SEQUENCE ticket_numbers`,
		`CREATE TRIGGER deals_touch BEFORE UPDATE ON deals FOR EACH ROW SET NEW.title = TRIM(NEW.title)`,
		`CREATE TRIGGER settings_audit AFTER INSERT ON settings FOR EACH ROW SET @n = 1`,
		`CREATE EVENT purge_log ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM activity_log WHERE occurred_at < '2000-01-01'`,
		`CREATE PROCEDURE close_month() SELECT 1`,
		`CREATE FUNCTION vat(x decimal(10,2)) RETURNS decimal(10,2) DETERMINISTIC RETURN x * 0.2`,
		`ALTER TABLE payments ADD CONSTRAINT chk_amount CHECK (amount <> 0)`,
		`ALTER TABLE deals ADD CONSTRAINT chk_title CHECK (title REGEXP '.')`,
		`ALTER TABLE contacts ADD FULLTEXT INDEX ft_notes (notes)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	out, err := exec.Command(migrawave, "--config", conf, "schema", "plan", "--output", "json").Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(exit.Stderr), "1 table(s) refused: deals") {
		t.Fatalf("an untranslatable check: %v; want exit 3 naming deals", err)
	}
	var rep schema.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	deals := tableReport(t, &rep, "deals")
	if deals.Status != schema.StatusRefused || len(deals.Refused) != 1 || !strings.Contains(deals.Refused[0], "skip_checks: [chk_title]") {
		t.Fatalf("deals: %+v; want refused for chk_title", deals)
	}

	cfg.Source.Tables["deals"] = config.Table{SkipChecks: []string{"chk_title"}}
	conf = testenv.WriteConfig(t, cfg)
	rep = schema.Report{}
	cliJSON(t, conf, &rep, "schema", "plan", "--tenant", tenants[0])

	want := func(query string) []string {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		names, err := collect(rows)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	var tables, objects []string
	for _, tr := range rep.Tables {
		tables = append(tables, tr.Source)
		if tr.Status == schema.StatusRefused {
			t.Errorf("%s refused: %v", tr.Source, tr.Refused)
		}
	}
	for _, o := range rep.Objects {
		objects = append(objects, o.Kind+" "+o.Name)
		if o.Outcome == "" {
			t.Errorf("%s %s: no outcome", o.Kind, o.Name)
		}
	}
	same(t, "tables", tables, want(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`))
	same(t, "other objects", objects, want(`SELECT * FROM (
		SELECT CONCAT(LOWER(REPLACE(TABLE_TYPE, 'SYSTEM ', '')), ' ', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('VIEW', 'SEQUENCE')
		UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
		UNION ALL SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()
		UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()) o ORDER BY 1`))

	for _, tr := range rep.Tables {
		if tr.Status != schema.StatusCopied {
			continue
		}
		if tr.TenantRows == nil || len(tr.Key) == 0 {
			t.Errorf("%s: tenant rows %v, key %v", tr.Source, tr.TenantRows, tr.Key)
		}
		var cols []string
		for _, c := range tr.Columns {
			cols = append(cols, c.Source)
		}
		same(t, tr.Source+" columns", cols, want(`SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '`+tr.Source+`' ORDER BY ORDINAL_POSITION`))
		for what, list := range map[string][]schema.ObjectOutcome{"indexes": tr.Indexes, "checks": tr.Checks, "foreign keys": tr.ForeignKeys} {
			for _, o := range list {
				if (o.Target == "") == (o.Skipped == "") {
					t.Errorf("%s %s %s: target %q, skipped %q; want one of them", tr.Source, what, o.Source, o.Target, o.Skipped)
				}
			}
		}
		same(t, tr.Source+" indexes", sources(tr.Indexes), want(`SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '`+tr.Source+`' AND INDEX_NAME <> 'PRIMARY' ORDER BY 1`))
		same(t, tr.Source+" checks", sources(tr.Checks), want(`SELECT CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = '`+tr.Source+`' AND CHECK_CLAUSE NOT LIKE 'json_valid(%' ORDER BY 1`))
		same(t, tr.Source+" foreign keys", sources(tr.ForeignKeys), want(`SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = '`+tr.Source+`' ORDER BY 1`))
	}
	if ix := tableReport(t, &rep, "contacts").Indexes; !slices.Contains(ix, schema.ObjectOutcome{Source: "ft_notes", Skipped: "FULLTEXT index: PostgreSQL has no equivalent here"}) {
		t.Errorf("contacts indexes: %+v; want ft_notes skipped", ix)
	}
	if ck := tableReport(t, &rep, "payments").Checks; len(ck) != 1 || ck[0].Target != "payments_chk_amount" {
		t.Errorf("payments checks: %+v", ck)
	}
	ddl := strings.Join(rep.DDL, ";\n")
	if !strings.Contains(ddl, `ADD CONSTRAINT "payments_chk_amount" CHECK ("amount" <> 0)`) || strings.Contains(ddl, "chk_title") {
		t.Errorf("DDL: the translated check is missing, or the skipped one is there:\n%s", ddl)
	}
	for _, w := range []string{"deals: check chk_title", "deals: trigger deals_touch", "view open_invoices", "trigger settings_audit", "event purge_log", "procedure close_month"} {
		if !slices.ContainsFunc(rep.Warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("no warning starting %q in %q", w, rep.Warnings)
		}
	}
}

func tableReport(t *testing.T, rep *schema.Report, name string) schema.TableReport {
	t.Helper()
	for _, tr := range rep.Tables {
		if tr.Source == name {
			return tr
		}
	}
	t.Fatalf("no table %s in the plan", name)
	return schema.TableReport{}
}

func sources(list []schema.ObjectOutcome) []string {
	var out []string
	for _, o := range list {
		out = append(out, o.Source)
	}
	return out
}

func collect(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// same compares two lists of names as sets (MariaDB's collation and Go
// sort them differently).
func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: plan lists %q; information_schema %q", what, got, want)
	}
}
