package schema

import (
	"slices"
	"strings"

	"github.com/migrawave/migrawave/internal/source"
)

// DDL returns every statement that builds a tenant database, in the order
// a copy runs them: the tables, then after the data each table's indexes,
// constraints and triggers, then the foreign keys.
func (s *Schema) DDL() []string {
	out := s.CreateTables()
	for _, t := range s.Tables {
		b := t.Build()
		for _, st := range b.Indexes {
			out = append(out, st.SQL)
		}
		if len(b.Constraints) > 0 {
			out = append(out, AddConstraints(t.Name, b.Constraints))
		}
		for _, st := range slices.Concat(b.Sequences, b.Triggers) {
			out = append(out, st.SQL)
		}
	}
	for _, t := range s.Tables {
		for _, st := range t.ForeignKeySteps() {
			out = append(out, st.SQL, st.Validate)
		}
	}
	return out
}

// Report is the conversion report of a whole source: every table and
// every other object it holds, and what becomes of each. It is what a team
// reviews before a campaign.
type Report struct {
	Database     string        `json:"database"`
	TenantColumn string        `json:"tenant_column"`
	Tables       []TableReport `json:"tables"`
	// Objects are the views, sequences, triggers, events, procedures and
	// functions.
	Objects  []ObjectReport `json:"objects"`
	Warnings []string       `json:"warnings"`
	// DDL builds a tenant database, for the tables not refused.
	DDL []string `json:"ddl"`
}

// Table statuses in a Report.
const (
	StatusCopied   = "copied"   // per tenant, into its database
	StatusGlobal   = "global"   // shared by all tenants, not copied
	StatusExcluded = "excluded" // left out by configuration
	StatusRefused  = "refused"  // cannot be converted as configured
)

// TableReport is one source table.
type TableReport struct {
	Source string `json:"source"`
	Status string `json:"status"`
	// Refused says why, one line per reason, when Status is refused.
	Refused []string `json:"refused,omitempty"`
	Target  string   `json:"target,omitempty"`
	Scope   string   `json:"scope,omitempty"` // tenant or owned
	// Key is the source columns that order and identify rows: the copy's
	// ranges and the verifier's identity.
	Key []string `json:"key,omitempty"`
	// Owner is the chain of parent tables an owned table reaches its
	// tenant through.
	Owner       []string        `json:"owner,omitempty"`
	TenantRows  *int64          `json:"tenant_rows,omitempty"`
	Columns     []ColumnReport  `json:"columns,omitempty"`
	Indexes     []ObjectOutcome `json:"indexes,omitempty"`
	Checks      []ObjectOutcome `json:"checks,omitempty"`
	ForeignKeys []ObjectOutcome `json:"foreign_keys,omitempty"`
	Notes       []string        `json:"notes,omitempty"`
}

// ColumnReport is one column's mapping.
type ColumnReport struct {
	Source     string   `json:"source"`
	SourceType string   `json:"source_type"`
	Target     string   `json:"target"`
	Type       string   `json:"type"`
	NotNull    bool     `json:"not_null,omitempty"`
	Default    string   `json:"default,omitempty"`
	Identity   bool     `json:"identity,omitempty"`
	Generated  string   `json:"generated,omitempty"`
	Notes      []string `json:"notes,omitempty"`
}

// ObjectOutcome is a source index, check or foreign key and what became of
// it: the target object's name, or why there is none.
type ObjectOutcome struct {
	Source  string `json:"source"`
	Target  string `json:"target,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

// ObjectReport is a schema object other than a table.
type ObjectReport struct {
	source.Object
	Outcome string `json:"outcome"`
}

// NewReport accounts for every object of the layout's source schema: the
// schema and refusals are Plan's.
func NewReport(l *source.Layout, s *Schema, refused []Refusal) *Report {
	r := &Report{Database: l.Schema.Database, TenantColumn: l.TenantColumn, Warnings: s.Warnings, DDL: s.DDL()}
	for _, name := range l.Schema.TableNames() {
		tr := TableReport{Source: name}
		switch {
		case slices.Contains(l.Global, name):
			tr.Status = StatusGlobal
		case slices.Contains(l.Excluded, name):
			tr.Status = StatusExcluded
		default:
			tr.Status = StatusCopied
			for _, rf := range refused {
				if rf.Table == name {
					tr.Status = StatusRefused
					tr.Refused = append(tr.Refused, rf.Reason)
				}
			}
			if st, ok := l.Table(name); ok {
				tr.Scope, tr.Key = string(st.Scope), st.Key
				for _, h := range st.Path {
					tr.Owner = append(tr.Owner, h.Table)
				}
			}
			for _, t := range s.Tables {
				if t.Source.Name == name {
					tr.describe(t)
				}
			}
		}
		r.Tables = append(r.Tables, tr)
	}
	for _, o := range l.Schema.Objects {
		_, copied := s.triggerTable(o)
		r.Objects = append(r.Objects, ObjectReport{Object: o, Outcome: objectOutcome(o, copied)})
	}
	return r
}

// describe fills in what the table becomes.
func (tr *TableReport) describe(t *Table) {
	tr.Target = t.Name
	for _, n := range t.Notes {
		// A column's notes are listed with the column.
		if !slices.ContainsFunc(t.Columns, func(c *Column) bool { return strings.HasPrefix(n, c.Name+": ") }) {
			tr.Notes = append(tr.Notes, n)
		}
	}
	for _, c := range t.Columns {
		tr.Columns = append(tr.Columns, ColumnReport{
			Source: c.Source.Name, SourceType: c.Source.ColumnType, Target: c.Name, Type: c.Type, NotNull: c.NotNull,
			Default: c.Default, Identity: c.Identity, Generated: c.Generated, Notes: c.Notes,
		})
	}
	for _, ix := range t.Source.Indexes {
		tr.Indexes = append(tr.Indexes, outcome(ix.Name, ix.Type+" index: PostgreSQL has no equivalent here", t.Indexes,
			func(i Index) (string, string) { return i.Source, i.Name }))
	}
	for _, ck := range t.Source.Checks {
		tr.Checks = append(tr.Checks, outcome(ck.Name, "as configured (skip_checks)", t.Checks,
			func(c Check) (string, string) { return c.Source, c.Name }))
	}
	for _, fk := range t.Source.ForeignKeys {
		tr.ForeignKeys = append(tr.ForeignKeys, outcome(fk.Name, fk.RefTable+" is not copied per tenant", t.ForeignKeys,
			func(f ForeignKey) (string, string) { return f.Source, f.Name }))
	}
}

// outcome is the target object made from the source object name, found
// among made by its source name, or skipped for the reason given.
func outcome[T any](name, skipped string, made []T, names func(T) (source, target string)) ObjectOutcome {
	for _, m := range made {
		if src, dst := names(m); src == name {
			return ObjectOutcome{Source: name, Target: dst}
		}
	}
	return ObjectOutcome{Source: name, Skipped: skipped}
}
