package bulkcopy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv/tenantfixture"
	"github.com/migrawave/migrawave/internal/transfer"
	"github.com/migrawave/migrawave/internal/verify"
)

func TestOwnedAndCompositeKeyTablesCopyOnlyTheTenant(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 5, "globex": 7, "initech": 2})
	tr := f.Open("globex")
	rep, err := tr.Copier().Run(context.Background(), bulkcopy.Options{ChunkRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]string{"invoices": "7", "invoice_lines": "21", "line_notes": "21"} {
		if got := tenantfixture.QueryText(t, tr, "SELECT count(*)::text FROM "+table); got != want {
			t.Errorf("%s: %s rows, want globex's %s", table, got, want)
		}
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT count(*)::text FROM invoices WHERE tenant_id <> 'globex'"); got != "0" {
		t.Errorf("%s invoices of other tenants copied", got)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT to_regclass('countries')::text"); got != "NULL" {
		t.Error("the global table countries was copied per tenant")
	}
	if rep.Rows != 49 {
		t.Errorf("report: %d rows, want 49", rep.Rows)
	}
	// Vacuumed and analyzed: pages set all-visible, the planner knows the rows.
	// (How many pages hold them depends on how the concurrent COPYs extended
	// the table.)
	for table, rows := range map[string]string{"invoices": "7", "invoice_lines": "21", "line_notes": "21"} {
		got := tenantfixture.QueryText(t, tr, `SELECT format('vacuumed %s, analyzed %s, all-visible pages %s, %s rows',
				s.vacuum_count > 0, s.analyze_count > 0, c.relallvisible > 0, c.reltuples)
			FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = $1`, table)
		if want := "vacuumed t, analyzed t, all-visible pages t, " + rows + " rows"; got != want {
			t.Errorf("%s after the copy: %s, want %s", table, got, want)
		}
	}
	vr, err := tr.Verifier().Run(context.Background(), verify.Options{ChunkRows: 5})
	if err != nil || !vr.Match {
		t.Fatalf("verify: %+v, %v", vr, err)
	}
}

