// Command migrawave moves SaaS tenants from a shared MariaDB database into
// one PostgreSQL database each, in waves orchestrated by Temporal.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app holds the global flags and what commands share.
type app struct {
	configPath  string
	output      string
	logLevel    string
	logFormat   string
	log         *slog.Logger
	cpuProfile  string
	stopProfile func()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			if exit.msg != "" {
				fmt.Fprintln(os.Stderr, "migrawave: "+exit.msg)
			}
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "migrawave: "+oneLine(err.Error()))
		os.Exit(1)
	}
}

// exitError ends the process with a code other than 1, e.g. verify's "differs".
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// oneLine keeps an error to the single line the CLI promises.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:   "migrawave",
		Short: "Move SaaS tenants from a shared MariaDB into per-tenant PostgreSQL databases, in waves",
		Long: `migrawave moves tenants out of one central shared MariaDB database into one
PostgreSQL database per tenant, switches their traffic (Cloudflare DNS or
Tunnel) and queues (RabbitMQ), and rolls back on failure. Every long step is a
Temporal workflow, visible in the Temporal Web UI.

Configuration comes from one YAML file (--config); see deploy/local/migrawave.yaml.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.init()
		},
		PersistentPostRun: func(*cobra.Command, []string) { a.stopProfile() },
	}
	f := root.PersistentFlags()
	f.StringVar(&a.configPath, "config", envOr("MIGRAWAVE_CONFIG", config.DefaultPath), "configuration file (env MIGRAWAVE_CONFIG)")
	f.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&a.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the command to this file")
	_ = f.MarkHidden("cpu-profile")

	root.AddCommand(
		newVersionCmd(a),
		newSetupCmd(a),
		newCatalogCmd(a),
		newDemoCmd(a),
		newCopyCmd(a),
		newVerifyCmd(a),
		newSchemaCmd(a),
		newWorkerCmd(a),
		newWaveCmd(a),
		newTenantCmd(a),
	)
	// Unknown commands and bad flags get the same one-line error as everything else.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	return root
}

func (a *app) init() error {
	var err error
	if a.stopProfile, err = startCPUProfile(a.cpuProfile); err != nil {
		return err
	}
	if a.output != "text" && a.output != "json" {
		return fmt.Errorf("--output: %q is not text or json", a.output)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %q is not debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.log = slog.New(slog.NewTextHandler(os.Stderr, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(os.Stderr, opts))
	default:
		return fmt.Errorf("--log-format: %q is not text or json", a.logFormat)
	}
	slog.SetDefault(a.log)
	return nil
}

// quietSDKLogger is the app's logger for the Temporal SDK, which logs every
// dial at info: commands show only its warnings.
func quietSDKLogger(a *app) *slog.Logger {
	return slog.New(&minLevel{Handler: a.log.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h *minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// config loads the configuration file; commands that need it call this.
func (a *app) config() (*config.Config, error) {
	cfg, err := config.Load(a.configPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: %s does not exist (pass --config or create it; see deploy/local/migrawave.yaml)", a.configPath)
	}
	return cfg, err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.print(cmd, map[string]string{"version": version}, func(w *tableWriter) {
				w.line("migrawave " + version)
			})
		},
	}
}
