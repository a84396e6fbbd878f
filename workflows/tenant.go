package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
	"github.com/migrawave/migrawave/internal/verify"
)

// TenantMigration moves one tenant from the source into its own database
// and switches its traffic and queues. This version freezes the tenant's
// writes for the whole data move; a later one copies online first and
// freezes only for the final sync (the CatchingUp and FinalSync phases).
//
// It is a saga: every step that changes the world registers its
// compensation, and on a failure or an `abort` signal the compensations run
// in reverse, leaving the tenant served from the source exactly as before.
func TenantMigration(ctx workflow.Context, in TenantInput) (TenantStatus, error) {
	m := &migration{in: in, status: TenantStatus{
		TenantID: in.TenantID, WaveID: in.WaveID, Phase: PhasePending, Cluster: in.TargetCluster,
		Started: workflow.Now(ctx), PhaseTimes: map[Phase]string{},
	}}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (TenantStatus, error) { return m.status, nil }); err != nil {
		return m.status, err
	}
	ctx = withConfig(ctx, &m.in.ConfigFingerprint)
	m.status.ConfigFingerprint = m.in.ConfigFingerprint
	// Abort cancels whatever step is running; the saga then rolls back.
	runCtx, cancelRun := workflow.WithCancel(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, SignalAbort).Receive(ctx, nil)
		m.aborted = true
		cancelRun()
	})

	err := m.run(runCtx)
	if err == nil {
		_ = m.enter(ctx, PhaseCompleted)
		m.finish(ctx)
		m.notifyWave(ctx)
		return m.status, nil
	}
	m.status.Error = describe(err, m.aborted)
	var late *afterCutoverError
	if errors.As(err, &late) {
		// Cut over: the tenant lives in its database and stays there.
		m.status.Error = fmt.Sprintf("cut over to %s/%s, but moving its queues failed: %s; its messages are still on the old broker",
			m.status.Cluster, m.status.Database, describe(late.err, false))
		_ = m.enter(ctx, PhaseFailed)
		m.finish(ctx)
		m.notifyWave(ctx)
		return m.status, temporal.NewNonRetryableApplicationError(m.status.Error, ErrTypeFailedAfterCutover, nil, m.status)
	}
	var refused *refusedError
	if errors.As(err, &refused) {
		// Nothing was changed, so nothing is undone or recorded.
		_ = m.enter(ctx, PhaseSkipped)
		m.finish(ctx)
		m.notifyWave(ctx)
		return m.status, temporal.NewNonRetryableApplicationError(m.status.Error, ErrTypeSkipped, nil, m.status)
	}
	m.rollBack(ctx)
	m.finish(ctx)
	m.notifyWave(ctx)
	if m.status.Phase == PhaseFailed {
		return m.status, temporal.NewNonRetryableApplicationError(m.status.RollbackError, ErrTypeRollbackFailed, nil, m.status)
	}
	return m.status, temporal.NewNonRetryableApplicationError(m.status.Error, ErrTypeRolledBack, nil, m.status)
}

type migration struct {
	in            TenantInput
	status        TenantStatus
	compensations []compensation
	phaseStart    time.Time
	frozenAt      time.Time
	aborted       bool
	// holds counts the operator's holds since the last verification.
	holds int
}

type compensation struct {
	name string
	run  func(ctx workflow.Context) error
}

// onFailure registers how to undo a step that changed the world.
func (m *migration) onFailure(name string, run func(ctx workflow.Context) error) {
	m.compensations = append(m.compensations, compensation{name, run})
}

