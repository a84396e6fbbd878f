package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/source"
)

func newCatalogCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Register and list tenants in the catalog",
	}
	cmd.AddCommand(newCatalogImportCmd(a), newCatalogListCmd(a))
	return cmd
}

// openCatalog loads the config and opens a catalog that setup has prepared.
func (a *app) openCatalog(ctx context.Context) (*config.Config, *catalog.Catalog, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		return nil, nil, err
	}
	if err := cat.Ready(ctx); err != nil {
		cat.Close()
		return nil, nil, err
	}
	return cfg, cat, nil
}

func newCatalogImportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "import",
		Short: "Register every tenant found in the source database",
		Long: `import finds every tenant id in the source's tenant tables and registers it in
the catalog with its hostname (from cloudflare.hostname_pattern) and its row and
size estimates. Tenants already registered keep their location; only their
estimates are refreshed while they still live in the source. Running it again
on unchanged data changes nothing.

Tenant ids that cannot be used safely in database names, hostnames and queue
names are refused as a whole, and nothing is registered.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, cat, err := a.openCatalog(ctx)
			if err != nil {
				return err
			}
			defer cat.Close()
			db, _, err := source.Open(ctx, cfg.Source.DSN)
			if err != nil {
				return err
			}
			defer db.Close()
			found, err := source.ListTenants(ctx, db, cfg.Source)
			if err != nil {
				return err
			}
			var invalid []string
			regs := make([]catalog.Registration, 0, len(found))
			for _, t := range found {
				if catalog.ValidateTenantID(t.ID) != nil {
					invalid = append(invalid, fmt.Sprintf("%q", t.ID))
					continue
				}
				regs = append(regs, catalog.Registration{ID: t.ID, Hostname: cfg.Hostname(t.ID), SizeBytes: t.SizeBytes, RowEstimate: t.Rows})
			}
			if len(invalid) > 0 {
				shown := invalid[:min(len(invalid), 5)]
				return fmt.Errorf("the source holds %d tenant id(s) migrawave cannot use (%s); nothing was imported", len(invalid), strings.Join(shown, ", "))
			}
			res, err := cat.Register(ctx, regs)
			if err != nil {
				return err
			}
			a.log.Info("catalog import", "found", len(found), "added", res.Added, "updated", res.Updated, "unchanged", res.Unchanged)
			return a.print(cmd, struct {
				Found int `json:"found"`
				catalog.ImportResult
			}{len(found), res}, func(w *tableWriter) {
				w.line(fmt.Sprintf("%d tenants in the source: %d added, %d updated, %d unchanged", len(found), res.Added, res.Updated, res.Unchanged))
			})
		},
	}
}

func newCatalogListCmd(a *app) *cobra.Command {
	var f catalog.Filter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tenants: where each lives, its state and size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, cat, err := a.openCatalog(ctx)
			if err != nil {
				return err
			}
			defer cat.Close()
			tenants, err := cat.List(ctx, f)
			if err != nil {
				return err
			}
			return a.print(cmd, tenants, func(w *tableWriter) {
				w.row("TENANT", "STATE", "LOCATION", "FROZEN", "ROWS", "SIZE", "HOSTNAME")
				for _, t := range tenants {
					w.row(t.ID, t.State, t.Location, t.Frozen, t.RowEstimate, config.ByteSize(t.SizeBytes).Human(), t.Hostname)
				}
			})
		},
	}
	cmd.Flags().StringVar(&f.State, "state", "", "only tenants in this state (pending, migrating, migrated, rolled_back, failed)")
	cmd.Flags().StringVar(&f.Cluster, "cluster", "", "only tenants on this cluster")
	cmd.Flags().IntVar(&f.Limit, "limit", 0, "at most this many tenants (0 = all)")
	return cmd
}
