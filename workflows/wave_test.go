package workflows

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
)

// fakeTenant stands in for TenantMigration in wave tests: it takes a while,
// fails the tenants whose id starts with "bad", skips those starting with
// "gone", and reports to its wave as the real one does.
func fakeTenant(ctx workflow.Context, in TenantInput) (TenantStatus, error) {
	_ = workflow.Sleep(ctx, time.Duration(1+len(in.TenantID)%5)*time.Minute)
	st := TenantStatus{TenantID: in.TenantID, WaveID: in.WaveID, Phase: PhaseCompleted, Rows: 10}
	errType := ErrTypeRolledBack
	switch {
	case strings.HasPrefix(in.TenantID, "bad"):
		st.Phase, st.Error = PhaseRolledBack, "verification failed"
	case strings.HasPrefix(in.TenantID, "gone"):
		st.Phase, st.Error, errType = PhaseSkipped, "tenant "+in.TenantID+" already lives in pg-b/t_x", ErrTypeSkipped
	}
	m := &migration{in: in, status: st}
	m.notifyWave(ctx)
	if st.Phase != PhaseCompleted {
		return st, temporal.NewNonRetryableApplicationError(st.Error, errType, nil, st)
	}
	return st, nil
}

func newWaveEnv() *testsuite.TestWorkflowEnvironment { return newWaveEnvWith(fakeTenant) }

// newWaveEnvWith runs the wave with tenant standing in for TenantMigration.
func newWaveEnvWith(tenant func(workflow.Context, TenantInput) (TenantStatus, error)) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger)
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(2 * time.Minute)
	env.RegisterWorkflowWithOptions(Wave, workflow.RegisterOptions{Name: WaveName})
	env.RegisterWorkflowWithOptions(tenant, workflow.RegisterOptions{Name: TenantMigrationName})
	env.RegisterActivity(&fakeActivities{})
	// The test environment delivers signals to children only; a child's
	// report to its wave is dropped here and the wave learns the outcome
	// from the child's result, its fallback within a run. The signal path
	// across continue-as-new runs is covered on a real server in tests/.
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, SignalTenantDone, mock.Anything).Return(nil)
	return env
}

func tenantIDs(n int, prefix string) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return ids
}

func waveResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) (WaveStatus, error) {
	t.Helper()
	var st WaveStatus
	err := env.GetWorkflowError()
	if err == nil {
		if e := env.GetWorkflowResult(&st); e != nil {
			t.Fatal(e)
		}
		return st, nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		_ = appErr.Details(&st)
	}
	return st, err
}

func TestWaveRunsEveryTenantWithinItsWindow(t *testing.T) {
	env := newWaveEnv()
	maxRunning := 0
	for i := 1; i < 200; i++ {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(QueryStatus)
			var st WaveStatus
			if err == nil && v.Get(&st) == nil {
				maxRunning = max(maxRunning, len(st.Running))
			}
		}, time.Duration(i)*7*time.Minute)
	}
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-1", Tenants: tenantIDs(3000, "t"), Concurrency: 25, MaxHistoryEvents: 1 << 30})
	st, err := waveResult(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if st.Completed != 3000 || len(st.Outcomes) != 3000 || st.Pending != 0 || len(st.Running) != 0 {
		t.Fatalf("wave ended %+v", st)
	}
	if maxRunning == 0 || maxRunning > 25 {
		t.Fatalf("at most %d tenants ran at once; want 1..25", maxRunning)
	}
}