func (m *migration) run(ctx workflow.Context) error {
	var cat *activities.Catalog
	var data *activities.Data
	tenant := m.in.TenantID
	ref := activities.TenantRef{TenantID: tenant, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID}

	if err := m.enter(ctx, PhasePrechecking); err != nil {
		return err
	}
	var pre activities.PrecheckResult
	if err := workflow.ExecuteActivity(light(ctx), cat.Precheck, activities.PrecheckInput{TenantRef: ref, Cluster: m.in.TargetCluster}).Get(ctx, &pre); err != nil {
		if isBadInput(err) && workflow.GetVersion(ctx, versionSkipRefused, workflow.DefaultVersion, 1) >= 1 {
			return &refusedError{err}
		}
		return err
	}
	if m.status.Cluster == "" {
		if err := workflow.ExecuteActivity(light(ctx), cat.Place, ref).Get(ctx, &m.status.Cluster); err != nil {
			return err
		}
	}
	if err := m.upsert(ctx, TargetClusterKey.ValueSet(m.status.Cluster)); err != nil {
		return err
	}
	db := activities.DatabaseInput{TenantRef: ref, Cluster: m.status.Cluster}

	if err := m.enter(ctx, PhaseProvisioning); err != nil {
		return err
	}
	var created activities.CreateDatabaseResult
	if err := workflow.ExecuteActivity(m.dataLight(ctx), data.CreateDatabase, db).Get(ctx, &created); err != nil {
		return err
	}
	m.status.Database = created.Database
	if !m.in.Options.KeepTargetOnRollback {
		m.onFailure("drop the target database", func(ctx workflow.Context) error {
			return workflow.ExecuteActivity(m.dataLight(ctx), data.DropDatabase, db).Get(ctx, nil)
		})
	}

	freeze := workflow.GetVersion(ctx, versionShortFreeze, workflow.DefaultVersion, preCopy)
	if freeze == workflow.DefaultVersion {
		return m.runFrozenThroughDrain(ctx, ref, db, pre)
	}
	// The new broker's queues exist before the cutover, which sends the
	// application's messages there.
	var q *activities.Queues
	if err := workflow.ExecuteActivity(light(ctx), q.PrepareQueues, ref).Get(ctx, nil); err != nil {
		return err
	}
	// What the DNS switch changes is read before the freeze: a hostname
	// without its record fails the tenant while it still takes writes.
	var plan activities.RoutingPlan
	if freeze >= oneStepFreeze {
		var r *activities.Routing
		if err := workflow.ExecuteActivity(cloudflare(ctx), r.PlanRouting, ref).Get(ctx, &plan); err != nil {
			return err
		}
	}

	move := moveStepwise
	if freeze >= oneStepFreeze && m.oneStep(pre) {
		move = moveOneStep
		if freeze >= preCopy {
			move = movePreCopied
		}
	}
	verified, err := m.moveData(ctx, ref, db, pre, move)
	if err != nil {
		return err
	}

	if err := m.enter(ctx, PhaseSwitching); err != nil {
		return err
	}
	lastLook := func(ctx workflow.Context) error {
		if !m.staleLook(ctx, verified) {
			return nil
		}
		return workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, 0), data.CheckNoWriteAfterFreeze, db).Get(ctx, nil)
	}
	if freeze >= oneStepFreeze {
		err = m.switchAndCommit(ctx, ref, plan, lastLook)
	} else if err = lastLook(ctx); err == nil {
		err = m.cutOver(ctx, ref)
	}
	if err != nil {
		return err
	}

	// Committed: the tenant takes writes in its own database, so nothing
	// is undone any more, not even on abort. Its queues move now: the
	// application publishes to the new broker since the cutover, and what
	// is left on the old one is processed there, moved, or both (once per
	// message id).
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	if err := m.enter(ctx, PhaseDraining); err != nil {
		return &afterCutoverError{err}
	}
	if freeze >= oneStepFreeze {
		// The source fence, closed since the freeze, now says for good that
		// the tenant moved.
		if err := workflow.ExecuteActivity(afterCutover(ctx), cat.SetFrozen, activities.FreezeInput{TenantRef: ref, Frozen: false}).Get(ctx, nil); err != nil {
			return &afterCutoverError{err}
		}
	}
	if err := workflow.ExecuteActivity(afterCutover(ctx), q.DrainQueues, ref).Get(ctx, nil); err != nil {
		return &afterCutoverError{err}
	}
	if err := workflow.ExecuteActivity(afterCutover(ctx), q.MoveQueues, ref).Get(ctx, nil); err != nil {
		return &afterCutoverError{err}
	}
	_ = workflow.ExecuteActivity(m.dataLight(ctx), data.FinishTarget, db).Get(ctx, nil)
	return nil
}