func TestInterruptedCopyResumesWithExactlyTheSourceRows(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 400, "globex": 10})
	tr := f.Open("acme")
	ctx, cancel := context.WithCancel(context.Background())
	chunks := 0
	// Two at once: invoices and its lines are copied in four key ranges each
	// (twice the connections).
	var mu sync.Mutex
	_, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: 50, Parallelism: 2, Progress: func(p bulkcopy.Progress) {
		mu.Lock()
		defer mu.Unlock()
		chunks++
		if chunks == 7 { // mid-table: the next chunks are in flight when the copy dies
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy returned %v", err)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT string_agg(table_name || ':' || n, ' ' ORDER BY table_name) FROM (SELECT table_name, count(*) AS n FROM migrawave_copy.checkpoints GROUP BY 1) p"); got != "invoice_lines:4 invoices:4 line_notes:1" {
		// line_notes hangs off a composite key, which is not split.
		t.Errorf("parts per table: %s; want invoices and its lines split in four", got)
	}
	if _, err := tr.Copier().Run(context.Background(), bulkcopy.Options{ChunkRows: 50}); !errors.Is(err, bulkcopy.ErrAlreadyCopied) {
		t.Fatalf("a second copy without resume = %v; want ErrAlreadyCopied", err)
	}
	rep, err := tr.Copier().Run(context.Background(), bulkcopy.Options{ChunkRows: 50, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	resumed := false
	for _, tt := range rep.Tables {
		resumed = resumed || tt.Resumed
	}
	if !resumed {
		t.Error("the report does not say the copy was resumed")
	}
	for table, want := range map[string]string{"invoices": "400", "invoice_lines": "1200", "line_notes": "1200"} {
		if got := tenantfixture.QueryText(t, tr, "SELECT count(*)::text FROM "+table); got != want {
			t.Errorf("%s: %s rows after resume, want %s", table, got, want)
		}
	}
	vr, err := tr.Verifier().Run(context.Background(), verify.Options{})
	if err != nil || !vr.Match {
		t.Fatalf("verify after resume: %s, %v", vr.Summary(), err)
	}
}

// Two copies resuming the same tenant at once — as when a COMMIT that a
// killed copy sent lands after its retry has read the checkpoints, or when
// two workers run the same copy — never both commit a chunk: each chunk
// commits only if its part's checkpoint has not moved, and the copy that
// loses goes on after the other's chunk.
func TestResumesRacingEachOtherCopyEveryRowOnce(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 400})
	tr := f.Open("acme")
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err := tr.Copier().CopyData(ctx, bulkcopy.Options{ChunkRows: 20, Parallelism: 2, Progress: func(bulkcopy.Progress) { once.Do(cancel) }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy returned %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = tr.Copier().CopyData(context.Background(), bulkcopy.Options{ChunkRows: 20, Parallelism: 2, Resume: true})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]string{"invoices": "400 rows, 400 keys", "invoice_lines": "1200 rows, 1200 keys", "line_notes": "1200 rows, 1200 keys"} {
		key := map[string]string{"invoices": "id", "invoice_lines": "(invoice_id, position)", "line_notes": "id"}[table]
		if got := tenantfixture.QueryText(t, tr, "SELECT count(*) || ' rows, ' || count(DISTINCT "+key+") || ' keys' FROM "+table); got != want {
			t.Errorf("%s after two resumes at once: %s, want %s", table, got, want)
		}
	}
	if err := tr.Copier().BuildAfterData(context.Background(), bulkcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	if vr, err := tr.Verifier().Run(context.Background(), verify.Options{}); err != nil || !vr.Match {
		t.Fatalf("verify: %s, %v", vr.Summary(), err)
	}
}

// A key led by the tenant column, (tenant_id, id), is split on id: the
// table's rows are copied and verified in several ranges at once, exactly
// the tenant's, and a difference is still named by its whole key.
func TestKeyLedByTheTenantColumnIsSplit(t *testing.T) {
	f := tenantfixture.New(t, `CREATE TABLE visits (tenant_id varchar(64) NOT NULL, id int unsigned NOT NULL, page varchar(20) NOT NULL,
		PRIMARY KEY (tenant_id, id)) ENGINE=InnoDB`)
	var rows []string
	for id := 1; id <= 200; id++ {
		rows = append(rows, fmt.Sprintf("('acme', %d, 'p%d')", id, id))
		if id%4 == 0 {
			rows = append(rows, fmt.Sprintf("('globex', %d, 'g%d')", id, id))
		}
	}
	f.Exec("INSERT INTO visits VALUES " + strings.Join(rows, ","))
	tr := f.Open("acme")
	ctx := context.Background()
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: 10, Parallelism: 2}); err != nil {
		t.Fatal(err)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT count(*)::text FROM migrawave_copy.checkpoints WHERE table_name = 'visits'"); got != "4" {
		t.Errorf("visits copied in %s ranges, want 4 (twice the connections)", got)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE tenant_id <> 'acme') || ' of others, ' || count(DISTINCT id) || ' ids' FROM visits"); got != "200 rows, 0 of others, 200 ids" {
		t.Errorf("visits: %s; want acme's 200 rows", got)
	}
	vr, err := tr.Verifier().Run(ctx, verify.Options{ChunkRows: 10, Parallelism: 2})
	if err != nil || !vr.Match || vr.Tables[0].Chunks < 20 {
		t.Fatalf("verify: %s, %d chunks, %v", vr.Summary(), vr.Tables[0].Chunks, err)
	}
	if _, err := tr.Target.Exec(ctx, "UPDATE visits SET page = 'changed' WHERE id = 123"); err != nil {
		t.Fatal(err)
	}
	vr, err = tr.Verifier().Run(ctx, verify.Options{ChunkRows: 10, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(vr.Tables[0].Different, " "); vr.Match || got != "(tenant_id=acme, id=123)" {
		t.Errorf("after changing a row: match %v, different %q; want (tenant_id=acme, id=123)", vr.Match, got)
	}
}

// A copy interrupted under an older migrawave left checkpoints without key
// ranges: resuming it is refused in so many words, and nothing is copied.
func TestCheckpointsOfAnOlderCopyAreRefused(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 3})
	tr := f.Open("acme")
	ctx := context.Background()
	for _, sql := range []string{
		"CREATE SCHEMA migrawave_copy",
		"CREATE TABLE migrawave_copy.checkpoints (table_name text PRIMARY KEY, last_key bytea[], rows bigint NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false)",
		"INSERT INTO migrawave_copy.checkpoints VALUES ('invoices', '{\\x31}', 1, false)",
	} {
		if _, err := tr.Target.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	_, err := tr.Copier().Run(ctx, bulkcopy.Options{Resume: true})
	if !errors.Is(err, bulkcopy.ErrOldCheckpoints) {
		t.Fatalf("resuming an older copy = %v; want ErrOldCheckpoints", err)
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT (SELECT count(*) FROM invoices) + (SELECT count(*) FROM invoice_lines)"); got != "0" {
		t.Errorf("%s rows copied despite the refusal", got)
	}
}

