package main

import (
	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/workflows"
)

func newSetupCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "setup",
		Short: "Create the catalog schema and register the Temporal search attributes (idempotent)",
		Long: `setup prepares everything migrawave needs outside the code:

  - applies the catalog's SQL migrations that have not run yet,
  - records the configured clusters in the catalog,
  - creates the write fence table (migrawave_fence) in the source, which
    the application reads in every transaction (docs/application-contract.md),
  - registers the search attributes WaveId, TenantId, MigrationPhase and
    TargetCluster (Keyword) in the Temporal namespace.

Running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.config()
			if err != nil {
				return err
			}
			cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
			if err != nil {
				return err
			}
			defer cat.Close()
			migrations, err := cat.Migrate(ctx)
			if err != nil {
				return err
			}
			clusters := make([]catalog.Cluster, len(cfg.Clusters))
			for i, cl := range cfg.Clusters {
				clusters[i] = catalog.Cluster{Name: cl.Name, MaxDatabases: cl.MaxDatabases, MaxBytes: int64(cl.MaxBytes), Draining: cl.Draining}
			}
			clustersChanged, err := cat.SyncClusters(ctx, clusters)
			if err != nil {
				return err
			}
			src, _, err := source.Open(ctx, cfg.Source.DSN)
			if err != nil {
				return err
			}
			defer src.Close()
			if err := source.CreateFence(ctx, src); err != nil {
				return err
			}
			tc, err := temporalclient.Dial(ctx, cfg.Temporal, a.log)
			if err != nil {
				return err
			}
			defer tc.Close()
			added, err := temporalclient.EnsureSearchAttributes(ctx, tc, cfg.Temporal.Namespace, workflows.SearchAttributeNames())
			if err != nil {
				return err
			}
			result := struct {
				MigrationsApplied     int      `json:"migrations_applied"`
				ClustersChanged       int      `json:"clusters_changed"`
				SearchAttributesAdded []string `json:"search_attributes_added"`
			}{migrations, clustersChanged, added}
			return a.print(cmd, result, func(w *tableWriter) {
				w.row("catalog migrations applied:", migrations)
				w.row("clusters changed:", clustersChanged)
				w.row("search attributes added:", len(added))
			})
		},
	}
}
