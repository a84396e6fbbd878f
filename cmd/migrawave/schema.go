package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/transfer"
)

func newSchemaCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Review how the source schema converts to the tenant databases",
	}
	cmd.AddCommand(newSchemaPlanCmd(a))
	return cmd
}

func newSchemaPlanCmd(a *app) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "plan [--tenant T]",
		Short: "Print what every table and object of the source becomes, without touching any target",
		Long: `plan reads the source schema and the config, and prints what a copy would
build in every tenant database: each table's status (copied, global,
excluded, or refused with the reason), its row key, every column's mapping,
every index, check and foreign key with its target or why it is skipped,
the views, sequences, triggers, events and routines and what becomes of
them, the warnings, and the PostgreSQL DDL. Review it once over the whole
source before a campaign. It exits 0 when nothing is refused, 3 otherwise.

With --tenant, it also counts that tenant's rows of each table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			rep, err := transfer.PlanSchema(cmd.Context(), cfg, tenant)
			if err != nil {
				return err
			}
			if err := a.print(cmd, rep, func(w *tableWriter) { printSchemaPlan(w, rep) }); err != nil {
				return err
			}
			var refused []string
			for _, t := range rep.Tables {
				if t.Status == schema.StatusRefused {
					refused = append(refused, t.Source)
				}
			}
			if len(refused) > 0 {
				return &exitError{code: 3, msg: fmt.Sprintf("%d table(s) refused: %s", len(refused), strings.Join(refused, ", "))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "also count this tenant's rows of each table")
	return cmd
}

func printSchemaPlan(w *tableWriter, rep *schema.Report) {
	w.line(fmt.Sprintf("source %s, tenant column %s", rep.Database, rep.TenantColumn))
	w.row("TABLE", "STATUS", "TARGET", "KEY", "COLUMNS", "TENANT ROWS")
	for _, t := range rep.Tables {
		rows := "-"
		if t.TenantRows != nil {
			rows = fmt.Sprint(*t.TenantRows)
		}
		w.row(t.Source, t.Status, orDash(t.Target), orDash(strings.Join(t.Key, ", ")), len(t.Columns), rows)
	}
	for _, t := range rep.Tables {
		if len(t.Columns) == 0 && len(t.Refused) == 0 {
			continue
		}
		w.line("")
		w.line(fmt.Sprintf("%s (%s):", t.Source, t.Status))
		for _, r := range t.Refused {
			w.line("  refused: " + r)
		}
		for _, c := range t.Columns {
			w.row("  "+c.Source, c.SourceType, "→ "+c.Type, strings.Join(c.Notes, "; "))
		}
		for _, group := range []struct {
			what string
			list []schema.ObjectOutcome
		}{{"index", t.Indexes}, {"check", t.Checks}, {"foreign key", t.ForeignKeys}} {
			for _, o := range group.list {
				if o.Skipped != "" {
					w.line(fmt.Sprintf("  %s %s: skipped, %s", group.what, o.Source, o.Skipped))
				} else {
					w.line(fmt.Sprintf("  %s %s → %s", group.what, o.Source, o.Target))
				}
			}
		}
		for _, n := range t.Notes {
			w.line("  note: " + n)
		}
	}
	if len(rep.Objects) > 0 {
		w.line("")
		w.line("other objects:")
		for _, o := range rep.Objects {
			w.line(fmt.Sprintf("  %s %s: %s", o.Kind, o.Name, o.Outcome))
		}
	}
	if len(rep.Warnings) > 0 {
		w.line("")
		w.line("warnings:")
		for _, x := range rep.Warnings {
			w.line("  " + x)
		}
	}
	w.line("")
	w.line("-- DDL of every tenant database")
	for _, s := range rep.DDL {
		w.line(s + ";")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
