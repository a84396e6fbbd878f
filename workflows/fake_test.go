package workflows

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/activities"
	"github.com/migrawave/migrawave/internal/queues"
	"github.com/migrawave/migrawave/internal/routing"
	"github.com/migrawave/migrawave/internal/verify"
)

// fakeActivities stands in for every activity under the real names, records
// the calls in order, and fails the one named in failAt.
type fakeActivities struct {
	mu     sync.Mutex
	calls  []string
	failAt string
	// failUndo names a compensation that fails too.
	failUndo string
	// blockCopy makes CopyData wait until it is canceled.
	blockCopy bool
	copying   chan struct{}
	// countsOnly makes Verify count rows instead of comparing them.
	countsOnly bool
	// rows is the precheck's row estimate (default 1,000: a small tenant).
	rows int64
}

var errFake = errors.New("injected failure")

// quietLogger keeps the SDK's per-event logging out of test output.
var quietLogger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func (f *fakeActivities) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if name == f.failAt || name == f.failUndo {
		return temporal.NewNonRetryableApplicationError(errFake.Error()+" in "+name, activities.ErrTypeBadInput, nil)
	}
	return nil
}

func (f *fakeActivities) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeConfig is the configuration fingerprint of the fake workers.
const fakeConfig = "fa4e0c0f1a90"

// ConfigFingerprint is not recorded: it is no step of the migration.
func (f *fakeActivities) ConfigFingerprint(context.Context) (string, error) { return fakeConfig, nil }

func (f *fakeActivities) Precheck(ctx context.Context, in activities.PrecheckInput) (activities.PrecheckResult, error) {
	rows := f.rows
	if rows == 0 {
		rows = 1000
	}
	return activities.PrecheckResult{Hostname: in.TenantID + ".example.com", RowEstimate: rows}, f.call("Precheck")
}
func (f *fakeActivities) Place(ctx context.Context, ref activities.TenantRef) (string, error) {
	return "pg-b", f.call("Place")
}
func (f *fakeActivities) SetFrozen(ctx context.Context, in activities.FreezeInput) error {
	if in.Frozen {
		return f.call("Freeze")
	}
	return f.call("Unfreeze")
}
func (f *fakeActivities) CutOver(ctx context.Context, in activities.CutOverInput) error {
	return f.call("CutOver")
}
func (f *fakeActivities) RestoreSource(ctx context.Context, ref activities.TenantRef) error {
	return f.call("RestoreSource")
}
func (f *fakeActivities) SetState(ctx context.Context, in activities.StateInput) error {
	return f.call("SetState:" + in.State)
}
func (f *fakeActivities) CreateDatabase(ctx context.Context, in activities.DatabaseInput) (activities.CreateDatabaseResult, error) {
	return activities.CreateDatabaseResult{Database: "t_" + in.TenantID}, f.call("CreateDatabase")
}
func (f *fakeActivities) DropDatabase(ctx context.Context, in activities.DatabaseInput) error {
	return f.call("DropDatabase")
}
func (f *fakeActivities) CopyData(ctx context.Context, in activities.DatabaseInput) (activities.CopyResult, error) {
	return f.copy(ctx, "CopyData")
}
func (f *fakeActivities) FreezeAndMove(ctx context.Context, in activities.CopyInput) (activities.MoveResult, error) {
	copied, err := f.copy(ctx, "FreezeAndMove")
	if err != nil {
		return activities.MoveResult{}, err
	}
	verified := &verify.Report{Match: true, Finished: time.Now(), CountsOnly: f.countsOnly}
	// Fenced is left zero: the test clock does not run with the real one.
	return activities.MoveResult{Copied: copied, Verified: verified}, nil
}
func (f *fakeActivities) FreezeAndSync(ctx context.Context, in activities.DatabaseInput) (activities.MoveResult, error) {
	verified := &verify.Report{Match: true, Finished: time.Now(), CountsOnly: f.countsOnly}
	// No table was written during the copy: none is copied again.
	return activities.MoveResult{Verified: verified}, f.call("FreezeAndSync")
}
func (f *fakeActivities) copy(ctx context.Context, name string) (activities.CopyResult, error) {
	if err := f.call(name); err != nil {
		return activities.CopyResult{}, err
	}
	if f.blockCopy {
		close(f.copying)
		for ctx.Err() == nil {
			activity.RecordHeartbeat(ctx, "copying")
			time.Sleep(10 * time.Millisecond)
		}
		return activities.CopyResult{}, ctx.Err()
	}
	return activities.CopyResult{Rows: 42, Bytes: 4200, Tables: []activities.TableProgress{{Table: "companies", Rows: 42, Bytes: 4200}}}, nil
}
func (f *fakeActivities) BuildIndexes(ctx context.Context, in activities.DatabaseInput) error {
	return f.call("BuildIndexes")
}
func (f *fakeActivities) Verify(ctx context.Context, in activities.DatabaseInput) (*verify.Report, error) {
	return &verify.Report{Match: true, Finished: time.Now(), CountsOnly: f.countsOnly}, f.call("Verify")
}
func (f *fakeActivities) CheckNoWriteAfterFreeze(ctx context.Context, in activities.DatabaseInput) error {
	return f.call("CheckNoWriteAfterFreeze")
}
func (f *fakeActivities) FinishTarget(ctx context.Context, in activities.DatabaseInput) error {
	return f.call("FinishTarget")
}
func (f *fakeActivities) PrepareQueues(ctx context.Context, ref activities.TenantRef) (*queues.PrepareReport, error) {
	return &queues.PrepareReport{}, f.call("PrepareQueues")
}
func (f *fakeActivities) DrainQueues(ctx context.Context, ref activities.TenantRef) (*queues.DrainReport, error) {
	return &queues.DrainReport{}, f.call("DrainQueues")
}
func (f *fakeActivities) MoveQueues(ctx context.Context, ref activities.TenantRef) (*queues.MoveReport, error) {
	return &queues.MoveReport{}, f.call("MoveQueues")
}
func (f *fakeActivities) RollbackQueues(ctx context.Context, ref activities.TenantRef) (*queues.MoveReport, error) {
	return &queues.MoveReport{}, f.call("RollbackQueues")
}
func (f *fakeActivities) PlanRouting(ctx context.Context, ref activities.TenantRef) (activities.RoutingPlan, error) {
	return routing.Plan{Tenant: ref.TenantID}, f.call("PlanRouting")
}
func (f *fakeActivities) SwitchRouting(ctx context.Context, p activities.RoutingPlan) (routing.Result, error) {
	return routing.Result{}, f.call("SwitchRouting")
}
func (f *fakeActivities) RollbackRouting(ctx context.Context, p activities.RoutingPlan) error {
	return f.call("RollbackRouting")
}
