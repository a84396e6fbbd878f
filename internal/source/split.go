package source

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
)

// Partition says how to cut a tenant's rows of a table into ranges of
// about equal size — (nil, k1], (k1, k2], …, (kn, nil] of its range columns
// — so that several connections can copy or verify a large table at once.
type Partition struct {
	Keys [][][]byte // the cuts; none: the table stays whole
	// Weight estimates the work of the whole table — its bytes plus a cost
	// per row, about that of rowCost bytes — to start the largest first.
	Weight int64
}

// rowCost is what one row costs beyond its bytes, in bytes: reading it,
// framing it in two wire protocols, storing it. Measured on the benchmark
// schema, a narrow row costs about as much as a hundred bytes of a wide one.
const rowCost = 100

// SplitFor partitions t for work on the given number of connections reading
// chunks of chunkRows rows, as the copy and the verifier both do: twice as
// many ranges as connections keeps the end even (the last ranges to finish
// are small), and a range smaller than two chunks is not worth it.
func (l *Layout) SplitFor(ctx context.Context, db *sql.DB, t *TenantTable, tenant string, connections, chunkRows int) (Partition, error) {
	return l.split(ctx, db, t, tenant, 2*connections, int64(2*chunkRows))
}

// split partitions a tenant's rows of t into up to parts ranges of at least
// minRows rows each (for an owned table as estimated from its parents' rows
// and the tables' sizes).
//
// Only a single integer range column is split, evenly between its least and
// greatest value: cheap to find with one query, and a tenant's ids spread
// about evenly in practice. A key led by the tenant column, such as
// (tenant_id, id), counts as its last column alone: the tenant's rows all
// share the first. Other tables stay whole.
func (l *Layout) split(ctx context.Context, db *sql.DB, t *TenantTable, tenant string, parts int, minRows int64) (Partition, error) {
	table, cols := t, t.Key
	if t.Paged() {
		hop := t.Path[0]
		parent, ok := l.Table(hop.Table)
		if !ok {
			return Partition{}, fmt.Errorf("source: %s is owned by %s, which is not a tenant table", t.Name, hop.Table)
		}
		table, cols = parent, hop.RefColumns
	}
	// The cuts repeat the tenant in the columns before the one split.
	var lead [][]byte
	if len(cols) == 2 && table.Scope == ScopeTenant && cols[0] == l.TenantColumn {
		lead = [][]byte{[]byte(tenant)}
	}
	rangeCol := cols[len(lead)]
	col, _ := table.Column(rangeCol)
	splittable := len(cols) == len(lead)+1
	switch col.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
	default:
		splittable = false
	}
	q := "SELECT COUNT(*), NULL, NULL FROM " + l.scopedFrom(table)
	if splittable {
		q = "SELECT COUNT(*), MIN(t." + QuoteIdent(rangeCol) + "), MAX(t." + QuoteIdent(rangeCol) + ") FROM " + l.scopedFrom(table)
	}
	var n int64
	var lo, hi sql.NullString
	if err := db.QueryRowContext(ctx, q, tenant).Scan(&n, &lo, &hi); err != nil {
		return Partition{}, fmt.Errorf("source: sizing %s: %w", t.Name, err)
	}
	rows := n
	if table != t && table.Rows > 0 {
		rows = n * t.Rows / table.Rows // parents times rows per parent
	}
	p := Partition{Weight: rows * (t.AvgRowLength + rowCost)}
	parts = int(min(int64(parts), rows/max(minRows, 1)))
	if !splittable || parts < 2 || !lo.Valid {
		return p, nil
	}
	// Offsets from the least value, in uint64 so that any int64 or uint64 span fits.
	var least, span uint64
	if col.Unsigned() {
		a, err1 := strconv.ParseUint(lo.String, 10, 64)
		b, err2 := strconv.ParseUint(hi.String, 10, 64)
		if err1 != nil || err2 != nil {
			return p, nil
		}
		least, span = a, b-a
	} else {
		a, err1 := strconv.ParseInt(lo.String, 10, 64)
		b, err2 := strconv.ParseInt(hi.String, 10, 64)
		if err1 != nil || err2 != nil {
			return p, nil
		}
		least, span = uint64(a), uint64(b)-uint64(a)
	}
	if span/uint64(parts) == 0 {
		return p, nil
	}
	for i := 1; i < parts; i++ {
		k := least + span/uint64(parts)*uint64(i)
		var text []byte
		if col.Unsigned() {
			text = strconv.AppendUint(nil, k, 10)
		} else {
			text = strconv.AppendInt(nil, int64(k), 10)
		}
		p.Keys = append(p.Keys, append(slices.Clone(lead), text))
	}
	return p, nil
}