// oneStepRows is the largest tenant, by its row estimate, whose data moves
// in one step (FreezeAndMove), its indexes built before its rows are copied
// in. On an idle machine a 400-row tenant's data moved in 115 ms so, against
// 640 ms in three steps; at 30,000 rows, copying into indexed tables cost
// about as much as the one step saved. Above it the phases are also worth
// seeing apart.
const oneStepRows = 50_000

// oneStep says whether the tenant's data moves in one step: a small tenant,
// unless an operator holds it before one of the steps.
func (m *migration) oneStep(pre activities.PrecheckResult) bool {
	switch m.in.Options.HoldBefore {
	case PhaseCopying, PhaseIndexing, PhaseVerifying:
		return false
	}
	return pre.RowEstimate < oneStepRows
}

// dataMove is how a tenant's data moves.
type dataMove int

const (
	// moveStepwise freezes the tenant, then copies, indexes and verifies,
	// each a phase of its own.
	moveStepwise dataMove = iota
	// moveOneStep freezes, copies, builds and verifies in one step
	// (oneStepFreeze).
	moveOneStep
	// movePreCopied copies and builds while the tenant takes writes, then
	// in one step freezes it, copies again the tables written meanwhile and
	// verifies (preCopy).
	movePreCopied
)

// moveData copies, indexes and verifies the tenant, frozen at the latest
// for its verification.
func (m *migration) moveData(ctx workflow.Context, ref activities.TenantRef, db activities.DatabaseInput, pre activities.PrecheckResult, move dataMove) (*verify.Report, error) {
	var cat *activities.Catalog
	var data *activities.Data
	copyIn := activities.CopyInput{DatabaseInput: db, MaxRowsPerSecond: m.in.Options.MaxRowsPerSecond}
	if move == movePreCopied {
		if err := m.copyAndBuild(ctx, copyIn, pre); err != nil {
			return nil, err
		}
	}
	if err := m.enter(ctx, PhaseFrozen); err != nil {
		return nil, err
	}
	m.onFailure("unfreeze the tenant", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(light(ctx), cat.SetFrozen, activities.FreezeInput{TenantRef: ref, Frozen: false}).Get(ctx, nil)
	})
	if move != moveStepwise {
		// Until the step says when it closed the fence (it fails, say).
		m.frozenAt = workflow.Now(ctx)
		var moved activities.MoveResult
		var err error
		if move == movePreCopied {
			err = workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, 0), data.FreezeAndSync, db).Get(ctx, &moved)
			copied := activities.CopyResult{Tables: m.status.Tables, Rows: m.status.Rows, Bytes: m.status.Bytes}
			moved.Copied = copied.Replacing(moved.Copied)
		} else {
			err = workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, m.in.Options.MaxRowsPerSecond), data.FreezeAndMove, copyIn).Get(ctx, &moved)
		}
		if err != nil {
			return nil, err
		}
		// By the worker's clock; never before the step began, should the
		// clocks disagree.
		if moved.Fenced.After(m.frozenAt) {
			m.frozenAt = moved.Fenced
		}
		m.setCopied(moved.Copied)
		m.holds = 0
		return moved.Verified, nil
	}
	if err := workflow.ExecuteActivity(light(ctx), cat.SetFrozen, activities.FreezeInput{TenantRef: ref, Frozen: true}).Get(ctx, nil); err != nil {
		return nil, err
	}
	m.frozenAt = workflow.Now(ctx)
	if err := m.copyAndBuild(ctx, copyIn, pre); err != nil {
		return nil, err
	}
	if err := m.enter(ctx, PhaseVerifying); err != nil {
		return nil, err
	}
	var verified verify.Report
	if err := workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, 0), data.Verify, db).Get(ctx, &verified); err != nil {
		return nil, err
	}
	m.holds = 0
	return &verified, nil
}