func TestBadInputIsOneClearErrorAndChangesNothing(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 3})
	before := f.SourceChecksum()
	open := func(tenant string, cfg *config.Config) error {
		tr, err := transfer.Open(context.Background(), cfg, tenant, tenantfixture.Cluster, true)
		if err == nil {
			tr.Close()
		}
		return err
	}
	cases := []struct {
		name, tenant, want string
		cfg                func() *config.Config
	}{
		{"unknown tenant", "nobody", `unknown tenant "nobody"`, nil},
		{"SQL-looking tenant", "1; DROP TABLE invoices", `invalid tenant id "1; DROP TABLE invoices"`, nil},
		{"unknown cluster", "acme", `unknown cluster "pg-c" (configured: pg-a, pg-b, pg-z)`, func() *config.Config {
			c := *f.Cfg
			c.Clusters = append([]config.Cluster(nil), f.Cfg.Clusters...)
			c.Clusters[2].Name = "pg-z"
			return &c
		}},
		{"unreachable cluster", "acme", "cluster pg-c: cannot reach 127.0.0.1:1", func() *config.Config {
			c := *f.Cfg
			c.Clusters = append([]config.Cluster(nil), f.Cfg.Clusters...)
			c.Clusters[2].DSN = "postgres://postgres:secret@127.0.0.1:1/postgres"
			return &c
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := f.Cfg
			if c.cfg != nil {
				cfg = c.cfg()
			}
			err := open(c.tenant, cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "secret") {
				t.Fatalf("error = %v; want one line containing %q, no password", err, c.want)
			}
		})
	}

	if after := f.SourceChecksum(); after != before {
		t.Errorf("the source changed:\n%s\n%s", before, after)
	}

	f.Exec(`CREATE TABLE audit_trail (tenant_id varchar(64) NOT NULL, what text)`)
	before = f.SourceChecksum()
	err := open("acme", f.Cfg)
	if err == nil || !strings.Contains(err.Error(), "audit_trail have no primary key and no unique key") {
		t.Fatalf("keyless table: %v", err)
	}
	f.Cfg.Source.Tables["audit_trail"] = config.Table{Key: []string{"tenant_id", "what"}}
	if err := open("acme", f.Cfg); err != nil {
		t.Fatalf("keyless table with a configured key: %v", err)
	}

	if after := f.SourceChecksum(); after != before {
		t.Errorf("the source changed:\n%s\n%s", before, after)
	}
}

func TestRowsThePostgresTargetCannotTakeNameTableAndKey(t *testing.T) {
	f := tenantfixture.New(t,
		`CREATE TABLE docs (id int PRIMARY KEY, tenant_id varchar(64) NOT NULL, title varchar(50), meta longtext) ENGINE=InnoDB`,
		`CREATE TABLE big_ids (id bigint unsigned PRIMARY KEY, tenant_id varchar(64) NOT NULL) ENGINE=InnoDB`,
	)
	f.Exec(`INSERT INTO docs VALUES (1, 'acme', 'fine', '{}'), (2, 'acme', CONCAT('bad', CHAR(0)), '{}')`)
	tr := f.Open("acme")
	_, err := tr.Copier().Run(context.Background(), bulkcopy.Options{Tables: []string{"docs"}})
	var de *bulkcopy.DataError
	if !errors.As(err, &de) || de.Table != "docs" || de.Key != "(id=2)" || !strings.Contains(err.Error(), "NUL byte") {
		t.Fatalf("NUL byte: %v", err)
	}

	f.Exec(`UPDATE docs SET title = 'fixed', meta = '{"unterminated' WHERE id = 2`)
	f.Cfg.Source.Tables["docs"] = config.Table{Columns: map[string]config.Column{"meta": {Type: "jsonb"}}}
	tr = f.Open("acme")
	_, err = tr.Copier().Run(context.Background(), bulkcopy.Options{Tables: []string{"docs"}, Resume: true})
	if !errors.As(err, &de) || de.Table != "docs" || de.Key != "(id=2)" || !strings.Contains(err.Error(), "invalid JSON") {
		t.Fatalf("invalid JSON: %v", err)
	}

	f.Exec(`INSERT INTO big_ids VALUES (18446744073709551615, 'acme')`)
	tr = f.Open("acme")
	_, err = tr.Copier().Run(context.Background(), bulkcopy.Options{Tables: []string{"big_ids"}, Resume: true})
	if !errors.As(err, &de) || de.Key != "(id=18446744073709551615)" || !strings.Contains(err.Error(), "does not fit PostgreSQL's bigint") {
		t.Fatalf("unsigned key past 2^63-1: %v", err)
	}
}

// A table whose name has a hyphen, a space, a dot and capitals, and no key,
// is refused until the config names its key, then copies and verifies.
func TestKeylessTableWithAnOddNameCopiesOnceItsKeyIsNamed(t *testing.T) {
	const table = "Utilisateurs Yvelines.2013-06-28"
	f := tenantfixture.New(t, "CREATE TABLE `"+table+"` (tenant_id varchar(64) NOT NULL, uid int NOT NULL, name varchar(20)) ENGINE=InnoDB")
	f.Exec("INSERT INTO `" + table + "` VALUES ('acme', 1, 'a'), ('acme', 2, 'b'), ('globex', 3, 'c')")
	ctx := context.Background()
	if _, err := transfer.Open(ctx, f.Cfg, "acme", tenantfixture.Cluster, true); err == nil || !strings.Contains(err.Error(), "source.tables.<name>.key") {
		t.Fatalf("a keyless table: %v; want the advice to name its key", err)
	}
	f.Cfg.Source.Tables[table] = config.Table{Key: []string{"tenant_id", "uid"}}
	if err := f.Cfg.Validate(); err != nil {
		t.Fatalf("the config refuses the advice it gave: %v", err)
	}
	tr := f.Open("acme")
	rep, err := tr.Copier().Run(ctx, bulkcopy.Options{})
	if err != nil || rep.Rows != 2 {
		t.Fatalf("copy: %+v, %v; want 2 rows", rep, err)
	}
	if vr, err := tr.Verifier().Run(ctx, verify.Options{}); err != nil || !vr.Match {
		t.Fatalf("verify: %s, %v", vr.Summary(), err)
	}
}
