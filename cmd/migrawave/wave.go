package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"gopkg.in/yaml.v3"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/workflows"
)

var waveIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func newWaveCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wave",
		Short: "Start, watch and steer waves of tenant migrations",
		Long: `A wave migrates a list of tenants, at most --concurrency at once, stopping new
starts when its failure budget is spent. It is the Temporal workflow
wave/<id>; each tenant is a child workflow tenant/<tenant>, searchable in the
Web UI and the temporal CLI by WaveId, TenantId, MigrationPhase and TargetCluster.`,
	}
	cmd.AddCommand(newWaveStartCmd(a), newWaveStatusCmd(a), newWaveWatchCmd(a),
		newWaveSignalCmd(a, "pause", workflows.SignalPause, "Stop starting tenants; running ones go on"),
		newWaveSignalCmd(a, "resume", workflows.SignalResume, "Start tenants again after a pause"),
		newWaveSignalCmd(a, "abort", workflows.SignalAbort, "Roll back running tenants and start no more"),
		newWaveSetConcurrencyCmd(a), newWaveSetRateCmd(a))
	return cmd
}

// temporal dials Temporal with the loaded config.
func (a *app) temporal(ctx context.Context) (*config.Config, client.Client, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	tc, err := temporalclient.Dial(ctx, cfg.Temporal, quietSDKLogger(a))
	if err != nil {
		return nil, nil, err
	}
	return cfg, tc, nil
}

func workflowURL(cfg *config.Config, id string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(cfg.Temporal.UIURL, "/"), cfg.Temporal.Namespace, url.PathEscape(id))
}