// Past MaxHistoryEvents the wave continues as new, carrying the tenants in
// flight, the outcomes so far and the signals it received.
func TestWaveContinuesAsNewCarryingEverything(t *testing.T) {
	env := newWaveEnv()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSetConcurrency, 7) }, 30*time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, nil) }, 40*time.Second)
	// The test environment does not count history events; say it grew.
	env.RegisterDelayedCallback(func() { env.SetCurrentHistoryLength(600) }, 50*time.Second)
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-2", Tenants: tenantIDs(3000, "t"), Concurrency: 20, MaxHistoryEvents: 500})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v; want continue-as-new", err)
	}
	var next WaveInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	s := next.State
	if s == nil || s.Runs != 1 || s.Concurrency != 7 || !s.Paused {
		t.Fatalf("carried state %+v; want run 1, concurrency 7, paused", s)
	}
	if len(s.Running) == 0 || s.Next != len(s.Running)+len(s.Outcomes) {
		t.Fatalf("carried %d running + %d done of %d started: a tenant was lost", len(s.Running), len(s.Outcomes), s.Next)
	}
	if len(next.Tenants) != 3000 {
		t.Fatalf("carried %d tenants", len(next.Tenants))
	}
}

func TestWaveFailureBudgetStopsNewStarts(t *testing.T) {
	env := newWaveEnv()
	tenants := append(tenantIDs(3, "bad"), tenantIDs(50, "ok")...)
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-3", Tenants: tenants, Concurrency: 3, MaxFailed: 2})
	st, err := waveResult(t, env)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrTypeFailureBudgetExceeded {
		t.Fatalf("workflow error = %v; want FailureBudgetExceeded", err)
	}
	if st.RolledBack != 3 || st.Pending == 0 || !st.BudgetSpent {
		t.Fatalf("report %+v; want 3 rolled back and the rest never started", st)
	}
	for _, o := range st.Outcomes {
		if o.Phase == PhaseRolledBack && o.Error != "verification failed" {
			t.Fatalf("outcome %+v lacks its reason", o)
		}
	}
}

// Skipped tenants (refused by their precheck) are counted apart and not
// charged to the failure budget.
func TestWaveCountsSkippedTenantsApartFromTheBudget(t *testing.T) {
	env := newWaveEnv()
	tenants := append(tenantIDs(3, "gone"), tenantIDs(10, "ok")...)
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-8", Tenants: tenants, Concurrency: 2, MaxFailed: 1})
	st, err := waveResult(t, env)
	if err != nil || st.Skipped != 3 || st.Completed != 10 || st.RolledBack+st.Failed != 0 || st.BudgetSpent {
		t.Fatalf("wave %+v, %v; want 10 completed and 3 skipped within budget", st, err)
	}
}

func TestWavePauseStopsNewStartsAndResumeContinues(t *testing.T) {
	env := newWaveEnv()
	var atPause, laterWhilePaused WaveStatus
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, nil) }, 30*time.Second)
	env.RegisterDelayedCallback(func() { atPause = queryWave(t, env) }, 31*time.Second)
	env.RegisterDelayedCallback(func() {
		laterWhilePaused = queryWave(t, env)
		env.SignalWorkflow(SignalResume, nil)
	}, 3*time.Hour)
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-4", Tenants: tenantIDs(40, "t"), Concurrency: 5})
	st, err := waveResult(t, env)
	if err != nil || st.Completed != 40 {
		t.Fatalf("wave %+v, %v", st, err)
	}
	if !laterWhilePaused.Paused || len(laterWhilePaused.Running) != 0 || laterWhilePaused.Pending != atPause.Pending {
		t.Fatalf("while paused: %+v (at pause %+v); want no new starts", laterWhilePaused, atPause)
	}
}

func TestWaveAbortSignalsRunningTenantsAndStartsNoMore(t *testing.T) {
	env := newWaveEnv()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAbort, nil) }, 30*time.Second)
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-5", Tenants: tenantIDs(40, "t"), Concurrency: 5})
	st, _ := waveResult(t, env)
	if !st.Aborted || st.Pending != 35 {
		t.Fatalf("after abort: %+v; want 35 never started", st)
	}
}

