package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/demo"
	"github.com/migrawave/migrawave/internal/ledger"
	"github.com/migrawave/migrawave/internal/tenantapp"
)

func newDemoCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Demo data for the local stack",
	}
	cmd.AddCommand(newDemoSeedCmd(a), newDemoResetCmd(a), newDemoReportCmd(a))
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

// demoReport is .local/demo-report.json: what the product's users lived
// through during the demo's wave. The keys are a contract (issue 14).
type demoReport struct {
	Tenants            int                `json:"tenants"`
	Completed          int                `json:"completed"`
	WritesAcknowledged int                `json:"writes_acknowledged"`
	WritesLost         int                `json:"writes_lost"`
	WritesAfterFreeze  int                `json:"writes_after_freeze"`
	MessagesPublished  int                `json:"messages_published"`
	MessagesLost       int                `json:"messages_lost"`
	MessagesDuplicated int                `json:"messages_duplicated"`
	FreezeMS           ledger.Percentiles `json:"freeze_ms"`
	WorkflowFreezeMS   ledger.Percentiles `json:"workflow_freeze_ms"`
}

func newDemoReportCmd(a *app) *cobra.Command {
	var wave, ledgerDSN, out string
	cmd := &cobra.Command{
		Use:   "report --wave W",
		Short: "What the application lived through during a wave: writes and messages lost, freeze windows",
		Long: `report checks the application's ledger (tenantapp's, see
docs/application-contract.md) against where every tenant lives now, reads the
wave's outcome, and prints writes acknowledged, lost and committed after a
freeze; messages published, lost and duplicated; and the freeze window per
tenant as the application saw it (the longest span its writes were refused)
and as the workflow measured it (FreezeDuration), p50, p99 and max.
With --out it also writes them as JSON. It exits 3 if anything acknowledged
was lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, tc, err := a.temporal(ctx)
			if err != nil {
				return err
			}
			defer tc.Close()
			st, _, err := waveStatus(ctx, tc, wave)
			if err != nil {
				return err
			}
			if ledgerDSN == "" {
				if ledgerDSN, err = ledger.DefaultDSN(cfg); err != nil {
					return err
				}
			}
			led, err := ledger.Open(ctx, ledgerDSN)
			if err != nil {
				return err
			}
			defer led.Close()
			check, err := tenantapp.Check(ctx, cfg, led)
			if err != nil {
				return err
			}
			var freezes []int64
			for _, o := range st.Outcomes {
				if o.Freeze > 0 {
					freezes = append(freezes, o.Freeze.Milliseconds())
				}
			}
			rep := demoReport{
				Tenants: st.Total, Completed: st.Completed,
				WritesAcknowledged: check.WritesAcknowledged, WritesLost: check.WritesLost, WritesAfterFreeze: check.WritesAfterFreeze,
				MessagesPublished: check.MessagesPublished, MessagesLost: check.MessagesLost, MessagesDuplicated: check.MessagesDuplicated,
				FreezeMS: check.FreezeMS, WorkflowFreezeMS: ledger.PercentilesOf(freezes),
			}
			if out != "" {
				b, _ := json.MarshalIndent(rep, "", "  ")
				if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			if err := a.print(cmd, rep, func(w *tableWriter) {
				w.row("tenants:", fmt.Sprintf("%d, %d completed", rep.Tenants, rep.Completed))
				w.row("writes:", fmt.Sprintf("%d acknowledged, %d lost, %d committed after a freeze", rep.WritesAcknowledged, rep.WritesLost, rep.WritesAfterFreeze))
				w.row("messages:", fmt.Sprintf("%d published, %d lost, %d duplicated", rep.MessagesPublished, rep.MessagesLost, rep.MessagesDuplicated))
				w.row("freeze, as the application saw it:", fmt.Sprintf("p50 %d ms, p99 %d ms, max %d ms", rep.FreezeMS.P50, rep.FreezeMS.P99, rep.FreezeMS.Max))
				w.row("freeze, as the workflow measured it:", fmt.Sprintf("p50 %d ms, p99 %d ms, max %d ms", rep.WorkflowFreezeMS.P50, rep.WorkflowFreezeMS.P99, rep.WorkflowFreezeMS.Max))
				for _, p := range check.Problems {
					w.line("  " + p)
				}
			}); err != nil {
				return err
			}
			if rep.WritesLost+rep.WritesAfterFreeze+rep.MessagesLost > 0 {
				return &exitError{code: 3, msg: fmt.Sprintf("%d write(s) lost, %d committed after a freeze, %d message(s) lost", rep.WritesLost, rep.WritesAfterFreeze, rep.MessagesLost)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&wave, "wave", "", "the wave (required)")
	cmd.Flags().StringVar(&ledgerDSN, "ledger", "", "the application's ledger (default: database tenantapp_ledger on the first cluster's server)")
	cmd.Flags().StringVar(&out, "out", "", "also write the report to this file, as JSON")
	_ = cmd.MarkFlagRequired("wave")
	return cmd
}
