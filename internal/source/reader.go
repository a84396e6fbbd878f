package source

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/migrawave/migrawave/internal/charset"
)

// ChunkQuery selects one chunk of a tenant's rows of t in key order:
// the given columns (in that order), with keys in (after, upto] (nil: open),
// at most limit rows. It returns the SQL and its arguments; every identifier
// is quoted and every value is a parameter.
func (l *Layout) ChunkQuery(t *TenantTable, columns []string, tenant string, after, upto [][]byte, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString(t.selectList(columns))
	b.WriteString(" FROM " + l.scopedFrom(t))
	args := l.bounded(&b, "t", t, t.Key, tenant, after, upto)
	b.WriteString(orderBy(t.Key) + " LIMIT ?")
	args = append(args, limit)
	return b.String(), args
}

// Paged reports whether t is read in pages of parent rows rather than in
// key order: an owned table. Ordering an owned table by its own key would
// make the source join and sort every row of the tenant for each chunk.
func (t *TenantTable) Paged() bool { return t.Scope == ScopeOwned }

// PageColumns are the columns of an owned table t that reference its parent:
// a page of parent keys is a range of them, the same in source and target.
func (t *TenantTable) PageColumns() []string { return t.Path[0].Columns }

// NextPage returns the key of the n-th parent of the owned table t after
// the parent key after, up to the parent key upto (nil: open), so that the
// page (after, end] holds n parents; end is nil when fewer are left.
func (l *Layout) NextPage(ctx context.Context, db *sql.DB, t *TenantTable, tenant string, after, upto [][]byte, n int) ([][]byte, error) {
	hop := t.Path[0]
	parent, ok := l.Table(hop.Table)
	if !ok {
		return nil, fmt.Errorf("source: %s is owned by %s, which is not a tenant table", t.Name, hop.Table)
	}
	var b strings.Builder
	b.WriteString(parent.selectList(hop.RefColumns))
	b.WriteString(" FROM " + l.scopedFrom(parent))
	args := l.bounded(&b, "t", parent, hop.RefColumns, tenant, after, upto)
	b.WriteString(orderBy(hop.RefColumns) + " LIMIT 1 OFFSET ?")
	args = append(args, n-1)

	raw := make([]sql.RawBytes, len(hop.RefColumns))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	rows, err := db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("source: paging %s by %s: %w", t.Name, hop.Table, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("source: paging %s by %s: %w", t.Name, hop.Table, err)
	}
	end := make([][]byte, len(raw))
	for i, name := range hop.RefColumns {
		if end[i], err = parent.KeyText(name, raw[i]); err != nil {
			return nil, fmt.Errorf("source: paging %s by %s: %w", t.Name, hop.Table, err)
		}
	}
	return end, rows.Err()
}

// PageQuery selects the tenant's rows of the owned table t whose parent key
// lies in (after, end], in no particular order; nil bounds are open.
func (l *Layout) PageQuery(t *TenantTable, columns []string, tenant string, after, end [][]byte) (string, []any) {
	hop := t.Path[0]
	parent, _ := l.Table(hop.Table)
	var b strings.Builder
	b.WriteString(t.selectList(columns))
	b.WriteString(" FROM " + l.scopedFrom(t))
	// The bounds are on the parent's key, which MariaDB reads as a range
	// of its primary key and then joins the children through their index.
	args := l.bounded(&b, "p1", parent, hop.RefColumns, tenant, after, end)
	return b.String(), args
}

// bounded appends the predicates cols > after and cols <= upto (nil: none)
// on the columns of t under alias, and returns the arguments of the whole
// scoped query: the tenant, then the bounds.
func (l *Layout) bounded(b *strings.Builder, alias string, t *TenantTable, cols []string, tenant string, after, upto [][]byte) []any {
	args := []any{tenant}
	for _, bound := range []struct {
		op  string
		key [][]byte
	}{{">", after}, {"<=", upto}} {
		if bound.key != nil {
			pred, keyArgs := keyCompare(alias, t, cols, bound.op, bound.key)
			b.WriteString(" AND " + pred)
			args = append(args, keyArgs...)
		}
	}
	return args
}

// CountQuery counts a tenant's rows of t.
func (l *Layout) CountQuery(t *TenantTable, tenant string) (string, []any) {
	return "SELECT COUNT(*) FROM " + l.scopedFrom(t), []any{tenant}
}

