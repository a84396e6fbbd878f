package catalog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SyncClusters makes the clusters table match the configured clusters.
// Clusters no longer configured stay, marked draining: tenants may still live
// there and the foreign key keeps them pointing somewhere real.
func (c *Catalog) SyncClusters(ctx context.Context, clusters []Cluster) (changed int, err error) {
	err = pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		names := make([]string, len(clusters))
		for i, cl := range clusters {
			names[i] = cl.Name
			tag, err := tx.Exec(ctx, `
				INSERT INTO clusters AS c (name, max_databases, max_bytes, draining) VALUES ($1, $2, $3, $4)
				ON CONFLICT (name) DO UPDATE
				SET max_databases = excluded.max_databases, max_bytes = excluded.max_bytes,
				    draining = excluded.draining, updated_at = now()
				WHERE (c.max_databases, c.max_bytes, c.draining) IS DISTINCT FROM (excluded.max_databases, excluded.max_bytes, excluded.draining)`,
				cl.Name, cl.MaxDatabases, cl.MaxBytes, cl.Draining)
			if err != nil {
				return err
			}
			changed += int(tag.RowsAffected())
		}
		tag, err := tx.Exec(ctx, `UPDATE clusters SET draining = true, updated_at = now() WHERE NOT (name = ANY($1)) AND NOT draining`, names)
		changed += int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("catalog: syncing clusters: %w", err)
	}
	return changed, nil
}

// Clusters returns every cluster, ordered by name.
func (c *Catalog) Clusters(ctx context.Context) ([]Cluster, error) {
	rows, err := c.pool.Query(ctx, `SELECT name, max_databases, max_bytes, draining FROM clusters ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("catalog: listing clusters: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Cluster])
}

// ClusterUsage is a cluster's capacity and what tenants placed there use.
type ClusterUsage struct {
	Cluster
	Databases int   `json:"databases"`
	Bytes     int64 `json:"bytes"`
}

// ClusterUsage returns every cluster with the tenants placed on it (moved or
// on their way), ordered by name.
func (c *Catalog) ClusterUsage(ctx context.Context) ([]ClusterUsage, error) {
	rows, err := c.pool.Query(ctx, `SELECT c.name, c.max_databases, c.max_bytes, c.draining,
			count(t.tenant_id)::int, coalesce(sum(t.size_bytes), 0)::bigint
		FROM clusters c LEFT JOIN tenants t ON t.cluster = c.name
		GROUP BY c.name ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("catalog: reading cluster usage: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClusterUsage, error) {
		var u ClusterUsage
		err := r.Scan(&u.Name, &u.MaxDatabases, &u.MaxBytes, &u.Draining, &u.Databases, &u.Bytes)
		return u, err
	})
}
