package verify_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/testenv/tenantfixture"
	"github.com/migrawave/migrawave/internal/verify"
)

// MariaDB orders text keys by their collation ("a" < "B" < "é" under
// utf8mb4_unicode_ci), PostgreSQL by its own: chunks cut in one order must
// not be looked up by range in the other. Verification still matches, and
// still names a changed, a deleted and an extra row.
func TestVerifyTextKeysOrderedDifferentlyByTheEngines(t *testing.T) {
	f := tenantfixture.New(t, `CREATE TABLE tags (tenant_id varchar(64) NOT NULL, code varchar(20) NOT NULL, label varchar(20),
		PRIMARY KEY (code)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
	var rows []string
	for i, prefix := range []string{"a", "B", "c", "D", "é", "Z", "_", "1", "9", "Ab", "ob", "Ü"} {
		for j := range 25 {
			rows = append(rows, fmt.Sprintf("('acme', '%s%d', 'l%d')", prefix, j, i*25+j))
		}
	}
	f.Exec("INSERT INTO tags VALUES " + strings.Join(rows, ","))
	tr := f.Open("acme")
	ctx := context.Background()
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: 7}); err != nil {
		t.Fatal(err)
	}
	vr, err := tr.Verifier().Run(ctx, verify.Options{ChunkRows: 7})
	if err != nil || !vr.Match || vr.Tables[0].TargetRows != 300 {
		t.Fatalf("verify of an exact copy: %s (%+v), %v", vr.Summary(), vr.Tables, err)
	}
	for _, sql := range []string{
		"UPDATE tags SET label = 'changed' WHERE code = 'B3'",
		"DELETE FROM tags WHERE code = 'é7'",
		"INSERT INTO tags VALUES ('acme', 'b3', 'extra')", // equal to B3 in MariaDB's collation, not in PostgreSQL's
	} {
		if _, err := tr.Target.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	// One row a chunk: the differing rows are named over several passes.
	for _, chunkRows := range []int{7, 1} {
		vr, err = tr.Verifier().Run(ctx, verify.Options{ChunkRows: chunkRows})
		if err != nil {
			t.Fatal(err)
		}
		r := vr.Tables[0]
		got := fmt.Sprintf("match %v, missing %v, extra %v, different %v", vr.Match, r.Missing, r.Extra, r.Different)
		if want := "match false, missing [(code=é7)], extra [(code=b3)], different [(code=B3)]"; got != want {
			t.Errorf("chunks of %d, after changing the target:\n got %s\nwant %s", chunkRows, got, want)
		}
	}
}

func TestVerifyNamesChangedDeletedAndExtraRows(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 30})
	tr := f.Open("acme")
	if _, err := tr.Copier().Run(context.Background(), bulkcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE invoice_lines SET amount = amount + 1 WHERE invoice_id = 4 AND position = 2`,
		`DELETE FROM line_notes WHERE id = 73`,
		`INSERT INTO line_notes VALUES (9999, 1, 1, 'not in the source')`,
	} {
		if _, err := tr.Target.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := tr.Verifier().Run(context.Background(), verify.Options{ChunkRows: 2}) // small chunks: the tables are verified in parts
	if err != nil {
		t.Fatal(err)
	}
	if rep.Match {
		t.Fatal("verify says the tenant matches after three changes")
	}
	got := map[string]verify.TableResult{}
	for _, tt := range rep.Tables {
		got[tt.Table] = tt
	}
	if l := got["invoice_lines"]; l.Match || l.DifferentCount != 1 || strings.Join(l.Different, " ") != "(invoice_id=4, position=2)" {
		t.Errorf("invoice_lines: %+v", l)
	}
	if n := got["line_notes"]; strings.Join(n.Missing, " ") != "(id=73)" || strings.Join(n.Extra, " ") != "(id=9999)" || n.DifferentCount != 0 {
		t.Errorf("line_notes: %+v", n)
	}
	if !got["invoices"].Match {
		t.Errorf("invoices: %+v", got["invoices"])
	}
}

// A row whose reference to its owner is NULL belongs to no tenant: the copy
// leaves it behind, and verify names one in the target as extra.
func TestVerifyCountsTargetRowsWithoutAnOwner(t *testing.T) {
	f := tenantfixture.New(t,
		`CREATE TABLE projects (id int unsigned NOT NULL PRIMARY KEY, tenant_id varchar(64) NOT NULL, KEY (tenant_id)) ENGINE=InnoDB`,
		`CREATE TABLE tasks (id int NOT NULL PRIMARY KEY, project_id int unsigned NULL, title varchar(20),
			CONSTRAINT fk_tasks_project FOREIGN KEY (project_id) REFERENCES projects (id)) ENGINE=InnoDB`,
		"INSERT INTO projects VALUES (1, 'acme'), (2, 'acme'), (3, 'globex')",
		"INSERT INTO tasks VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, NULL, 'nobody''s')",
	)
	tr := f.Open("acme")
	ctx := context.Background()
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	if rep, err := tr.Verifier().Run(ctx, verify.Options{}); err != nil || !rep.Match {
		t.Fatalf("verify after the copy: %+v, %v", rep, err)
	}
	if _, err := tr.Target.Exec(ctx, "INSERT INTO tasks VALUES (99, NULL, 'stray')"); err != nil {
		t.Fatal(err)
	}
	rep, err := tr.Verifier().Run(ctx, verify.Options{ChunkRows: 1}) // bounded spans: the NULL is in none of their ranges
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range rep.Tables {
		if tt.Table == "tasks" && (tt.Match || tt.SourceRows != 2 || tt.TargetRows != 3 || strings.Join(tt.Extra, " ") != "(id=99)") {
			t.Errorf("tasks: %+v; want 2 source rows, 3 target rows, (id=99) extra", tt)
		}
	}
	if rep.Match {
		t.Error("verify matches with a stray ownerless row in the target")
	}
}

// Verification first reads the target in ranges of its blocks, in no key
// order: a table over many blocks matches, and rows changed in its first
// and its last block are still named by key.
func TestVerifyReadsTheTargetInRangesOfBlocks(t *testing.T) {
	f := tenantfixture.New(t, `CREATE TABLE notes (id int NOT NULL PRIMARY KEY, tenant_id varchar(64) NOT NULL,
		body varchar(600) NOT NULL, KEY (tenant_id)) ENGINE=InnoDB`)
	var rows []string
	for i := 1; i <= 400; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'acme', REPEAT('%c', 500))", i, 'a'+i%26))
	}
	f.Exec("INSERT INTO notes VALUES " + strings.Join(rows, ","))
	tr := f.Open("acme")
	ctx := context.Background()
	opts := verify.Options{ChunkRows: 20, Parallelism: 2}
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: opts.ChunkRows, Parallelism: opts.Parallelism}); err != nil {
		t.Fatal(err)
	}
	if blocks, _ := strconv.Atoi(tenantfixture.QueryText(t, tr, "SELECT (pg_relation_size('notes') / 8192)::text")); blocks < 8 {
		t.Fatalf("notes takes %d blocks; the test needs more blocks than verify has parts", blocks)
	}
	if vr, err := tr.Verifier().Run(ctx, opts); err != nil || !vr.Match || vr.Tables[0].TargetRows != 400 {
		t.Fatalf("verify of an exact copy: %s (%+v), %v", vr.Summary(), vr.Tables, err)
	}
	changed := tenantfixture.QueryText(t, tr, "UPDATE notes SET body = 'changed' WHERE ctid = (SELECT ctid FROM notes ORDER BY ctid LIMIT 1) RETURNING id::text")
	deleted := tenantfixture.QueryText(t, tr, "DELETE FROM notes WHERE ctid = (SELECT ctid FROM notes ORDER BY ctid DESC LIMIT 1) RETURNING id::text")
	tenantfixture.QueryText(t, tr, "INSERT INTO notes VALUES (9999, 'acme', 'extra') RETURNING id::text")
	vr, err := tr.Verifier().Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := vr.Tables[0]
	got := fmt.Sprintf("match %v, missing %v, extra %v, different %v", vr.Match, r.Missing, r.Extra, r.Different)
	want := fmt.Sprintf("match false, missing [(id=%s)], extra [(id=9999)], different [(id=%s)]", deleted, changed)
	if got != want {
		t.Errorf("after changing the first and the last block:\n got %s\nwant %s", got, want)
	}
}