// copyAndBuild copies the tenant's rows, then builds its keys, indexes and
// constraints: Copying, then Indexing.
func (m *migration) copyAndBuild(ctx workflow.Context, copyIn activities.CopyInput, pre activities.PrecheckResult) error {
	var data *activities.Data
	if err := m.enter(ctx, PhaseCopying); err != nil {
		return err
	}
	var copied activities.CopyResult
	if err := workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, m.in.Options.MaxRowsPerSecond), data.CopyData, copyIn).Get(ctx, &copied); err != nil {
		return err
	}
	m.setCopied(copied)
	if err := m.enter(ctx, PhaseIndexing); err != nil {
		return err
	}
	return workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, 0), data.BuildIndexes, copyIn.DatabaseInput).Get(ctx, nil)
}

// setCopied records what the copy moved, in the status.
func (m *migration) setCopied(c activities.CopyResult) {
	m.status.Tables, m.status.Rows, m.status.Bytes = c.Tables, c.Rows, c.Bytes
}

// staleLook says whether the verification no longer shows the source as it
// is at the cutover, so that the write-after-freeze alarm must look again.
// Normally the cutover follows it at once, and it is the last look: a
// writer that ignored the fence before it is a difference, which rolls the
// tenant back naming the row. But an operator's hold, or a worker lost
// between the two, leaves time for such a writer; and a verification that
// counted rows did not compare them.
func (m *migration) staleLook(ctx workflow.Context, verified *verify.Report) bool {
	return verified.CountsOnly || m.holds > 0 || workflow.Now(ctx).Sub(verified.Finished) > lastLookMaxAge
}

// lastLookMaxAge is how old the verification may be at the cutover. Between
// them there are a workflow task and the cutover's scheduling: well under a
// second on the loaded demo (50 tenants writing); a lost worker's workflow
// task times out after 10 s.
const lastLookMaxAge = 5 * time.Second

// switchAndCommit points the tenant's hostname at the new platform, takes
// the last look at the source (the write-after-freeze alarm) if the
// verification was not it, then commits: one catalog change routes the
// tenant to its database and lifts the freeze. The commit changes nothing
// if it fails, so it has nothing to undo; it is retried until the catalog
// answers, since a rollback while it might have applied could lose the
// writes made since.
func (m *migration) switchAndCommit(ctx workflow.Context, ref activities.TenantRef, plan activities.RoutingPlan, lastLook func(workflow.Context) error) error {
	var cat *activities.Catalog
	var r *activities.Routing
	m.onFailure("restore the tenant's DNS and tunnel", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(cloudflare(ctx), r.RollbackRouting, plan).Get(ctx, nil)
	})
	if err := workflow.ExecuteActivity(cloudflare(ctx), r.SwitchRouting, plan).Get(ctx, nil); err != nil {
		return err
	}
	if err := lastLook(ctx); err != nil {
		return err
	}
	cut := activities.CutOverInput{TenantRef: ref, Cluster: m.status.Cluster, Database: m.status.Database, Unfreeze: true}
	if err := workflow.ExecuteActivity(commit(ctx), cat.CutOver, cut).Get(ctx, nil); err != nil {
		return err
	}
	m.status.FreezeDuration = workflow.Now(ctx).Sub(m.frozenAt)
	m.compensations = nil
	return nil
}

// cutOver is the point of no return before oneStepFreeze: the catalog
// routes the tenant to its database, its hostname points at the new
// platform, and its writes resume.
func (m *migration) cutOver(ctx workflow.Context, ref activities.TenantRef) error {
	var cat *activities.Catalog
	cut := activities.CutOverInput{TenantRef: ref, Cluster: m.status.Cluster, Database: m.status.Database}
	m.onFailure("route the tenant back to the source in the catalog", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(light(ctx), cat.RestoreSource, ref).Get(ctx, nil)
	})
	if err := workflow.ExecuteActivity(light(ctx), cat.CutOver, cut).Get(ctx, nil); err != nil {
		return err
	}
	if err := m.switchTraffic(ctx, ref); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(light(ctx), cat.SetFrozen, activities.FreezeInput{TenantRef: ref, Frozen: false}).Get(ctx, nil); err != nil {
		return err
	}
	m.status.FreezeDuration = workflow.Now(ctx).Sub(m.frozenAt)
	m.compensations = nil
	return nil
}

