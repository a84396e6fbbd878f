package source

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/migrawave/migrawave/internal/config"
)

// Scope says how a table relates to tenants.
type Scope string

// Scopes of a source table.
const (
	// ScopeTenant tables carry the tenant column.
	ScopeTenant Scope = "tenant"
	// ScopeOwned tables belong to a tenant through a parent row.
	ScopeOwned Scope = "owned"
	// ScopeGlobal tables are shared by every tenant and not copied per tenant.
	ScopeGlobal Scope = "global"
	// ScopeExcluded tables are left out by configuration.
	ScopeExcluded Scope = "excluded"
)

// Hop is one step from a table up to its parent: Columns of the child
// reference RefColumns of Table.
type Hop struct {
	Table      string
	Columns    []string
	RefColumns []string
}

// TenantTable is a table copied per tenant: where its rows come from and the
// key that orders and identifies them.
type TenantTable struct {
	*Table
	Scope Scope
	// Key is the primary key, else a unique key of NOT NULL columns, else the
	// configured key: the order of the copy and the identity of a row.
	Key []string
	// Path leads from an owned table up to a table with the tenant column.
	Path []Hop
	// Overrides holds the configured per-column overrides.
	Overrides map[string]config.Column
	// SkipChecks are the checks the target is configured to go without.
	SkipChecks []string
	// Replace says that text with no Unicode mapping is replaced (and
	// counted) rather than refused.
	Replace bool
}

// Layout is the source schema seen per tenant: which tables are copied, in an
// order where parents come before the tables that reference them.
type Layout struct {
	Schema       *Schema
	TenantColumn string
	Tables       []*TenantTable
	Global       []string
	Excluded     []string
}

