package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

func newTenantEnv(t *testing.T, fake *fakeActivities) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger)
	env := suite.NewTestWorkflowEnvironment()
	Register(env)
	env.RegisterActivity(fake)
	return env
}

// step is a forward step of a migration and the compensation it registers
// before (freeze, routing) or after (database) it changes the world.
type step struct {
	step, undo string
	undoFirst  bool
}

// The forward steps in order of a small tenant, copied before its freeze,
// and of a large one, frozen for its copy. The last four of each come after
// the commit (the cutover) and undo nothing.
var (
	preCopied = []step{
		{step: "Precheck"},
		{step: "Place"},
		{step: "CreateDatabase", undo: "DropDatabase"},
		{step: "PrepareQueues"},
		{step: "PlanRouting"},
		{step: "CopyData"},
		{step: "BuildIndexes"},
		{step: "FreezeAndSync", undo: "Unfreeze", undoFirst: true},
		{step: "SwitchRouting", undo: "RollbackRouting", undoFirst: true},
		{step: "CutOver"},
		{step: "Unfreeze"},
		{step: "DrainQueues"},
		{step: "MoveQueues"},
		{step: "FinishTarget"},
	}
	stepwise = slices.Concat(preCopied[:5], []step{
		{step: "Freeze", undo: "Unfreeze", undoFirst: true},
		{step: "CopyData"},
		{step: "BuildIndexes"},
		{step: "Verify"},
	}, preCopied[8:])
	// forward is each list by the row estimate of its tenant.
	forward = map[int64][]step{1000: preCopied, oneStepRows: stepwise}
)

func TestTenantMigrationCompletes(t *testing.T) {
	for rows, steps := range forward {
		fake := &fakeActivities{rows: rows}
		env := newTenantEnv(t, fake)
		env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme", WaveID: ""})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		var st TenantStatus
		if err := env.GetWorkflowResult(&st); err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseCompleted || st.Cluster != "pg-b" || st.Database != "t_acme" || st.Rows != 42 {
			t.Fatalf("%d rows: status = %+v", rows, st)
		}
		var want []string
		for _, f := range steps {
			want = append(want, f.step)
		}
		if got := fake.recorded(); !slices.Equal(got, want) {
			t.Fatalf("%d rows: calls:\n got %v\nwant %v", rows, got, want)
		}
	}
}

// A refused precheck changes nothing: no other step runs, nothing is undone
// or recorded in the catalog, and the tenant ends Skipped with the reason.
func TestRefusedPrecheckSkipsTheTenant(t *testing.T) {
	fake := &fakeActivities{failAt: "Precheck"}
	env := newTenantEnv(t, fake)
	env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme"})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != ErrTypeSkipped || !strings.Contains(appErr.Message(), "in Precheck") {
		t.Fatalf("workflow error = %v; want Skipped with the precheck's reason", err)
	}
	var st TenantStatus
	if err := appErr.Details(&st); err != nil || st.Phase != PhaseSkipped {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if got := fake.recorded(); !slices.Equal(got, []string{"Precheck"}) {
		t.Fatalf("calls = %v; want the precheck alone", got)
	}
}

// A failure at any later step runs the compensations registered so far,
// newest first, and the tenant ends RolledBack with the reason.
func TestSagaRollsBackInReverseAtEveryStep(t *testing.T) {
	for rows, steps := range forward {
		for i, f := range steps[:len(steps)-4] { // the commit and what comes after it
			if f.step == "Precheck" {
				continue // a refusal skips the tenant (above)
			}
			t.Run(fmt.Sprintf("%d rows/%s", rows, f.step), func(t *testing.T) {
				fake := &fakeActivities{failAt: f.step, rows: rows}
				env := newTenantEnv(t, fake)
				env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme"})
				err := env.GetWorkflowError()
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) || appErr.Type() != ErrTypeRolledBack || !strings.Contains(appErr.Message(), "in "+f.step) {
					t.Fatalf("workflow error = %v; want RolledBack naming %s", err, f.step)
				}
				var st TenantStatus
				if err := appErr.Details(&st); err != nil || st.Phase != PhaseRolledBack {
					t.Fatalf("status = %+v, %v", st, err)
				}
				var undo []string
				for j := i; j >= 0; j-- {
					if steps[j].undo != "" && (steps[j].undoFirst || j < i) {
						undo = append(undo, steps[j].undo)
					}
				}
				undo = append(undo, "SetState:rolled_back")
				got := fake.recorded()
				if rolledBack := got[i+1:]; !slices.Equal(rolledBack, undo) {
					t.Fatalf("after %s failed:\n got %v\nwant %v", f.step, rolledBack, undo)
				}
			})
		}
	}
}