// selectList selects columns of the table aliased t: a column of legacy
// text as its bytes (see Column.Legacy).
func (t *Table) selectList(columns []string) string {
	q := make([]string, len(columns))
	for i, name := range columns {
		q[i] = "t." + QuoteIdent(name)
		if c, ok := t.Column(name); ok && c.Legacy() {
			q[i] = "CAST(" + q[i] + " AS BINARY)"
		}
	}
	return "SELECT " + strings.Join(q, ", ")
}

// KeyText is a key value of the named column as selectList reads it, in
// UTF-8: legacy text is decoded, exactly (see charset.DecodeKey).
func (t *Table) KeyText(column string, raw []byte) ([]byte, error) {
	c, ok := t.Column(column)
	if !ok || !c.Legacy() {
		return append([]byte(nil), raw...), nil
	}
	cs, err := charset.Lookup(c.Charset)
	if err == nil {
		raw, err = cs.DecodeKey(nil, raw)
	}
	if err != nil {
		return nil, fmt.Errorf("key column %s: %w", column, err)
	}
	return raw, nil
}

// orderBy names columns of the table aliased t.
func orderBy(columns []string) string { return " ORDER BY " + qualified(columns) }

func qualified(columns []string) string {
	q := make([]string, len(columns))
	for i, c := range columns {
		q[i] = "t." + QuoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// scopedFrom is the FROM and WHERE that restrict t to one tenant's rows,
// joining up the owner path for owned tables. The tenant id is the first
// parameter.
func (l *Layout) scopedFrom(t *TenantTable) string {
	var b strings.Builder
	b.WriteString(QuoteIdent(t.Name) + " t")
	alias := "t"
	for i, hop := range t.Path {
		next := fmt.Sprintf("p%d", i+1)
		b.WriteString(" JOIN " + QuoteIdent(hop.Table) + " " + next + " ON ")
		for j := range hop.Columns {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(alias + "." + QuoteIdent(hop.Columns[j]) + " = " + next + "." + QuoteIdent(hop.RefColumns[j]))
		}
		alias = next
	}
	b.WriteString(" WHERE " + alias + "." + QuoteIdent(l.TenantColumn) + " = ?")
	return b.String()
}

// keyCompare is the predicate "(cols) op key" for op ">" or "<=", spelled
// out column by column — (a > ?) OR (a = ? AND b > ?) — which MariaDB turns
// into index ranges where a row constructor comparison would not be. The
// columns belong to t, under alias.
func keyCompare(alias string, t *TenantTable, cols []string, op string, key [][]byte) (string, []any) {
	last := ">"
	strict := ">"
	if op == "<=" {
		last, strict = "<=", "<"
	}
	var ors []string
	var args []any
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, alias+"."+QuoteIdent(cols[j])+" = ?")
			args = append(args, keyArg(t, cols[j], key[j]))
		}
		cmp := strict
		if i == len(cols)-1 {
			cmp = last
		}
		ands = append(ands, alias+"."+QuoteIdent(cols[i])+" "+cmp+" ?")
		args = append(args, keyArg(t, cols[i], key[i]))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// keyArg types a key value for its column: MariaDB compares an integer column
// with a string parameter as floating point, which is wrong past 2^53.
func keyArg(t *TenantTable, column string, raw []byte) any {
	c, _ := t.Column(column)
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		if c.Unsigned() {
			if u, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
				return u
			}
		} else if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return n
		}
	}
	return raw
}

// TenantExists reports whether any tenant-column table holds a row of tenant.
func (l *Layout) TenantExists(ctx context.Context, db *sql.DB, tenant string) (bool, error) {
	for _, t := range l.Tables {
		if t.Scope != ScopeTenant {
			continue
		}
		var one int
		err := db.QueryRowContext(ctx, "SELECT 1 FROM "+QuoteIdent(t.Name)+" WHERE "+QuoteIdent(l.TenantColumn)+" = ? LIMIT 1", tenant).Scan(&one)
		if err == nil {
			return true, nil
		}
		if err != sql.ErrNoRows {
			return false, fmt.Errorf("source: looking for tenant %q in %s: %w", tenant, t.Name, err)
		}
	}
	return false, nil
}
