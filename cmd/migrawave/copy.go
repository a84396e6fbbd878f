package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/transfer"
	"github.com/migrawave/migrawave/internal/verify"
)

func newCopyCmd(a *app) *cobra.Command {
	var tenant, cluster string
	var opts bulkcopy.Options
	cmd := &cobra.Command{
		Use:   "copy --tenant T --cluster C",
		Short: "Copy one tenant into its own database on a cluster (engine only, no Temporal)",
		Long: `copy runs the data engine directly: it creates the tenant's database on the
cluster (named by migration.database_template), converts the schema, streams
the tenant's rows in key order through binary COPY, then builds keys, indexes,
constraints and sequences, and prints a per-table report.

Every chunk of rows is committed with its checkpoint, so an interrupted copy
continues exactly where it stopped with --resume. Without --resume a database
that already holds a copy is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if opts.Parallelism == 0 {
				opts.Parallelism = cfg.Migration.CopyParallelism
			}
			if !cmd.Flags().Changed("max-rows-per-second") {
				opts.MaxRowsPerSecond = cfg.Migration.CopyMaxRowsPerSecond
			} else if opts.MaxRowsPerSecond < 0 {
				return fmt.Errorf("--max-rows-per-second: must not be negative (0: no limit), got %d", opts.MaxRowsPerSecond)
			}
			ctx := cmd.Context()
			collectLessOften()
			tr, err := transfer.Open(ctx, cfg, tenant, cluster, true)
			if err != nil {
				return err
			}
			defer tr.Close()
			var bar *progressBar
			if a.output == "text" && isTerminal(stderrFile(cmd)) {
				total, err := countRows(ctx, tr)
				if err != nil {
					return err
				}
				bar = newProgressBar(cmd.ErrOrStderr(), "copy "+tenant, total)
				opts.Progress = func(p bulkcopy.Progress) { bar.update(p.Table, p.Rows, p.Bytes) }
			} else {
				opts.Progress = func(p bulkcopy.Progress) {
					a.log.Debug("copied chunk", "table", p.Table, "rows", p.Rows, "bytes", p.Bytes, "done", p.Done)
				}
			}
			rep, err := tr.Copier().Run(ctx, opts)
			if bar != nil {
				bar.finish()
			}
			if err != nil {
				return engineError(err)
			}
			a.log.Info("copy finished", "tenant", tenant, "cluster", cluster, "database", tr.Database, "rows", rep.Rows, "bytes", rep.Bytes)
			return a.print(cmd, struct {
				Cluster  string `json:"cluster"`
				Database string `json:"database"`
				*bulkcopy.Report
			}{cluster, tr.Database, rep}, func(w *tableWriter) { printCopyReport(w, tr, rep) })
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id (required)")
	cmd.Flags().StringVar(&cluster, "cluster", "", "target cluster name from the config (required)")
	cmd.Flags().StringSliceVar(&opts.Tables, "tables", nil, "copy only these tables (comma separated)")
	cmd.Flags().BoolVar(&opts.Resume, "resume", false, "continue an interrupted copy from its checkpoints")
	cmd.Flags().IntVar(&opts.Parallelism, "parallelism", 0, "connections copying at once, large tables split among them (default migration.copy_parallelism)")
	cmd.Flags().IntVar(&opts.ChunkRows, "chunk-rows", 0, "rows per COPY transaction and checkpoint (default 50,000; about ten seconds' worth when throttled)")
	cmd.Flags().Int64Var(&opts.MaxRowsPerSecond, "max-rows-per-second", 0, "read at most this many rows per second from the source, all connections together (default migration.copy_max_rows_per_second; 0: no limit)")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("cluster")
	return cmd
}

// engineError words the data engine's typed errors in the CLI's terms.
func engineError(err error) error {
	var unknown *schema.UnknownTableError
	switch {
	case errors.Is(err, bulkcopy.ErrAlreadyCopied):
		return fmt.Errorf("%w: pass --resume to continue it, or drop the database to start over", err)
	case errors.As(err, &unknown):
		return fmt.Errorf("--tables: %w", err)
	}
	return err
}

func printCopyReport(w *tableWriter, tr *transfer.Transfer, rep *bulkcopy.Report) {
	w.line(fmt.Sprintf("tenant %s → %s/%s: %d rows, %s in %s (data %s, indexes and constraints %s)",
		rep.Tenant, tr.Cluster, tr.Database, rep.Rows, config.ByteSize(rep.Bytes).Human(),
		(rep.DataDuration + rep.PostDataDuration).Round(time.Millisecond), rep.DataDuration.Round(time.Millisecond), rep.PostDataDuration.Round(time.Millisecond)))
	w.row("TABLE", "ROWS", "SIZE", "TIME", "CONVERSIONS")
	for _, t := range rep.Tables {
		var conv []string
		for col, m := range t.Conversions {
			for what, n := range m {
				conv = append(conv, fmt.Sprintf("%s: %d× %s", col, n, what))
			}
		}
		resumed := ""
		if t.Resumed {
			resumed = " (resumed)"
		}
		w.row(t.Table, fmt.Sprint(t.Rows)+resumed, config.ByteSize(t.Bytes).Human(), t.Duration.Round(time.Millisecond), strings.Join(conv, "; "))
	}
	var notes []string
	for _, t := range rep.Tables {
		for _, n := range t.Notes {
			notes = append(notes, t.Table+"."+n)
		}
	}
	if len(notes) > 0 {
		w.line("")
		w.line("schema conversions and warnings:")
		for _, n := range notes {
			w.line("  " + n)
		}
	}
}

func newVerifyCmd(a *app) *cobra.Command {
	var tenant, cluster string
	var opts verify.Options
	cmd := &cobra.Command{
		Use:   "verify --tenant T --cluster C",
		Short: "Compare a tenant's rows in the source and in its database; exit 0 only if they match",
		Long: `verify compares row counts and hashes of normalized values, table by table;
where a table differs, it compares it again chunk by chunk and lists the keys
of missing, extra and different rows where chunks differ.
It exits 0 when source and target match, 3 when they differ, and 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if opts.Parallelism == 0 {
				opts.Parallelism = cfg.Migration.CopyParallelism
			}
			collectLessOften()
			tr, err := transfer.Open(cmd.Context(), cfg, tenant, cluster, false)
			if err != nil {
				return err
			}
			defer tr.Close()
			rep, err := tr.Verifier().Run(cmd.Context(), opts)
			if err != nil {
				return engineError(err)
			}
			err = a.print(cmd, rep, func(w *tableWriter) {
				w.line(rep.Summary())
				w.row("TABLE", "SOURCE", "TARGET", "MISSING", "EXTRA", "DIFFERENT", "MATCH")
				for _, t := range rep.Tables {
					w.row(t.Table, t.SourceRows, t.TargetRows, t.MissingCount, t.ExtraCount, t.DifferentCount, t.Match)
				}
				for _, t := range rep.Tables {
					for _, l := range []struct {
						what string
						keys []string
					}{{"missing", t.Missing}, {"extra", t.Extra}, {"different", t.Different}} {
						if len(l.keys) > 0 {
							w.line(fmt.Sprintf("%s %s: %s", t.Table, l.what, strings.Join(l.keys, " ")))
						}
					}
				}
			})
			if err != nil {
				return err
			}
			if !rep.Match {
				return &exitError{code: 3, msg: rep.Summary()}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id (required)")
	cmd.Flags().StringVar(&cluster, "cluster", "", "cluster holding the tenant's database (required)")
	cmd.Flags().StringSliceVar(&opts.Tables, "tables", nil, "verify only these tables")
	cmd.Flags().IntVar(&opts.ChunkRows, "chunk-rows", 50_000, "rows per compared chunk (a chunk that differs is read again row by row)")
	cmd.Flags().IntVar(&opts.Parallelism, "parallelism", 0, "connections comparing at once, large tables split among them (default migration.copy_parallelism)")
	cmd.Flags().IntVar(&opts.MaxListed, "max-listed", 10, "keys listed per kind of difference")
	cmd.Flags().BoolVar(&opts.CountsOnly, "counts-only", false, "compare row counts only")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("cluster")
	return cmd
}

// countRows totals the tenant's source rows, for the progress bar's ETA.
func countRows(ctx context.Context, tr *transfer.Transfer) (int64, error) {
	var total int64
	for _, t := range tr.Layout.Tables {
		q, args := tr.Layout.CountQuery(t, tr.Tenant)
		var n int64
		if err := tr.Source.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("source: counting %s: %w", t.Name, err)
		}
		total += n
	}
	return total, nil
}

// collectLessOften lets the heap grow to five times what is live (GOGC=400)
// unless GOGC is set. Copy and verify keep little alive, but the MariaDB
// driver allocates a small value for every column of every row: collecting
// less often saves about a tenth of their own CPU for some 20 MiB more
// memory (make bench-copy).
func collectLessOften() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
}
