package source

import (
	"context"
	"database/sql"
)

// Pager walks an owned table's rows of one tenant in pages of parent keys,
// sized so that a page holds about the wanted number of rows: it learns the
// rows per parent from the pages it has seen.
type Pager struct {
	layout  *Layout
	db      *sql.DB
	table   *TenantTable
	tenant  string
	upto    [][]byte // the last parent key paged, nil: the last parent
	rows    int      // wanted rows per page
	parents int      // parents in the next page
}

// NewPager pages t (an owned table) for tenant up to the parent key upto
// (nil: to the last), aiming at rows rows a page.
func (l *Layout) NewPager(db *sql.DB, t *TenantTable, tenant string, upto [][]byte, rows int) *Pager {
	// Start small: until a page is seen, a parent may own many rows.
	return &Pager{layout: l, db: db, table: t, tenant: tenant, upto: upto, rows: rows, parents: max(1, rows/16)}
}

// Next returns the end of the page after the parent key after (nil: from
// the start), and whether it is the last page: that one ends at upto.
func (p *Pager) Next(ctx context.Context, after [][]byte) (end [][]byte, last bool, err error) {
	end, err = p.layout.NextPage(ctx, p.db, p.table, p.tenant, after, p.upto, p.parents)
	if err != nil || end != nil {
		return end, false, err
	}
	return p.upto, true, nil
}

// Seen tells the pager how many rows the last page held, to size the next.
func (p *Pager) Seen(rows int64) {
	if rows <= 0 {
		p.parents *= 4
		return
	}
	next := int(int64(p.parents) * int64(p.rows) / rows)
	p.parents = max(1, min(next, p.parents*4))
}