func newWaveStartCmd(a *app) *cobra.Command {
	var id, tenants, fromFile, cluster string
	var concurrency, maxFailed int
	var maxFailedPercent float64
	var maxRows int64
	var allowUnknown bool
	cmd := &cobra.Command{
		Use:   "start --id W (--tenants a,b,c | --from-file wave.yaml)",
		Short: "Start a wave",
		Long: `start begins the workflow wave/<id>. The tenants come from --tenants or from a
YAML or JSON file with the Wave input (the same the temporal CLI takes):

  tenants: [acme, globex]
  concurrency: 10
  max_failed: 3              # or max_failed_percent: 5
  target_cluster: pg-b       # empty: placement picks by free capacity
  options: {keep_target_on_rollback: false, max_rows_per_second: 20000}
  overrides: {acme: {hold_before: Verifying}}

Flags override the file. An id that is already running is refused, and so are
tenants listed twice, and tenants the catalog does not know unless
--allow-unknown is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			in := workflows.WaveInput{}
			if fromFile != "" {
				if err := readWaveFile(fromFile, &in); err != nil {
					return err
				}
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if id != "" {
				in.WaveID = id
			}
			if tenants != "" {
				in.Tenants = strings.Split(tenants, ",")
			}
			if cmd.Flags().Changed("concurrency") || in.Concurrency == 0 {
				in.Concurrency = concurrency
				if !cmd.Flags().Changed("concurrency") {
					in.Concurrency = cfg.Migration.Concurrency
				}
			}
			if cmd.Flags().Changed("max-failed") {
				in.MaxFailed = maxFailed
			}
			if cmd.Flags().Changed("max-failed-percent") {
				in.MaxFailedPercent = maxFailedPercent
			}
			if cluster != "" {
				in.TargetCluster = cluster
			}
			if cmd.Flags().Changed("max-rows-per-second") {
				in.Options.MaxRowsPerSecond = maxRows
			}
			in.DataTaskQueue = cfg.Temporal.DataTaskQueue
			in.ConfigFingerprint = cfg.Fingerprint()
			if err := checkWaveInput(cfg, in); err != nil {
				return err
			}
			if !allowUnknown {
				if err := a.refuseUnknownTenants(ctx, in.Tenants); err != nil {
					return err
				}
			}
			_, tc, err := a.temporal(ctx)
			if err != nil {
				return err
			}
			defer tc.Close()
			wid := workflows.WaveWorkflowID(in.WaveID)
			run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID:                       wid,
				TaskQueue:                cfg.Temporal.TaskQueue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
				// Without it the SDK hands back the running wave as if just started.
				WorkflowExecutionErrorWhenAlreadyStarted: true,
				StaticSummary:                            fmt.Sprintf("wave %s: %d tenants, %d at once", in.WaveID, len(in.Tenants), in.Concurrency),
				TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.WaveIDKey.ValueSet(in.WaveID)),
			}, workflows.WaveName, in)
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return fmt.Errorf("wave %s is already running; watch it with `migrawave wave watch %s` or pick another id", in.WaveID, in.WaveID)
			}
			if err != nil {
				return fmt.Errorf("starting wave %s: %w", in.WaveID, err)
			}
			res := map[string]any{"wave_id": in.WaveID, "workflow_id": wid, "run_id": run.GetRunID(), "tenants": len(in.Tenants), "ui": workflowURL(cfg, wid)}
			return a.print(cmd, res, func(w *tableWriter) {
				w.line(fmt.Sprintf("started wave %s: %d tenants, %d at once", in.WaveID, len(in.Tenants), in.Concurrency))
				w.line("watch it: migrawave wave watch " + in.WaveID)
				w.line("UI:       " + workflowURL(cfg, wid))
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "wave id (required unless in the file)")
	cmd.Flags().StringVar(&tenants, "tenants", "", "tenant ids, comma separated")
	cmd.Flags().StringVar(&fromFile, "from-file", "", "YAML or JSON file with the wave input")
	cmd.Flags().StringVar(&cluster, "cluster", "", "target cluster for every tenant (default: placement decides)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "tenants migrated at once (default migration.concurrency)")
	cmd.Flags().IntVar(&maxFailed, "max-failed", 0, "stop starting tenants once more than this many failed (0: no limit)")
	cmd.Flags().Float64Var(&maxFailedPercent, "max-failed-percent", 0, "the same as a percentage of the wave (0: no limit)")
	cmd.Flags().BoolVar(&allowUnknown, "allow-unknown", false, "start even if the catalog does not know some tenants (each of them ends Skipped)")
	cmd.Flags().Int64Var(&maxRows, "max-rows-per-second", 0, "cap each tenant's copy at this many source rows per second (default migration.copy_max_rows_per_second of the workers; -1: no limit)")
	return cmd
}

// readWaveFile reads the Wave input from YAML or JSON (JSON is YAML), with
// the field names of the JSON input the temporal CLI takes.
func readWaveFile(path string, in *workflows.WaveInput) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--from-file: %w", err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("--from-file %s: not valid YAML or JSON: %v", path, err)
	}
	asJSON, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("--from-file %s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(asJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return fmt.Errorf("--from-file %s: %v", path, err)
	}
	return nil
}

func checkWaveInput(cfg *config.Config, in workflows.WaveInput) error {
	switch {
	case !waveIDPattern.MatchString(in.WaveID):
		return fmt.Errorf("--id: %q is not a wave id (letters, digits, . _ -; up to 63)", in.WaveID)
	case len(in.Tenants) == 0:
		return errors.New("the wave has no tenants: pass --tenants or --from-file")
	case in.Concurrency < 1:
		return fmt.Errorf("--concurrency: must be at least 1, got %d", in.Concurrency)
	case in.MaxFailed < 0:
		return fmt.Errorf("--max-failed: must not be negative, got %d", in.MaxFailed)
	case in.MaxFailedPercent < 0 || in.MaxFailedPercent > 100:
		return fmt.Errorf("--max-failed-percent: must be between 0 and 100, got %g", in.MaxFailedPercent)
	}
	if err := in.CheckOptions(); err != nil {
		return err
	}
	if dup := workflows.FirstDuplicate(in.Tenants); dup != "" {
		return fmt.Errorf("tenant %s is listed twice in the wave", dup)
	}
	if in.TargetCluster != "" {
		if _, err := cfg.Cluster(in.TargetCluster); err != nil {
			return fmt.Errorf("--cluster: %w", err)
		}
	}
	return nil
}

// refuseUnknownTenants refuses a wave naming tenants the catalog does not
// know: most likely a typo, or a `catalog import` not run yet.
func (a *app) refuseUnknownTenants(ctx context.Context, tenants []string) error {
	_, cat, err := a.openCatalog(ctx)
	if err != nil {
		return err
	}
	defer cat.Close()
	unknown, err := cat.Unknown(ctx, tenants)
	if err != nil || len(unknown) == 0 {
		return err
	}
	shown := unknown[:min(len(unknown), 10)]
	more := ""
	if len(unknown) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(unknown)-len(shown))
	}
	return fmt.Errorf("the catalog does not know %d of the wave's tenants: %s%s (run `migrawave catalog import`, fix the list, or pass --allow-unknown)",
		len(unknown), strings.Join(shown, ", "), more)
}

func newWaveStatusCmd(a *app) *cobra.Command {
	var patience time.Duration
	cmd := &cobra.Command{
		Use:   "status W",
		Short: "Show a wave's counts, failed tenants with reasons, and ETA",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, tc, err := a.temporal(cmd.Context())
			if err != nil {
				return err
			}
			defer tc.Close()
			var st workflows.WaveStatus
			var closed string
			err = reconnecting(cmd.Context(), cmd.ErrOrStderr(), cfg.Temporal.Address, patience, func() (err error) {
				st, closed, err = waveStatus(cmd.Context(), tc, args[0])
				return err
			})
			if err != nil {
				return err
			}
			return a.print(cmd, st, func(w *tableWriter) { printWave(w, cfg, st, closed) })
		},
	}
	addReconnectFlag(cmd, &patience)
	return cmd
}

func addReconnectFlag(cmd *cobra.Command, patience *time.Duration) {
	cmd.Flags().DurationVar(patience, "reconnect-timeout", defaultReconnectTimeout,
		"how long to keep retrying when Temporal stops answering (a restart) before giving up")
}

// waveStatus queries a wave; closed is the workflow's end state, or "" while it runs.
func waveStatus(ctx context.Context, tc client.Client, wave string) (workflows.WaveStatus, string, error) {
	var st workflows.WaveStatus
	desc, err := describeAndQuery(ctx, tc, workflows.WaveWorkflowID(wave), "no wave "+wave, &st)
	if err != nil {
		return st, "", err
	}
	closed := ""
	if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		closed = strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
	}
	return st, closed, nil
}

// describeAndQuery describes a workflow and decodes its status into out:
// from the result (or the failure's details) once it has ended, so that no
// worker is needed to read it, else from its `status` query. unknown says
// what to tell when the workflow never ran.
func describeAndQuery(ctx context.Context, tc client.Client, id, unknown string, out any) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, errors.New(unknown)
	}
	if err != nil {
		return nil, err
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		err := tc.GetWorkflow(ctx, id, "").Get(ctx, out)
		var appErr *temporal.ApplicationError
		if err == nil || errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(out) == nil {
			return desc, nil
		}
		// Terminated or timed out: no result, ask the workflow itself.
	}
	v, err := tc.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	if err != nil {
		return nil, fmt.Errorf("querying %s: %w", id, err)
	}
	return desc, v.Get(out)
}

func printWave(w *tableWriter, cfg *config.Config, st workflows.WaveStatus, closed string) {
	state := "running"
	switch {
	case closed != "":
		state = closed
	case st.Aborted:
		state = "aborting"
	case st.Paused:
		state = "paused"
	}
	w.line(fmt.Sprintf("wave %s: %s — %d tenants: %d pending, %d running, %d completed, %d skipped, %d rolled back, %d failed (concurrency %d, elapsed %s, ETA %s)",
		st.WaveID, state, st.Total, st.Pending, len(st.Running), st.Completed, st.Skipped, st.RolledBack, st.Failed, st.Concurrency,
		st.Elapsed.Round(time.Second), st.ETA.Round(time.Second)))
	if st.BudgetSpent {
		w.line("failure budget exceeded: no new tenants are started")
	}
	w.row("TENANT", "END", "CLUSTER", "ROWS", "TIME", "ERROR")
	for _, o := range st.Outcomes {
		w.row(o.TenantID, o.Phase, o.Cluster, o.Rows, o.Duration.Round(time.Second), o.Error)
	}
	if st.ConfigFingerprint != "" {
		w.line("configuration: " + st.ConfigFingerprint)
	}
	w.line("UI: " + workflowURL(cfg, workflows.WaveWorkflowID(st.WaveID)))
}

func newWaveWatchCmd(a *app) *cobra.Command {
	var interval, patience time.Duration
	cmd := &cobra.Command{
		Use:   "watch W",
		Short: "Follow a wave to its end: a progress bar on a terminal, plain lines otherwise",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, tc, err := a.temporal(cmd.Context())
			if err != nil {
				return err
			}
			defer tc.Close()
			tty := a.output == "text" && isTerminal(stderrFile(cmd))
			last := ""
			for {
				var st workflows.WaveStatus
				var closed string
				err := reconnecting(ctx, cmd.ErrOrStderr(), cfg.Temporal.Address, patience, func() (err error) {
					st, closed, err = waveStatus(ctx, tc, args[0])
					return err
				})
				if err != nil {
					return err
				}
				done := st.Completed + st.Skipped + st.RolledBack + st.Failed
				line := fmt.Sprintf("%d/%d done: %d completed, %d skipped, %d rolled back, %d failed; %d running, %d pending",
					done, st.Total, st.Completed, st.Skipped, st.RolledBack, st.Failed, len(st.Running), st.Pending)
				switch {
				case tty:
					bar := int(float64(done) / float64(max(st.Total, 1)) * 30)
					fmt.Fprintf(cmd.ErrOrStderr(), "\rwave %s [%s%s] %s   ", st.WaveID, strings.Repeat("=", bar), strings.Repeat(" ", 30-bar), line)
				case line != last && a.output == "text":
					fmt.Fprintf(cmd.ErrOrStderr(), "%s wave %s: %s\n", time.Now().Format(time.TimeOnly), st.WaveID, line)
				}
				last = line
				if closed != "" {
					if tty {
						fmt.Fprintln(cmd.ErrOrStderr())
					}
					if err := a.print(cmd, st, func(w *tableWriter) { printWave(w, cfg, st, closed) }); err != nil {
						return err
					}
					if closed != "completed" {
						return &exitError{code: 1, msg: fmt.Sprintf("wave %s ended %s", st.WaveID, closed)}
					}
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(interval):
				}
			}
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often to look")
	addReconnectFlag(cmd, &patience)
	return cmd
}

func newWaveSignalCmd(a *app, use, signal, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " W",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.signal(cmd, workflows.WaveWorkflowID(args[0]), signal, nil, "wave "+args[0])
		},
	}
}

func newWaveSetConcurrencyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "set-concurrency W N",
		Short: "Change how many tenants a running wave migrates at once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return fmt.Errorf("concurrency: %q is not a whole number of at least 1", args[1])
			}
			return a.signal(cmd, workflows.WaveWorkflowID(args[0]), workflows.SignalSetConcurrency, n, "wave "+args[0])
		},
	}
}

func newWaveSetRateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "set-rate W N",
		Short: "Change the copy limit (rows per second) of the tenants a running wave starts next",
		Long: `set-rate caps what each tenant's copy reads from the source, all its
connections together, for the tenants the wave starts from now on; copies
already running keep their limit. N is rows per second; 0 returns to the
workers' migration.copy_max_rows_per_second, -1 lifts any limit. A tenant
with a limit of its own in the wave's overrides keeps it.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || n < -1 {
				return fmt.Errorf("rate: %q is not a number of rows per second (0: the workers' default, -1: no limit)", args[1])
			}
			return a.signal(cmd, workflows.WaveWorkflowID(args[0]), workflows.SignalSetRate, n, "wave "+args[0])
		},
	}
}

// signal sends a signal to a running workflow and says so.
func (a *app) signal(cmd *cobra.Command, workflowID, signal string, arg any, what string) error {
	_, tc, err := a.temporal(cmd.Context())
	if err != nil {
		return err
	}
	defer tc.Close()
	err = tc.SignalWorkflow(cmd.Context(), workflowID, "", signal, arg)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%s is not running", what)
	}
	if err != nil {
		return fmt.Errorf("signalling %s: %w", what, err)
	}
	return a.print(cmd, map[string]string{"workflow_id": workflowID, "signal": signal}, func(w *tableWriter) {
		w.line(fmt.Sprintf("sent %s to %s", signal, what))
	})
}