// runFrozenThroughDrain is the order before the short freeze, kept for the
// migrations that started with it: the queues drained and moved while the
// tenant was frozen, and a second full comparison before the cutover.
func (m *migration) runFrozenThroughDrain(ctx workflow.Context, ref activities.TenantRef, db activities.DatabaseInput, pre activities.PrecheckResult) error {
	var data *activities.Data
	if _, err := m.moveData(ctx, ref, db, pre, moveStepwise); err != nil {
		return err
	}
	if err := m.enter(ctx, PhaseDraining); err != nil {
		return err
	}
	if err := m.moveQueues(ctx, ref); err != nil {
		return err
	}
	if err := m.enter(ctx, PhaseSwitching); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, versionWriteAfterFreeze, workflow.DefaultVersion, 1) >= 1 {
		if err := workflow.ExecuteActivity(heavy(ctx, m.dataQueue(), pre.RowEstimate, 0), data.CheckNoWriteAfterFreeze, db).Get(ctx, nil); err != nil {
			return err
		}
	}
	if err := m.cutOver(ctx, ref); err != nil {
		return err
	}
	_ = workflow.ExecuteActivity(m.dataLight(ctx), data.FinishTarget, db).Get(ctx, nil)
	return nil
}

// moveQueues prepares the tenant's queues on the new broker, waits for the
// old ones to drain and moves what is left; rollback moves messages back.
// Only runFrozenThroughDrain moves them before the cutover.
func (m *migration) moveQueues(ctx workflow.Context, ref activities.TenantRef) error {
	var q *activities.Queues
	if err := workflow.ExecuteActivity(light(ctx), q.PrepareQueues, ref).Get(ctx, nil); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(drain(ctx), q.DrainQueues, ref).Get(ctx, nil); err != nil {
		return err
	}
	m.onFailure("move the tenant's messages back to the old broker", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(drain(ctx), q.RollbackQueues, ref).Get(ctx, nil)
	})
	return workflow.ExecuteActivity(drain(ctx), q.MoveQueues, ref).Get(ctx, nil)
}

// switchTraffic points the tenant's hostname at the new platform; rollback
// restores exactly the state the plan recorded.
func (m *migration) switchTraffic(ctx workflow.Context, ref activities.TenantRef) error {
	var r *activities.Routing
	var plan activities.RoutingPlan
	if err := workflow.ExecuteActivity(cloudflare(ctx), r.PlanRouting, ref).Get(ctx, &plan); err != nil {
		return err
	}
	m.onFailure("restore the tenant's DNS and tunnel", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(cloudflare(ctx), r.RollbackRouting, plan).Get(ctx, nil)
	})
	return workflow.ExecuteActivity(cloudflare(ctx), r.SwitchRouting, plan).Get(ctx, nil)
}

// rollBack runs the compensations in reverse on a context that survives the
// abort, then records the tenant's end state in the catalog.
func (m *migration) rollBack(ctx workflow.Context) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	_ = m.enter(ctx, PhaseRollingBack)
	var failed []string
	for i := len(m.compensations) - 1; i >= 0; i-- {
		c := m.compensations[i]
		if err := c.run(ctx); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %s", c.name, describe(err, false)))
		}
	}
	var cat *activities.Catalog
	end, state := PhaseRolledBack, activities.StateRolledBack
	if len(failed) > 0 {
		end, state = PhaseFailed, activities.StateFailed
		m.status.RollbackError = fmt.Sprintf("rollback incomplete after %q: %v", m.status.Error, failed)
	}
	ref := activities.TenantRef{TenantID: m.in.TenantID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID}
	_ = workflow.ExecuteActivity(light(ctx), cat.SetState, activities.StateInput{TenantRef: ref, State: state, Reason: m.status.Error}).Get(ctx, nil)
	_ = m.enter(ctx, end)
}

