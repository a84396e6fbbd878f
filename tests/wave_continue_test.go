package tests

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// quickTenant stands in for TenantMigration: it reports to its wave at once,
// as the real one does at its end.
func quickTenant(ctx workflow.Context, in workflows.TenantInput) (workflows.TenantStatus, error) {
	st := workflows.TenantStatus{TenantID: in.TenantID, WaveID: in.WaveID, Phase: workflows.PhaseCompleted, Rows: 1}
	_ = workflow.SignalExternalWorkflow(ctx, workflows.WaveWorkflowID(in.WaveID), "", workflows.SignalTenantDone, st).Get(ctx, nil)
	return st, nil
}

// On the real server a wave whose history passes its limit continues as new
// several times, and its tenants — some finishing while a run ends, reporting
// to the next one — and its signals all arrive.
func TestWaveContinuesAsNewOnTheServer(t *testing.T) {
	cfg := testenv.Config(t)
	queue := fmt.Sprintf("can-%d", time.Now().UnixNano())
	tc, err := temporalclient.Dial(context.Background(), cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close)
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Wave, workflow.RegisterOptions{Name: workflows.WaveName})
	w.RegisterWorkflowWithOptions(quickTenant, workflow.RegisterOptions{Name: workflows.TenantMigrationName})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	waveID := fmt.Sprintf("can-%d", time.Now().UnixNano()%1e9)
	tenants := make([]string, 300)
	for i := range tenants {
		tenants[i] = fmt.Sprintf("%s-t%03d", waveID, i)
	}
	run, err := tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: workflows.WaveWorkflowID(waveID), TaskQueue: queue},
		workflows.WaveName, workflows.WaveInput{WaveID: waveID, Tenants: tenants, Concurrency: 15, MaxHistoryEvents: 400})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tc.TerminateWorkflow(context.Background(), workflows.WaveWorkflowID(waveID), "", "end of test")
	})
	time.Sleep(2 * time.Second)
	if err := tc.SignalWorkflow(context.Background(), workflows.WaveWorkflowID(waveID), "", workflows.SignalSetConcurrency, 25); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var st workflows.WaveStatus
	// GetWorkflow follows the chain of runs to the last one.
	if err := tc.GetWorkflow(ctx, workflows.WaveWorkflowID(waveID), run.GetRunID()).Get(ctx, &st); err != nil {
		t.Fatal(err)
	}
	if st.Completed != 300 || len(st.Outcomes) != 300 || st.Pending != 0 {
		t.Fatalf("wave ended %d completed of %d outcomes, %d pending; want all 300", st.Completed, len(st.Outcomes), st.Pending)
	}
	if st.Runs < 3 {
		t.Fatalf("the wave ran %d times; want it to continue as new at least twice", st.Runs)
	}
	if st.Concurrency != 25 {
		t.Fatalf("concurrency %d after continue-as-new; the set-concurrency signal was lost", st.Concurrency)
	}
}