// set-rate changes the copy limit of the tenants started after it; a
// tenant's own limit wins, and its other overrides keep the wave's limit.
func TestWaveSetRateAppliesToTenantsStartedAfterIt(t *testing.T) {
	var mu sync.Mutex
	rates := map[string]int64{}
	env := newWaveEnvWith(func(ctx workflow.Context, in TenantInput) (TenantStatus, error) {
		mu.Lock()
		rates[in.TenantID] = in.Options.MaxRowsPerSecond
		mu.Unlock()
		return fakeTenant(ctx, in)
	})
	// t-0000 runs for two minutes; the others start one at a time after it.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSetRate, 2000) }, 30*time.Second)
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-6", Tenants: tenantIDs(4, "t"), Concurrency: 1,
		Options: TenantOptions{MaxRowsPerSecond: 500},
		Overrides: map[string]TenantOptions{
			"t-0002": {KeepTargetOnRollback: true},
			"t-0003": {MaxRowsPerSecond: 7},
		}})
	if st, err := waveResult(t, env); err != nil || st.Completed != 4 || st.MaxRowsPerSecond != 2000 {
		t.Fatalf("wave %+v, %v", st, err)
	}
	want := map[string]int64{"t-0000": 500, "t-0001": 2000, "t-0002": 2000, "t-0003": 7}
	if !maps.Equal(rates, want) {
		t.Fatalf("copy limits the tenants started with: %v; want %v", rates, want)
	}
}

// A tenant listed twice is refused when the wave starts, naming it: its
// second migration could never run beside the first.
func TestWaveRefusesADuplicateTenant(t *testing.T) {
	env := newWaveEnv()
	env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-7", Tenants: []string{"acme-0001", "globex-0002", "acme-0001"}, Concurrency: 2})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeBadInput || appErr.Message() != "tenant acme-0001 is listed twice in the wave" {
		t.Fatalf("workflow error = %v; want BadInput naming acme-0001", err)
	}
}

// A wave passes its configuration fingerprint to its tenants: the one it
// was started with, or else its first worker's.
func TestWavePassesItsConfigFingerprintToItsTenants(t *testing.T) {
	for given, want := range map[string]string{"": fakeConfig, "0123456789ab": "0123456789ab"} {
		var mu sync.Mutex
		got := map[string]bool{}
		env := newWaveEnvWith(func(ctx workflow.Context, in TenantInput) (TenantStatus, error) {
			mu.Lock()
			got[in.ConfigFingerprint] = true
			mu.Unlock()
			return fakeTenant(ctx, in)
		})
		env.ExecuteWorkflow(Wave, WaveInput{WaveID: "w-9", Tenants: tenantIDs(3, "t"), Concurrency: 2, ConfigFingerprint: given})
		if st, err := waveResult(t, env); err != nil || st.ConfigFingerprint != want || !maps.Equal(got, map[string]bool{want: true}) {
			t.Errorf("started with %q: wave %+v, %v, tenants started with %v; want %s", given, st, err, got, want)
		}
	}
}

func TestWaveRefusesBadInput(t *testing.T) {
	for _, in := range []WaveInput{
		{WaveID: "w", Tenants: []string{"a"}, Concurrency: 0},
		{WaveID: "w", Tenants: []string{"a"}, Concurrency: -3},
		{WaveID: "w", Concurrency: 1},
		{Tenants: []string{"a"}, Concurrency: 1},
		{WaveID: "w", Tenants: []string{"a"}, Concurrency: 1, Options: TenantOptions{MaxRowsPerSecond: -2}},
		{WaveID: "w", Tenants: []string{"a"}, Concurrency: 1, Overrides: map[string]TenantOptions{"a": {MaxRowsPerSecond: -9}}},
	} {
		env := newWaveEnv()
		env.ExecuteWorkflow(Wave, in)
		var appErr *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeBadInput {
			t.Errorf("%+v: %v; want BadInput", in, err)
		}
	}
}

func queryWave(t *testing.T, env *testsuite.TestWorkflowEnvironment) WaveStatus {
	t.Helper()
	v, err := env.QueryWorkflow(QueryStatus)
	var st WaveStatus
	if err != nil || v.Get(&st) != nil {
		t.Errorf("query: %v", err)
	}
	return st
}
