package source

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/migrawave/migrawave/internal/config"
)

// TenantStat is one tenant found in the source and how big it is there.
type TenantStat struct {
	ID        string
	Rows      int64
	SizeBytes int64
}

// ListTenants finds every tenant id in the tables that carry the tenant
// column (global and excluded tables aside) and counts its rows. Sizes are
// estimated from each table's average row length.
func ListTenants(ctx context.Context, db *sql.DB, src config.Source) ([]TenantStat, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT c.TABLE_NAME, COALESCE(t.AVG_ROW_LENGTH, 0)
		FROM information_schema.COLUMNS c
		JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
		WHERE c.TABLE_SCHEMA = DATABASE() AND c.COLUMN_NAME = ? AND t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_NAME <> ?
		ORDER BY c.TABLE_NAME`, src.TenantColumn, FenceTable)
	if err != nil {
		return nil, fmt.Errorf("source: listing tenant tables: %w", err)
	}
	type table struct {
		name      string
		avgRowLen int64
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.avgRowLen); err != nil {
			rows.Close()
			return nil, fmt.Errorf("source: listing tenant tables: %w", err)
		}
		if o := src.Tables[t.name]; o.Global || o.Exclude {
			continue
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source: listing tenant tables: %w", err)
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("source: no table has the tenant column %q", src.TenantColumn)
	}

	stats := map[string]*TenantStat{}
	col := QuoteIdent(src.TenantColumn)
	for _, t := range tables {
		q := fmt.Sprintf("SELECT %s, COUNT(*) FROM %s GROUP BY %s", col, QuoteIdent(t.name), col)
		if err := scanCounts(ctx, db, q, t.avgRowLen, stats); err != nil {
			return nil, fmt.Errorf("source: counting tenants in %s: %w", t.name, err)
		}
	}
	out := make([]TenantStat, 0, len(stats))
	for _, s := range stats {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func scanCounts(ctx context.Context, db *sql.DB, query string, avgRowLen int64, stats map[string]*TenantStat) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id sql.NullString
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if !id.Valid {
			continue
		}
		s := stats[id.String]
		if s == nil {
			s = &TenantStat{ID: id.String}
			stats[id.String] = s
		}
		s.Rows += n
		s.SizeBytes += n * avgRowLen
	}
	return rows.Err()
}