// enter moves to the next phase: search attribute, UI details, timings, and
// a hold if an operator asked for one before this phase.
func (m *migration) enter(ctx workflow.Context, p Phase) error {
	now := workflow.Now(ctx)
	if m.status.Phase != PhasePending {
		m.status.PhaseTimes[m.status.Phase] = now.Sub(m.phaseStart).Round(time.Millisecond).String()
	}
	m.status.Phase, m.phaseStart = p, now
	if err := m.upsert(ctx, MigrationPhaseKey.ValueSet(string(p))); err != nil {
		return err
	}
	m.showDetails(ctx)
	if p == m.in.Options.HoldBefore && p != "" {
		m.status.Held = true
		m.holds++
		m.showDetails(ctx)
		workflow.GetSignalChannel(ctx, SignalContinue).Receive(ctx, nil)
		m.status.Held = false
		m.showDetails(ctx)
	}
	return ctx.Err()
}

func (m *migration) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) error {
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

func (m *migration) showDetails(ctx workflow.Context) {
	s := m.status
	d := fmt.Sprintf("**%s** %s → %s\n\nphase: **%s**", s.TenantID, "source", clusterOrPlacement(s.Cluster), s.Phase)
	if s.Held {
		d += " (held: send the `continue` signal to go on)"
	}
	if s.Rows > 0 {
		d += fmt.Sprintf("\n\nrows copied: %d (%d bytes)", s.Rows, s.Bytes)
	}
	d += fmt.Sprintf("\n\nelapsed: %s", workflow.Now(ctx).Sub(s.Started).Round(time.Second))
	if s.Error != "" {
		d += "\n\nerror: " + s.Error
	}
	workflow.SetCurrentDetails(ctx, d)
}

func (m *migration) finish(ctx workflow.Context) {
	m.status.Finished = workflow.Now(ctx)
	if !m.frozenAt.IsZero() && m.status.FreezeDuration == 0 {
		m.status.FreezeDuration = m.status.Finished.Sub(m.frozenAt)
	}
	m.showDetails(ctx)
	// The workflow's metrics handler records once, not again on replay.
	metrics := workflow.GetMetricsHandler(ctx)
	metrics.WithTags(map[string]string{"outcome": string(m.status.Phase)}).Counter("migrawave_tenants").Inc(1)
	if m.status.FreezeDuration > 0 {
		metrics.Timer("migrawave_freeze_duration").Record(m.status.FreezeDuration)
	}
}

// notifyWave tells the wave that started this tenant how it ended; a wave
// that continued as new still gets it, as the signal goes by workflow id.
func (m *migration) notifyWave(ctx workflow.Context) {
	if m.in.WaveID == "" {
		return
	}
	// A wave that is gone has nobody to tell; the tenant's own end stands.
	_ = workflow.SignalExternalWorkflow(ctx, WaveWorkflowID(m.in.WaveID), "", SignalTenantDone, m.status).Get(ctx, nil)
}

func (m *migration) dataQueue() string {
	if m.in.DataTaskQueue != "" {
		return m.in.DataTaskQueue
	}
	return DefaultDataTaskQueue
}

// dataLight runs a quick target-database call where the data activities live.
func (m *migration) dataLight(ctx workflow.Context) workflow.Context {
	return workflow.WithTaskQueue(light(ctx), m.dataQueue())
}

// afterCutoverError is a step after the point of no return that failed for
// good: nothing is undone, and the migration ends Failed.
type afterCutoverError struct{ err error }

func (e *afterCutoverError) Error() string { return e.err.Error() }
func (e *afterCutoverError) Unwrap() error { return e.err }

// refusedError is a precheck's refusal: the migration ends Skipped.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// isBadInput says whether an activity refused its input: no retry ran or can help.
func isBadInput(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeBadInput
}

// clusterOrPlacement names the target cluster, or says placement will choose one.
func clusterOrPlacement(s string) string {
	if s == "" {
		return "(placement)"
	}
	return s
}

// describe turns an activity failure into the one line the status shows.
func describe(err error, aborted bool) string {
	if aborted {
		return "aborted by signal"
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "canceled"
	}
	return err.Error()
}
