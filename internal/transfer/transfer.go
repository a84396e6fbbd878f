// Package transfer assembles what copying or verifying one tenant needs: the
// source and its tenant layout, the target schema, and the tenant's database
// on a cluster. The CLI and the Temporal activities both start here.
package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/parallel"
	"github.com/migrawave/migrawave/internal/retry"
	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/verify"
)

// Transfer is one tenant's source and target, open.
type Transfer struct {
	Tenant   string
	Cluster  string
	Database string
	Source   *sql.DB
	Layout   *source.Layout
	Schema   *schema.Schema
	Target   *pgxpool.Pool
}

// Open validates the tenant, reads the source schema and opens the tenant's
// database on the cluster, creating it when create is set. Nothing is created
// for a tenant id that is invalid or has no rows in the source.
func Open(ctx context.Context, cfg *config.Config, tenant, cluster string, create bool) (*Transfer, error) {
	if err := catalog.ValidateTenantID(tenant); err != nil {
		return nil, retry.Final(err)
	}
	cl, err := cfg.Cluster(cluster)
	if err != nil {
		return nil, retry.Final(err)
	}
	db, _, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		return nil, err
	}
	t := &Transfer{Tenant: tenant, Cluster: cluster, Source: db, Database: target.DatabaseName(cfg.Migration.DatabaseTemplate, tenant)}
	if err := t.open(ctx, cfg, cl, create); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *Transfer) open(ctx context.Context, cfg *config.Config, cl config.Cluster, create bool) error {
	s, err := source.ReadSchema(ctx, t.Source)
	if err != nil {
		return err
	}
	if t.Layout, err = source.Plan(s, cfg.Source); err != nil {
		return retry.Final(err)
	}
	if t.Schema, err = schema.Convert(t.Layout); err != nil {
		return retry.Final(err)
	}
	exists, err := t.Layout.TenantExists(ctx, t.Source, t.Tenant)
	if err != nil {
		return err
	}
	if !exists {
		return retry.Final(fmt.Errorf("unknown tenant %q: no row of it in the source", t.Tenant))
	}
	if create {
		clusterConn, err := target.ConnectCluster(ctx, cl)
		if err != nil {
			return err
		}
		defer clusterConn.Close(context.WithoutCancel(ctx))
		if _, err := clusterConn.Create(ctx, t.Database, cl.Owner, t.Schema.TimeZone); err != nil {
			return err
		}
	}
	// Opening the database is what says whether it exists: one connection
	// fewer for each step of a migration, each of which opens it anew.
	t.Target, err = target.Open(ctx, cl, t.Database, int32(cfg.Migration.CopyParallelism)+2)
	if noDB := (*target.NoDatabaseError)(nil); errors.As(err, &noDB) {
		return retry.Final(fmt.Errorf("tenant %s has no database %s on cluster %s: copy it first", t.Tenant, t.Database, cl.Name))
	}
	return err
}

// Warm opens n connections to the source, and as many to the target as its
// pool allows, for steps that are about to use them at once: a small
// tenant's copy, build and verification, while it is frozen. Opening a
// target connection (TLS, SCRAM, SET ROLE) took 30 to 50 ms on the loaded
// demo, and each step opened several; with warm connections, copying,
// building and verifying a 400-row tenant took 230 ms instead of 640.
func (t *Transfer) Warm(ctx context.Context, n int) error {
	t.Source.SetMaxIdleConns(n)
	var mu sync.Mutex
	var held []func()
	defer func() {
		for _, release := range held {
			release()
		}
	}()
	hold := func(release func()) {
		mu.Lock()
		held = append(held, release)
		mu.Unlock()
	}
	// Each slot holds its connection until all are open, so that none is
	// handed out twice.
	slots := make([]int, n+int(t.Target.Config().MaxConns))
	for i := range slots {
		slots[i] = i
	}
	return parallel.Each(ctx, slots, len(slots), func(ctx context.Context, i int) error {
		if i < n {
			c, err := t.Source.Conn(ctx)
			if err != nil {
				return fmt.Errorf("source: %w", err)
			}
			hold(func() { c.Close() })
			return nil
		}
		c, err := t.Target.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", t.Cluster, err)
		}
		hold(c.Release)
		return nil
	})
}

// Close releases both connections.
func (t *Transfer) Close() {
	if t.Target != nil {
		t.Target.Close()
	}
	if t.Source != nil {
		t.Source.Close()
	}
}

// Copier copies this tenant.
func (t *Transfer) Copier() *bulkcopy.Copier {
	return &bulkcopy.Copier{Source: t.Source, Layout: t.Layout, Schema: t.Schema, Target: t.Target, Tenant: t.Tenant}
}

// Verifier compares this tenant.
func (t *Transfer) Verifier() *verify.Verifier {
	return &verify.Verifier{Source: t.Source, Layout: t.Layout, Schema: t.Schema, Target: t.Target, Tenant: t.Tenant}
}

// PlanSchema reports what every object of the source schema becomes under
// cfg, reading the source only: no target is touched. With a tenant, it
// also counts that tenant's rows of each copied table.
func PlanSchema(ctx context.Context, cfg *config.Config, tenant string) (*schema.Report, error) {
	if tenant != "" {
		if err := catalog.ValidateTenantID(tenant); err != nil {
			return nil, err
		}
	}
	db, _, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	s, err := source.ReadSchema(ctx, db)
	if err != nil {
		return nil, err
	}
	layout, err := source.Plan(s, cfg.Source)
	if err != nil {
		return nil, err
	}
	target, refused := schema.Plan(layout)
	rep := schema.NewReport(layout, target, refused)
	if tenant == "" {
		return rep, nil
	}
	if ok, err := layout.TenantExists(ctx, db, tenant); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("unknown tenant %q: no row of it in the source", tenant)
	}
	for i, tr := range rep.Tables {
		t, ok := layout.Table(tr.Source)
		if !ok {
			continue
		}
		q, args := layout.CountQuery(t, tenant)
		var n int64
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("source: counting %s of tenant %s: %w", t.Name, tenant, err)
		}
		rep.Tables[i].TenantRows = &n
	}
	return rep, nil
}
