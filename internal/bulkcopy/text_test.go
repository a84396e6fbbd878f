package bulkcopy_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv/tenantfixture"
	"github.com/migrawave/migrawave/internal/values"
	"github.com/migrawave/migrawave/internal/verify"
)

const legacyTextDDL = `CREATE TABLE notes (
	id int PRIMARY KEY, tenant_id varchar(64) NOT NULL,
	g varchar(20) CHARACTER SET gbk,
	gb varchar(20) CHARACTER SET gbk COLLATE gbk_bin,
	l varchar(20) CHARACTER SET latin1,
	lc char(6) CHARACTER SET latin1 COLLATE latin1_bin,
	e enum('café','thé') CHARACTER SET latin1,
	u varchar(20) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin,
	j longtext CHARACTER SET latin1 CHECK (json_valid(j))) ENGINE=InnoDB`

// A key of legacy text: its values bound the copy's and verifier's chunks.
const legacyKeyDDL = `CREATE TABLE codes (
	tenant_id varchar(64) NOT NULL, code varchar(10) CHARACTER SET latin1 NOT NULL,
	label varchar(20) CHARACTER SET gbk, PRIMARY KEY (tenant_id, code)) ENGINE=InnoDB`

// Text in gbk, latin1 (cp1252) and utf8mb3, with binary collations too,
// arrives as the same characters; a gbk sequence with no Unicode mapping
// is refused by row, or replaced and counted; and verify sees a value the
// target changed to what MariaDB's own conversion would have given.
func TestLegacyTextIsConvertedExactlyOrRefusedByRow(t *testing.T) {
	f := tenantfixture.New(t, legacyTextDDL, legacyKeyDDL)
	f.Exec(
		// 中文, 中, "€ – ™" in cp1252, é, café; 0xA380 has no mapping in gbk.
		`INSERT INTO notes VALUES (1, 'acme', X'D6D0CEC4', X'D6D0', X'8020962099', X'E9', 'café', '日本語', X'7B2261223A22E9227D'),
			(2, 'acme', X'A380', NULL, NULL, NULL, NULL, NULL, NULL), (3, 'other', X'A380', NULL, NULL, NULL, NULL, NULL, NULL)`,
		`INSERT INTO codes VALUES ('acme', X'E9', X'D6D0'), ('acme', 'g', 'x'), ('acme', 'f', 'y'), ('acme', X'FC62', 'z'), ('other', 'a', 'b')`,
	)
	ctx := context.Background()
	tr := f.Open("acme")
	_, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: 1})
	var de *bulkcopy.DataError
	if !errors.As(err, &de) || de.Table != "notes" || de.Key != "(id=2)" || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "column g: gbk text 0xa380 holds a byte sequence with no Unicode mapping") ||
		!strings.Contains(err.Error(), "on_unconvertible: replace") {
		t.Fatalf("copy with a gbk sequence that has no mapping: %v; want one line naming notes (id=2), column g and on_unconvertible", err)
	}

	f.Cfg.Source.Tables["notes"] = config.Table{OnUnconvertible: config.OnUnconvertibleReplace}
	tr = f.Open("acme")
	rep, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: 1, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range rep.Tables {
		want := values.Counts{}
		if tbl.Table == "notes" {
			want = values.Counts{"g": {values.Replaced: 1}}
		}
		if !equalCounts(tbl.Conversions, want) {
			t.Errorf("%s: conversions %v; want %v", tbl.Table, tbl.Conversions, want)
		}
	}
	got := tenantfixture.QueryText(t, tr, `SELECT concat_ws('|', g, gb, l, lc, e, u, j) FROM notes WHERE id = 1`) + " " +
		tenantfixture.QueryText(t, tr, `SELECT g FROM notes WHERE id = 2`) + " " +
		tenantfixture.QueryText(t, tr, `SELECT string_agg(code || '=' || label, ',' ORDER BY code COLLATE "C") FROM codes`)
	if want := "中文|中|€ – ™|é     |café|日本語|{\"a\": \"é\"} \ufffd f=y,g=x,é=中,üb=z"; got != want {
		t.Errorf("target text: %q; want %q", got, want)
	}
	if vr, err := tr.Verifier().Run(ctx, verify.Options{ChunkRows: 1}); err != nil || !vr.Match {
		t.Fatalf("verify after the copy: %s, %v", vr.Summary(), err)
	}

	// What MariaDB's conversion writes for 0xA380, and a cp1252 character
	// changed to a near one: verify names both rows, as it reads the source
	// as bytes, not through the copy's conversion.
	f.Cfg.Source.Tables["notes"] = config.Table{}
	tr = f.Open("acme")
	if _, err := tr.Target.Exec(ctx, `UPDATE notes SET g = '?' WHERE id = 2; UPDATE notes SET l = '€ - ™' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	vr, err := tr.Verifier().Run(ctx, verify.Options{ChunkRows: 1})
	if err != nil || vr.Match {
		t.Fatalf("verify after the target changed: %s, %v; want a mismatch", vr.Summary(), err)
	}
	for _, tbl := range vr.Tables {
		if tbl.Table == "notes" && (tbl.DifferentCount != 2 || strings.Join(tbl.Different, " ") != "(id=1) (id=2)") {
			t.Errorf("notes: %d different, %v; want (id=1) and (id=2)", tbl.DifferentCount, tbl.Different)
		}
	}
}

func equalCounts(a, b values.Counts) bool {
	if len(a) != len(b) {
		return false
	}
	for col, m := range a {
		for k, n := range m {
			if b[col][k] != n {
				return false
			}
		}
		if len(m) != len(b[col]) {
			return false
		}
	}
	return true
}