// PostgreSQL pads a character(n) value that MariaDB does not: a changed row
// with such a key is named once, by the same key from both sides, not as a
// missing and an extra row that differ only in padding.
func TestVerifyNamesRowsByAPaddedCharKey(t *testing.T) {
	f := tenantfixture.New(t, `CREATE TABLE codes (code char(6) NOT NULL PRIMARY KEY, tenant_id varchar(64) NOT NULL,
		label varchar(20)) ENGINE=InnoDB`)
	var rows []string
	for i := range 30 {
		rows = append(rows, fmt.Sprintf("('c%d', 'acme', 'l%d')", i, i))
	}
	f.Exec("INSERT INTO codes VALUES " + strings.Join(rows, ","))
	tr := f.Open("acme")
	ctx := context.Background()
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	if vr, err := tr.Verifier().Run(ctx, verify.Options{}); err != nil || !vr.Match {
		t.Fatalf("verify of an exact copy: %s, %v", vr.Summary(), err)
	}
	for _, sql := range []string{"UPDATE codes SET label = 'changed' WHERE code = 'c7'", "DELETE FROM codes WHERE code = 'c12'"} {
		if _, err := tr.Target.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	vr, err := tr.Verifier().Run(ctx, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := vr.Tables[0]
	got := fmt.Sprintf("missing %v, extra %v, different %v", r.Missing, r.Extra, r.Different)
	if want := "missing [(code=c12)], extra [], different [(code=c7)]"; got != want {
		t.Errorf("after changing the target:\n got %s\nwant %s", got, want)
	}
}

// Spans of a table keyed by a date and time are bounded by keys that
// PostgreSQL parses from MariaDB's text (TIMESTAMP in UTC, DATETIME as is):
// an exact copy matches chunk by chunk, and a changed and a deleted row are
// named, whichever span they fall in.
func TestVerifyBoundsSpansByDateAndTimeKeys(t *testing.T) {
	f := tenantfixture.New(t,
		`CREATE TABLE readings (tenant_id varchar(64) NOT NULL, at timestamp(3) NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB`,
		`CREATE TABLE bookings (tenant_id varchar(64) NOT NULL, at datetime(6) NOT NULL PRIMARY KEY, v int) ENGINE=InnoDB`)
	for _, table := range []string{"readings", "bookings"} {
		var rows []string
		for i := range 40 {
			rows = append(rows, fmt.Sprintf("('acme', '2024-03-31 0%d:%02d:00.125', %d)", i/20, i%20*3, i))
		}
		f.Exec("INSERT INTO " + table + " VALUES " + strings.Join(rows, ","))
	}
	tr := f.Open("acme")
	ctx := context.Background()
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	// Chunks of 7 rows: the differences are found span by span.
	opts := verify.Options{ChunkRows: 7}
	if vr, err := tr.Verifier().Run(ctx, opts); err != nil || !vr.Match {
		t.Fatalf("verify of an exact copy: %s, %v", vr.Summary(), err)
	}
	for _, table := range []string{"readings", "bookings"} {
		for _, sql := range []string{
			"UPDATE " + table + " SET v = -1 WHERE v = 23",
			"DELETE FROM " + table + " WHERE v = 9",
		} {
			if _, err := tr.Target.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		}
	}
	vr, err := tr.Verifier().Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range vr.Tables {
		got := fmt.Sprintf("%s: missing %v, extra %v, different %v", r.Table, r.Missing, r.Extra, r.Different)
		if want := r.Table + ": missing [(at=2024-03-31 00:27:00.125)], extra [], different [(at=2024-03-31 01:09:00.125)]"; got != want {
			t.Errorf("after changing the target:\n got %s\nwant %s", got, want)
		}
	}
}