// An abort during the copy rolls back what was done: a small tenant is not
// frozen yet.
func TestAbortMidCopyRollsBack(t *testing.T) {
	for rows, undo := range map[int64][]string{
		1000:        {"DropDatabase", "SetState:rolled_back"},
		oneStepRows: {"Unfreeze", "DropDatabase", "SetState:rolled_back"},
	} {
		fake := &fakeActivities{blockCopy: true, copying: make(chan struct{}), rows: rows}
		env := newTenantEnv(t, fake)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAbort, nil) }, time.Second)
		env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme", TargetCluster: "pg-c"})
		var appErr *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &appErr) || !strings.Contains(appErr.Message(), "aborted") {
			t.Fatalf("%d rows: workflow error = %v; want aborted", rows, err)
		}
		calls := fake.recorded()
		if i := slices.Index(calls, "CopyData"); i < 0 || !slices.Equal(calls[i+1:], undo) {
			t.Fatalf("%d rows: calls = %v", rows, calls)
		}
		if slices.Contains(calls, "Place") {
			t.Fatal("placement ran although the target cluster was given")
		}
	}
}

func TestFailingCompensationEndsFailedWithTheReason(t *testing.T) {
	fake := &fakeActivities{failAt: "FreezeAndSync", failUndo: "DropDatabase"}
	env := newTenantEnv(t, fake)
	env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme"})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != ErrTypeRollbackFailed {
		t.Fatalf("workflow error = %v; want RollbackFailed", err)
	}
	var st TenantStatus
	_ = appErr.Details(&st)
	if st.Phase != PhaseFailed || !strings.Contains(st.RollbackError, "drop the target database") || !strings.Contains(st.RollbackError, "injected failure in DropDatabase") {
		t.Fatalf("status = %+v", st)
	}
	if !slices.Contains(fake.recorded(), "SetState:failed") {
		t.Fatalf("calls = %v", fake.recorded())
	}
}

func TestHoldBeforeWaitsForContinue(t *testing.T) {
	fake := &fakeActivities{}
	env := newTenantEnv(t, fake)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		var st TenantStatus
		if err != nil || v.Get(&st) != nil || !st.Held || st.Phase != PhaseVerifying || slices.Contains(fake.recorded(), "Verify") {
			t.Errorf("while held: %+v, %v, calls %v", st, err, fake.recorded())
		}
		env.SignalWorkflow(SignalContinue, nil)
	}, time.Hour)
	env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme", Options: TenantOptions{HoldBefore: PhaseVerifying}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
}

// A migration started without a configuration fingerprint takes its first
// worker's; one started with a fingerprint keeps it.
func TestTenantMigrationCarriesItsConfigFingerprint(t *testing.T) {
	for given, want := range map[string]string{"": fakeConfig, "0123456789ab": "0123456789ab"} {
		env := newTenantEnv(t, &fakeActivities{})
		env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme", ConfigFingerprint: given})
		var st TenantStatus
		if err := env.GetWorkflowResult(&st); err != nil || st.ConfigFingerprint != want {
			t.Errorf("started with %q: status %+v, %v; want fingerprint %s", given, st, err, want)
		}
	}
}

// The verification is the last look at the source before the cutover.
// When it is not (an operator held the tenant before Switching, or the
// verification only counted rows), the write-after-freeze alarm looks again
// immediately before the cutover.
func TestTheAlarmLooksAgainWhenTheVerificationIsNotTheLastLook(t *testing.T) {
	for name, tc := range map[string]struct {
		fake *fakeActivities
		in   TenantOptions
	}{
		"held before Switching": {fake: &fakeActivities{}, in: TenantOptions{HoldBefore: PhaseSwitching}},
		"counts only":           {fake: &fakeActivities{countsOnly: true}},
	} {
		t.Run(name, func(t *testing.T) {
			env := newTenantEnv(t, tc.fake)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalContinue, nil) }, time.Minute)
			env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme", Options: tc.in})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			calls := tc.fake.recorded()
			if i := slices.Index(calls, "CheckNoWriteAfterFreeze"); i < 0 || calls[i+1] != "CutOver" {
				t.Fatalf("calls = %v; want the alarm immediately before the cutover", calls)
			}
		})
	}
}

// A step after the cutover that fails for good undoes nothing: the tenant
// stays in its new database, and the migration ends Failed saying so.
func TestAFailureAfterTheCutoverUndoesNothing(t *testing.T) {
	f := &fakeActivities{failAt: "MoveQueues"}
	env := newTenantEnv(t, f)
	env.ExecuteWorkflow(TenantMigration, TenantInput{TenantID: "acme"})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != ErrTypeFailedAfterCutover {
		t.Fatalf("workflow error = %v; want FailedAfterCutover", err)
	}
	var st TenantStatus
	_ = appErr.Details(&st)
	if st.Phase != PhaseFailed || !strings.Contains(st.Error, "cut over to pg-b/t_acme, but moving its queues failed") || st.FreezeDuration < 0 {
		t.Fatalf("status = %+v", st)
	}
	calls := f.recorded()
	if i := slices.Index(calls, "MoveQueues"); calls[len(calls)-1] != "MoveQueues" || i < 0 {
		t.Fatalf("calls = %v; want nothing undone or recorded after the failed move", calls)
	}
}
