// Command tenantapp is the SaaS application as migrawave sees it: it writes,
// publishes and consumes for a set of tenants while they migrate, follows
// the catalog contract (docs/application-contract.md), and records what it
// acknowledged in a ledger that `tenantapp check` compares with where every
// tenant lives afterwards.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/ledger"
	"github.com/migrawave/migrawave/internal/tenantapp"
)

// exitLost is check's exit code when something acknowledged was lost.
const exitLost = 3

type flags struct {
	config, ledger, logLevel string
	log                      *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	var lost *lostError
	switch {
	case errors.As(err, &lost):
		fmt.Fprintln(os.Stderr, "tenantapp: "+err.Error())
		os.Exit(exitLost)
	case err != nil:
		fmt.Fprintln(os.Stderr, "tenantapp: "+strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	f := &flags{}
	root := &cobra.Command{
		Use:           "tenantapp",
		Short:         "The SaaS application during a migration: writes, publishes, consumes, and keeps a ledger",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
				return fmt.Errorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
			}
			f.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	root.PersistentFlags().StringVar(&f.config, "config", envOr("MIGRAWAVE_CONFIG", "migrawave.yaml"), "migrawave's config file: the source, catalog, clusters and brokers")
	root.PersistentFlags().StringVar(&f.ledger, "ledger", "", "the ledger's PostgreSQL DSN (default: database tenantapp_ledger on the first cluster's server, created if missing)")
	root.AddCommand(newRunCmd(f), newCheckCmd(f))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	return root
}

func newRunCmd(f *flags) *cobra.Command {
	var opts tenantapp.Options
	var tenants []string
	var all, reset bool
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "run --tenants a,b | --all",
		Short: "Write, publish and consume for the tenants until stopped (SIGINT, SIGTERM or --duration)",
		Long: `run gives each tenant a steady stream of small transactions (inserts,
updates, deletes of activity_log rows) at --rate per second, publishes a job
per write to the tenant's queues on the broker it is on, and processes those
jobs into the tenant's database once per message id (the inbox table).
It routes by the catalog, refuses a frozen tenant's writes and retries them,
and records every write and message it acknowledged in the ledger. Stopped,
it stops writing and processes what is left in the queues before it exits.`,
		Args: cobra.NoArgs,
		RunE: f.withLedger(func(ctx context.Context, _ *cobra.Command, cfg *config.Config, led *ledger.Ledger) (err error) {
			if reset {
				if err := led.Reset(ctx); err != nil {
					return err
				}
			}
			if all {
				if tenants, err = catalogTenants(ctx, cfg); err != nil {
					return err
				}
			}
			if len(tenants) == 0 {
				return errors.New("no tenants: pass --tenants a,b or --all")
			}
			if duration > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, duration)
				defer cancel()
			}
			opts.Tenants, opts.Log = tenants, f.log
			return tenantapp.Run(ctx, cfg, led, opts)
		}),
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&tenants, "tenants", nil, "tenant ids (comma separated)")
	fl.BoolVar(&all, "all", false, "every tenant the catalog knows")
	fl.Float64Var(&opts.Rate, "rate", 5, "writes per second per tenant (1-20 is a user's pace)")
	fl.BoolVar(&opts.Listen, "listen", true, "LISTEN for the catalog's notifications (false: learn of changes only by re-reading it, or from the source's fence)")
	fl.DurationVar(&opts.Reread, "reread", 5*time.Second, "re-read the catalog this often, in case a notification was missed")
	fl.DurationVar(&opts.DrainTimeout, "drain-timeout", time.Minute, "once stopped, process the queues for at most this long")
	fl.DurationVar(&duration, "duration", 0, "stop after this long (0: at SIGINT or SIGTERM)")
	fl.BoolVar(&reset, "reset-ledger", false, "empty the ledger first")
	return cmd
}

func newCheckCmd(f *flags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Compare the ledger with where every tenant lives now; exit 3 if an acknowledged write or message was lost",
		Args:  cobra.NoArgs,
		RunE: f.withLedger(func(ctx context.Context, cmd *cobra.Command, cfg *config.Config, led *ledger.Ledger) error {
			rep, err := tenantapp.Check(ctx, cfg, led)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "tenants %d: writes acknowledged %d, lost %d, committed after freeze %d\n", rep.Tenants, rep.WritesAcknowledged, rep.WritesLost, rep.WritesAfterFreeze)
				fmt.Fprintf(out, "messages published %d, processed %d, lost %d, duplicated %d\n", rep.MessagesPublished, rep.MessagesProcessed, rep.MessagesLost, rep.MessagesDuplicated)
				fmt.Fprintf(out, "writes refused (freeze window seen by the application, ms): p50 %d, p99 %d, max %d\n", rep.FreezeMS.P50, rep.FreezeMS.P99, rep.FreezeMS.Max)
				for _, p := range rep.Problems {
					fmt.Fprintln(out, "  "+p)
				}
			}
			if rep.WritesLost+rep.WritesAfterFreeze+rep.MessagesLost > 0 {
				return &lostError{rep}
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

type lostError struct{ rep *ledger.Report }

func (e *lostError) Error() string {
	return fmt.Sprintf("%d write(s) lost, %d committed after a freeze, %d message(s) lost", e.rep.WritesLost, e.rep.WritesAfterFreeze, e.rep.MessagesLost)
}

// withLedger runs fn with the config loaded and the ledger open.
func (f *flags) withLedger(fn func(context.Context, *cobra.Command, *config.Config, *ledger.Ledger) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Load(f.config)
		if err != nil {
			return err
		}
		dsn := f.ledger
		if dsn == "" {
			if dsn, err = ledger.DefaultDSN(cfg); err != nil {
				return err
			}
		}
		led, err := ledger.Open(cmd.Context(), dsn)
		if err != nil {
			return err
		}
		defer led.Close()
		return fn(cmd.Context(), cmd, cfg, led)
	}
}

func catalogTenants(ctx context.Context, cfg *config.Config) ([]string, error) {
	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		return nil, err
	}
	defer cat.Close()
	list, err := cat.List(ctx, catalog.Filter{})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.ID
	}
	return ids, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
