package source

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// ChunkQuery selects one chunk of a tenant's rows of t in key order:
// the given columns (in that order), after the key lastKey (none: from the
// start), at most limit rows. It returns the SQL and its arguments; every
// identifier is quoted and every value is a parameter.
func (l *Layout) ChunkQuery(t *TenantTable, columns []string, tenant string, lastKey [][]byte, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("t." + QuoteIdent(c))
	}
	b.WriteString(" FROM " + l.scopedFrom(t))
	args := []any{tenant}
	if lastKey != nil {
		pred, keyArgs := keysetAfter(t, lastKey)
		b.WriteString(" AND " + pred)
		args = append(args, keyArgs...)
	}
	b.WriteString(" ORDER BY ")
	for i, k := range t.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("t." + QuoteIdent(k))
	}
	b.WriteString(" LIMIT ?")
	args = append(args, limit)
	return b.String(), args
}

// CountQuery counts a tenant's rows of t.
func (l *Layout) CountQuery(t *TenantTable, tenant string) (string, []any) {
	return "SELECT COUNT(*) FROM " + l.scopedFrom(t), []any{tenant}
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

// keysetAfter is the predicate "key > lastKey" spelled out column by column
// — (a > ?) OR (a = ? AND b > ?) — which MariaDB turns into index ranges
// where a row constructor comparison would not be.
func keysetAfter(t *TenantTable, last [][]byte) (string, []any) {
	key := t.Key
	var ors []string
	var args []any
	for i := range key {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, "t."+QuoteIdent(key[j])+" = ?")
			args = append(args, keyArg(t, key[j], last[j]))
		}
		ands = append(ands, "t."+QuoteIdent(key[i])+" > ?")
		args = append(args, keyArg(t, key[i], last[i]))
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
