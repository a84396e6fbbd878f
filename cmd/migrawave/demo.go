package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/demo"
)

func newDemoCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Demo data for the local stack",
	}
	cmd.AddCommand(newDemoSeedCmd(a), newDemoResetCmd(a))
	return cmd
}

func newDemoResetCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Drop the demo's tenant databases and recreate its catalog empty",
		Long: `reset gives the demo a clean start: it drops every database that
migration.database_template names on the configured clusters and recreates
the catalog database (catalog.dsn) empty. Without --force it only lists what
it would drop. It is for the demo's configuration: on a real one it drops
real tenant databases.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			rep, err := demo.Reset(cmd.Context(), cfg, !force)
			if err != nil {
				return err
			}
			if err := a.print(cmd, rep, func(w *tableWriter) {
				line := "dropped %d tenant databases and recreated the catalog database %s"
				if rep.DryRun {
					line = "would drop %d tenant databases and recreate the catalog database %s"
				}
				w.line(fmt.Sprintf(line, len(rep.Databases), rep.Catalog))
				for _, db := range rep.Databases {
					w.line("  " + db)
				}
			}); err != nil {
				return err
			}
			if rep.DryRun {
				return &exitError{code: 1, msg: "nothing was dropped: pass --force to drop them"}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "drop them (without it, only list them)")
	return cmd
}

func newDemoSeedCmd(a *app) *cobra.Command {
	opts := demo.Options{}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Fill the source with demo tenants, their queues and DNS records",
		Long: `seed creates a multi-tenant CRM/invoicing schema in the source database
(companies, contacts, deals, invoices, invoice_lines, payments, documents,
activity_log and a global settings table) and fills it with tenants whose sizes
are skewed like real customers: a few large, many small. It also puts messages
in each tenant's queues on the old broker and a DNS record per tenant hostname
pointing at the old platform.

The demo tables are dropped and recreated: the same --seed always gives the
same data. Nothing but the demo's own tables is touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if a.output == "text" {
				opts.Progress = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "  "+msg) }
			}
			rep, err := demo.Seed(cmd.Context(), cfg, opts)
			if err != nil {
				return err
			}
			return a.print(cmd, rep, func(w *tableWriter) {
				w.line(fmt.Sprintf("seeded %d tenants: %d rows (%s of documents), %d queue messages, DNS records %d created, %d updated, %d unchanged, in %s",
					len(rep.Tenants), rep.TotalRows, config.ByteSize(rep.BlobBytes).Human(), rep.Queues.Messages,
					rep.DNS.Created, rep.DNS.Updated, rep.DNS.Unchanged, rep.Duration.Round(time.Millisecond)))
				w.row("TABLE", "ROWS")
				for _, t := range rep.Tables {
					w.row(t.Table, t.Rows)
				}
			})
		},
	}
	cmd.Flags().IntVar(&opts.Tenants, "tenants", 50, "number of tenants")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed: the same seed gives the same data")
	cmd.Flags().Float64Var(&opts.Scale, "scale", 1, "multiplies every tenant's size")
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "", "put this before every tenant id (e2e-7-acme-0001), to seed tenants of other names beside the demo's")
	return cmd
}
