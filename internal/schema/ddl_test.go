package schema

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestBuildBuildsThePrimaryKeyIndexWithTheOthersThenAddsKeyAndChecksInOneStatement(t *testing.T) {
	tbl := &Table{
		Name:       "orders",
		PrimaryKey: []string{"id"},
		Indexes: []Index{
			{Name: "orders_ix_customer", Columns: []string{"customer_id"}},
			{Name: "orders_uq_number", Unique: true, Columns: []string{"tenant_id", "number"}},
		},
		Columns: []*Column{
			{Name: "id", Identity: true},
			{Name: "status", Check: `"status" IN ('new', 'paid')`},
			{Name: "kind", Check: `"kind" IN ('a', 'b')`},
			{Name: "updated_at", OnUpdateNow: true},
		},
	}
	b := tbl.Build()
	var indexes []string
	for _, st := range b.Indexes {
		indexes = append(indexes, st.SQL)
	}
	want := []string{
		`CREATE UNIQUE INDEX IF NOT EXISTS "orders_pkey" ON "orders" ("id")`,
		`CREATE INDEX IF NOT EXISTS "orders_ix_customer" ON "orders" ("customer_id")`,
		`CREATE UNIQUE INDEX IF NOT EXISTS "orders_uq_number" ON "orders" ("tenant_id", "number")`,
	}
	if !slices.Equal(indexes, want) {
		t.Errorf("indexes:\n%s\nwant:\n%s", strings.Join(indexes, "\n"), strings.Join(want, "\n"))
	}
	got := AddConstraints("orders", b.Constraints)
	wantAlter := `ALTER TABLE "orders" ADD CONSTRAINT "orders_pkey" PRIMARY KEY USING INDEX "orders_pkey", ` +
		`ADD CONSTRAINT "orders_status_check" CHECK ("status" IN ('new', 'paid')), ` +
		`ADD CONSTRAINT "orders_kind_check" CHECK ("kind" IN ('a', 'b'))`
	if got != wantAlter {
		t.Errorf("constraints:\n%s\nwant:\n%s", got, wantAlter)
	}
	// Only what is missing, on a resumed copy.
	if got, want := AddConstraints("orders", b.Constraints[2:]), `ALTER TABLE "orders" ADD CONSTRAINT "orders_kind_check" CHECK ("kind" IN ('a', 'b'))`; got != want {
		t.Errorf("one constraint: %s, want %s", got, want)
	}
	if len(b.Sequences) != 1 || !strings.HasPrefix(b.Sequences[0].SQL, "SELECT setval(") {
		t.Errorf("sequences: %+v", b.Sequences)
	}
	if len(b.Triggers) != 2 || !strings.HasPrefix(b.Triggers[0].SQL, "CREATE OR REPLACE FUNCTION") || !strings.HasPrefix(b.Triggers[1].SQL, "CREATE OR REPLACE TRIGGER") {
		t.Errorf("triggers: %+v", b.Triggers)
	}
}

func TestBuildNamesThePrimaryKeyIndexLikeItsConstraintAndSkipsCollidingIndexNames(t *testing.T) {
	long := strings.Repeat("t", 60)
	tbl := &Table{
		Name:       long,
		PrimaryKey: []string{"a", "b"},
		Indexes: []Index{
			{Name: truncate(long + "_pkey_other"), Columns: []string{"c"}}, // truncated to the key's name
			{Name: long + "_x", Columns: []string{"c"}},
			{Name: long + "_x", Columns: []string{"d"}},
		},
		Columns: []*Column{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}},
	}
	b := tbl.Build()
	name := (long + "_pkey")[:63]
	if len(b.Constraints) != 1 || b.Constraints[0].Name != name || b.Constraints[0].Def != `PRIMARY KEY USING INDEX "`+name+`"` {
		t.Errorf("constraints: %+v", b.Constraints)
	}
	if len(b.Indexes) != 2 || !strings.Contains(b.Indexes[0].SQL, `"`+name+`" ON "`+long+`" ("a", "b")`) || !strings.Contains(b.Indexes[1].SQL, `_x" ON "`+long+`" ("c")`) {
		t.Errorf("indexes: %+v", b.Indexes)
	}
	if b := (&Table{Name: "logs", Columns: []*Column{{Name: "line"}}}).Build(); len(b.Indexes)+len(b.Constraints)+len(b.Sequences)+len(b.Triggers) != 0 {
		t.Errorf("a table without keys: %+v", b)
	}
}

func TestForeignKeysAreAddedNotValidThenValidated(t *testing.T) {
	tbl := &Table{Name: "order_lines", ForeignKeys: []ForeignKey{
		{Name: "order_lines_fk_order", Columns: []string{"order_id"}, RefTable: "orders", RefColumns: []string{"id"}, OnDelete: "cascade"},
		{Name: "order_lines_fk_product", Columns: []string{"product_id"}, RefTable: "products", RefColumns: []string{"id"}, OnDelete: "RESTRICT"},
	}}
	steps := tbl.ForeignKeySteps()
	if len(steps) != 2 {
		t.Fatalf("%d steps", len(steps))
	}
	st := steps[0]
	if st.Table != "order_lines" || st.Constraint != "order_lines_fk_order" || st.RefTable != "orders" {
		t.Errorf("step: %+v", st)
	}
	if want := `ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_fk_order" FOREIGN KEY ("order_id") REFERENCES "orders" ("id") ON DELETE CASCADE NOT VALID`; st.SQL != want {
		t.Errorf("add:\n%s\nwant:\n%s", st.SQL, want)
	}
	if want := `ALTER TABLE "order_lines" VALIDATE CONSTRAINT "order_lines_fk_order"`; st.Validate != want {
		t.Errorf("validate: %s, want %s", st.Validate, want)
	}
	if want := `ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_fk_product" FOREIGN KEY ("product_id") REFERENCES "products" ("id") NOT VALID`; steps[1].SQL != want {
		t.Errorf("add:\n%s\nwant:\n%s", steps[1].SQL, want)
	}
}

// Asking for a table the tenant does not have names it and the tables it has.
func TestSelectRefusesAnUnknownTableByName(t *testing.T) {
	s := &Schema{Tables: []*Table{{Name: "invoices"}, {Name: "lines"}}}
	if got, err := s.Select(nil); err != nil || len(got) != 2 {
		t.Fatalf("Select(nil) = %v, %v; want every table", got, err)
	}
	_, err := s.Select([]string{"lines", "invoice"})
	var unknown *UnknownTableError
	if !errors.As(err, &unknown) || err.Error() != `"invoice" is not a tenant table (tenant tables: invoices, lines)` {
		t.Fatalf("Select(invoice) = %v", err)
	}
}
