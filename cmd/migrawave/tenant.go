package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/workflows"
)

func newTenantCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Migrate one tenant outside a wave, follow or abort its migration",
	}
	cmd.AddCommand(newTenantMigrateCmd(a), newTenantStatusCmd(a),
		&cobra.Command{
			Use:   "abort TENANT",
			Short: "Abort a tenant's migration: it rolls back and stays in the source",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.signal(cmd, workflows.TenantWorkflowID(args[0]), workflows.SignalAbort, nil, "the migration of "+args[0])
			},
		},
		&cobra.Command{
			Use:   "continue TENANT",
			Short: "Let a migration held by --hold-before go on",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.signal(cmd, workflows.TenantWorkflowID(args[0]), workflows.SignalContinue, nil, "the migration of "+args[0])
			},
		})
	return cmd
}

func newTenantMigrateCmd(a *app) *cobra.Command {
	var in workflows.TenantInput
	var hold string
	cmd := &cobra.Command{
		Use:   "migrate TENANT",
		Short: "Start the migration of one tenant (workflow tenant/<tenant>)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.TenantID = args[0]
			if err := catalog.ValidateTenantID(in.TenantID); err != nil {
				return err
			}
			in.Options.HoldBefore = workflows.Phase(hold)
			cfg, tc, err := a.temporal(cmd.Context())
			if err != nil {
				return err
			}
			defer tc.Close()
			if in.TargetCluster != "" {
				if _, err := cfg.Cluster(in.TargetCluster); err != nil {
					return fmt.Errorf("--cluster: %w", err)
				}
			}
			in.DataTaskQueue = cfg.Temporal.DataTaskQueue
			in.ConfigFingerprint = cfg.Fingerprint()
			id := workflows.TenantWorkflowID(in.TenantID)
			run, err := tc.ExecuteWorkflow(cmd.Context(), client.StartWorkflowOptions{
				ID: id, TaskQueue: cfg.Temporal.TaskQueue,
				WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
				WorkflowExecutionErrorWhenAlreadyStarted: true,
				StaticSummary:                            fmt.Sprintf("%s → %s", in.TenantID, orPlacement(in.TargetCluster)),
				TypedSearchAttributes: temporal.NewSearchAttributes(workflows.TenantIDKey.ValueSet(in.TenantID),
					workflows.MigrationPhaseKey.ValueSet(string(workflows.PhasePending))),
			}, workflows.TenantMigrationName, in)
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return fmt.Errorf("a migration of %s is already running", in.TenantID)
			}
			if err != nil {
				return fmt.Errorf("starting the migration of %s: %w", in.TenantID, err)
			}
			return a.print(cmd, map[string]string{"workflow_id": id, "run_id": run.GetRunID(), "ui": workflowURL(cfg, id)}, func(w *tableWriter) {
				w.line("started " + id + "; UI: " + workflowURL(cfg, id))
			})
		},
	}
	cmd.Flags().StringVar(&in.TargetCluster, "cluster", "", "target cluster (default: placement decides)")
	cmd.Flags().BoolVar(&in.Options.KeepTargetOnRollback, "keep-target", false, "keep the target database if the migration rolls back")
	cmd.Flags().StringVar(&hold, "hold-before", "", "park the migration before this phase until `tenant continue`, e.g. Verifying")
	return cmd
}

func orPlacement(cluster string) string {
	if cluster == "" {
		return "(placement)"
	}
	return cluster
}

func newTenantStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status TENANT",
		Short: "Show a tenant's migration: phase, timings, rows, and the running step's progress",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, tc, err := a.temporal(ctx)
			if err != nil {
				return err
			}
			defer tc.Close()
			id := workflows.TenantWorkflowID(args[0])
			var st workflows.TenantStatus
			desc, err := describeAndQuery(ctx, tc, id, "no migration of "+args[0]+" has run", &st)
			if err != nil {
				return err
			}
			// The running step's progress lives in its heartbeat, not in the workflow.
			var steps []string
			for _, p := range desc.GetPendingActivities() {
				step := p.GetActivityType().GetName()
				if hb := p.GetHeartbeatDetails(); hb != nil && len(hb.GetPayloads()) > 0 {
					step += " " + string(hb.GetPayloads()[0].GetData())
				}
				steps = append(steps, step)
			}
			out := struct {
				workflows.TenantStatus
				Running []string `json:"running_steps,omitempty"`
			}{st, steps}
			return a.print(cmd, out, func(w *tableWriter) {
				w.line(fmt.Sprintf("%s: %s → %s/%s, phase %s, %d rows, frozen for %s",
					st.TenantID, "source", st.Cluster, st.Database, st.Phase, st.Rows, st.FreezeDuration.Round(time.Millisecond)))
				if st.Held {
					w.line("held before " + string(st.Phase) + ": `migrawave tenant continue " + st.TenantID + "` to go on")
				}
				if st.Error != "" {
					w.line("error: " + st.Error)
				}
				if st.RollbackError != "" {
					w.line("rollback incomplete: " + st.RollbackError)
				}
				for _, s := range steps {
					w.line("running: " + s)
				}
				for p, d := range st.PhaseTimes {
					w.row("  "+string(p), d)
				}
				w.line("UI: " + workflowURL(cfg, id))
			})
		},
	}
}
