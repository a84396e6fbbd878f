package demo

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/pgconnerr"
	"github.com/migrawave/migrawave/internal/target"
)

// ResetReport says what Reset dropped, or would drop.
type ResetReport struct {
	// Databases are the tenant databases, as cluster/database.
	Databases []string `json:"databases"`
	// Catalog is the catalog database, recreated empty.
	Catalog string `json:"catalog"`
	DryRun  bool   `json:"dry_run,omitempty"`
}

// Reset gives the demo a clean start under cfg: it drops the databases a
// migration created (their marker says so) whose names
// migration.database_template gives, on the configured clusters, and
// recreates the catalog database empty. With dryRun it only says what it
// would drop. It is for the demo's own configuration: on any other it
// drops real tenant databases.
func Reset(ctx context.Context, cfg *config.Config, dryRun bool) (ResetReport, error) {
	rep := ResetReport{DryRun: dryRun}
	// The names DatabaseName gives, around a tenant id of letters only.
	const tenant = "tenantxyz"
	before, after, _ := strings.Cut(target.DatabaseName(cfg.Migration.DatabaseTemplate, tenant), tenant)
	for _, cl := range cfg.Clusters {
		conn, err := target.ConnectCluster(ctx, cl)
		if err != nil {
			return rep, err
		}
		names, err := tenantDatabases(ctx, conn, before, after)
		for _, name := range names {
			rep.Databases = append(rep.Databases, cl.Name+"/"+name)
			if err == nil && !dryRun {
				err = conn.Drop(ctx, name)
			}
		}
		conn.Close(ctx)
		if err != nil {
			return rep, err
		}
	}
	u, err := url.Parse(cfg.Catalog.DSN)
	if err != nil || strings.Trim(u.Path, "/") == "" {
		return rep, fmt.Errorf("catalog.dsn: names no database")
	}
	rep.Catalog = strings.Trim(u.Path, "/")
	if dryRun {
		return rep, nil
	}
	u.Path = "/postgres"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return rep, fmt.Errorf("catalog: cannot reach %s: %s", u.Host, pgconnerr.Reason(err))
	}
	defer conn.Close(ctx)
	db := pgx.Identifier{rep.Catalog}.Sanitize()
	for _, sql := range []string{"DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return rep, fmt.Errorf("catalog: recreating %s: %w", rep.Catalog, err)
		}
	}
	return rep, nil
}

// tenantDatabases lists the databases a migration created whose names the
// template before{tenant}after gives: a template of "{tenant}" alone must
// not select the catalog, nor any database migrawave did not make.
func tenantDatabases(ctx context.Context, conn *target.Cluster, before, after string) ([]string, error) {
	names, err := conn.Databases(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if len(n) <= len(before)+len(after) || !strings.HasPrefix(n, before) || !strings.HasSuffix(n, after) {
			continue
		}
		marker, err := conn.Marker(ctx, n)
		if err != nil {
			return nil, err
		}
		if target.IsMigrationMarker(marker) {
			out = append(out, n)
		}
	}
	return out, nil
}