// Table returns the tenant table called name.
func (l *Layout) Table(name string) (*TenantTable, bool) {
	for _, t := range l.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Plan classifies every table of s for per-tenant copying. A table that is
// neither tenant-scoped, owned, global nor excluded is an error: its rows
// would otherwise be silently left behind.
func Plan(s *Schema, src config.Source) (*Layout, error) {
	l := &Layout{Schema: s, TenantColumn: src.TenantColumn}
	for name, o := range src.Tables {
		t, ok := s.Tables[name]
		if !ok {
			return nil, fmt.Errorf("source.tables.%s: no such table in %s", name, s.Database)
		}
		for _, skip := range o.SkipChecks {
			if !slices.ContainsFunc(t.Checks, func(c Check) bool { return c.Name == skip }) {
				return nil, fmt.Errorf("source.tables.%s.skip_checks: %s has no check named %q", name, name, skip)
			}
		}
	}
	scoped := map[string]*TenantTable{}
	var unscoped []string
	for _, name := range s.TableNames() {
		t := s.Tables[name]
		o := src.Tables[name]
		switch {
		case o.Exclude:
			l.Excluded = append(l.Excluded, name)
		case o.Global:
			l.Global = append(l.Global, name)
		default:
			tt := &TenantTable{Table: t, Overrides: o.Columns, SkipChecks: o.SkipChecks, Replace: src.Replaces(name)}
			if _, ok := t.Column(src.TenantColumn); ok && o.Owner == nil {
				tt.Scope = ScopeTenant
			} else {
				tt.Scope = ScopeOwned
			}
			scoped[name] = tt
		}
	}
	resolving := map[string]bool{}
	var resolve func(name string) error
	resolve = func(name string) error {
		tt := scoped[name]
		if tt.Scope == ScopeTenant || tt.Path != nil {
			return nil
		}
		if resolving[name] {
			return fmt.Errorf("tables %s reference each other in a cycle without a tenant column", name)
		}
		resolving[name] = true
		defer delete(resolving, name)
		hop, err := parentHop(tt, src.Tables[name].Owner, scoped)
		if err != nil || hop == nil {
			return err
		}
		if err := resolve(hop.Table); err != nil {
			return err
		}
		tt.Path = append([]Hop{*hop}, scoped[hop.Table].Path...)
		return nil
	}
	for _, name := range s.TableNames() {
		tt := scoped[name]
		if tt == nil {
			continue
		}
		if err := resolve(name); err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		if tt.Scope == ScopeOwned && tt.Path == nil {
			unscoped = append(unscoped, name)
		}
	}
	if len(unscoped) > 0 {
		return nil, fmt.Errorf("source: table(s) %s have no %s column, no foreign key to a tenant table and no configured owner: set source.tables.<name>.owner, global or exclude",
			strings.Join(unscoped, ", "), src.TenantColumn)
	}
	var keyless []string
	for _, name := range s.TableNames() {
		tt := scoped[name]
		if tt == nil {
			continue
		}
		tt.Key = rowKey(tt.Table, src.Tables[name].Key)
		if tt.Key == nil {
			keyless = append(keyless, name)
		}
	}
	if len(keyless) > 0 {
		return nil, fmt.Errorf("source: table(s) %s have no primary key and no unique key of NOT NULL columns: name one with source.tables.<name>.key",
			strings.Join(keyless, ", "))
	}
	order, err := parentsFirst(scoped)
	if err != nil {
		return nil, err
	}
	l.Tables = order
	return l, nil
}

// parentHop finds how an owned table reaches its parent: the configured owner,
// else a declared foreign key to a tenant-scoped table, preferring NOT NULL
// columns (a NULL reference would belong to no tenant) and then the name.
func parentHop(tt *TenantTable, owner *config.Owner, scoped map[string]*TenantTable) (*Hop, error) {
	if owner != nil {
		parent := scoped[owner.Table]
		if parent == nil {
			return nil, fmt.Errorf("source.tables.%s.owner.table: %s is not a tenant table", tt.Name, owner.Table)
		}
		if _, ok := tt.Column(owner.Via); !ok {
			return nil, fmt.Errorf("source.tables.%s.owner.via: %s has no column %s", tt.Name, tt.Name, owner.Via)
		}
		if len(parent.PrimaryKey) != 1 {
			return nil, fmt.Errorf("source.tables.%s.owner: %s needs a single-column primary key to be an owner", tt.Name, owner.Table)
		}
		return &Hop{Table: owner.Table, Columns: []string{owner.Via}, RefColumns: parent.PrimaryKey}, nil
	}
	var candidates []ForeignKey
	for _, fk := range tt.ForeignKeys {
		if p := scoped[fk.RefTable]; p != nil && fk.RefTable != tt.Name {
			candidates = append(candidates, fk)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		ni, nj := nullableAny(tt.Table, candidates[i].Columns), nullableAny(tt.Table, candidates[j].Columns)
		if ni != nj {
			return !ni
		}
		return candidates[i].Name < candidates[j].Name
	})
	fk := candidates[0]
	return &Hop{Table: fk.RefTable, Columns: fk.Columns, RefColumns: fk.RefColumns}, nil
}

func nullableAny(t *Table, cols []string) bool {
	for _, name := range cols {
		if c, ok := t.Column(name); ok && c.Nullable {
			return true
		}
	}
	return false
}

// rowKey picks the key of a table: primary, else the first unique index of
// NOT NULL full columns, else the configured one.
func rowKey(t *Table, configured []string) []string {
	if len(configured) > 0 {
		return configured
	}
	if len(t.PrimaryKey) > 0 {
		return t.PrimaryKey
	}
	names := make([]string, 0, len(t.Indexes))
	for _, ix := range t.Indexes {
		names = append(names, ix.Name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, ix := range t.Indexes {
			if ix.Name != name || !ix.Unique || ix.Type != "BTREE" {
				continue
			}
			var cols []string
			for _, c := range ix.Columns {
				col, ok := t.Column(c.Name)
				if !ok || col.Nullable || c.SubPart > 0 {
					cols = nil
					break
				}
				cols = append(cols, c.Name)
			}
			if cols != nil {
				return cols
			}
		}
	}
	return nil
}

// parentsFirst orders tables so that every referenced tenant table comes
// before the tables referencing it; foreign keys are created after the data,
// but owned tables are read by joining their parents.
func parentsFirst(scoped map[string]*TenantTable) ([]*TenantTable, error) {
	names := make([]string, 0, len(scoped))
	for n := range scoped {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*TenantTable
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return nil // a cycle of foreign keys: order among them does not matter
		case 2:
			return nil
		}
		state[n] = 1
		for _, fk := range scoped[n].ForeignKeys {
			if scoped[fk.RefTable] != nil && fk.RefTable != n {
				if err := visit(fk.RefTable); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		out = append(out, scoped[n])
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("source: no tenant tables to copy")
	}
	return out, nil
}
