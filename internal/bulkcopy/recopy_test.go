package bulkcopy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/testenv/tenantfixture"
	"github.com/migrawave/migrawave/internal/verify"
)

// A tenant copied and built while its source still took writes: a shallow
// verification names the tables that changed, without their rows, and
// copying them again (with the tables under them) makes the tenant match.
func TestRecopyingTheTablesThatChangedMakesTheTenantMatch(t *testing.T) {
	f := tenantfixture.Invoicing(t, map[string]int{"acme": 20, "globex": 5})
	ctx := context.Background()
	tr := f.Open("acme")
	if _, err := tr.Copier().Run(ctx, bulkcopy.Options{ChunkRows: 7}); err != nil {
		t.Fatal(err)
	}
	f.Exec(`UPDATE invoices SET number = 'INV-CHANGED' WHERE id = 3`,
		`INSERT INTO invoices VALUES (500, 'acme', 'INV-500')`,
		`UPDATE invoices SET number = 'NOT-ACME' WHERE tenant_id = 'globex'`)

	shallow, err := tr.Verifier().Run(ctx, verify.Options{Shallow: true})
	if err != nil {
		t.Fatal(err)
	}
	var differ []string
	for _, r := range shallow.Tables {
		if !r.Match {
			differ = append(differ, r.Table)
			if len(r.Different)+len(r.Missing)+len(r.Extra) > 0 {
				t.Errorf("a shallow verification named rows of %s: %+v", r.Table, r)
			}
		}
	}
	if shallow.Match || !slices.Equal(differ, []string{"invoices"}) {
		t.Fatalf("shallow verification: match %v, tables that differ %v, want [invoices]", shallow.Match, differ)
	}

	rep, err := tr.Copier().Recopy(ctx, differ, bulkcopy.Options{ChunkRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	for _, r := range rep.Tables {
		copied = append(copied, r.Table)
	}
	// The lines reference the invoices, and the notes the lines.
	if want := []string{"invoices", "invoice_lines", "line_notes"}; !slices.Equal(copied, want) {
		t.Errorf("copied again %v, want %v", copied, want)
	}
	if rep.Rows != 21+60+60 {
		t.Errorf("copied again %d rows, want acme's 141", rep.Rows)
	}
	if vr, err := tr.Verifier().Run(ctx, verify.Options{}); err != nil || !vr.Match {
		t.Fatalf("after copying again: %v, %s", err, vr.Summary())
	}
	if got := tenantfixture.QueryText(t, tr, "SELECT nextval(pg_get_serial_sequence('invoices', 'id'))::text"); got != "501" {
		t.Errorf("next invoice id %s, want 501: the identity restarts after the rows copied again", got)
	}
}
