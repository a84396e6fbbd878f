package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
)

// WaveInput starts a Wave. State is empty on the first run and carries the
// progress across continue-as-new.
type WaveInput struct {
	WaveID  string   `json:"wave_id"`
	Tenants []string `json:"tenants"`
	// Concurrency is how many tenants migrate at once.
	Concurrency int `json:"concurrency"`
	// MaxFailed stops starting tenants once more than this many failed (0: no limit).
	MaxFailed int `json:"max_failed,omitempty"`
	// MaxFailedPercent does the same as a share of the wave's tenants (0: no limit).
	MaxFailedPercent float64 `json:"max_failed_percent,omitempty"`
	// TargetCluster for every tenant; empty lets placement choose.
	TargetCluster string        `json:"target_cluster,omitempty"`
	Options       TenantOptions `json:"options,omitempty"`
	// Overrides sets options for single tenants.
	Overrides     map[string]TenantOptions `json:"overrides,omitempty"`
	DataTaskQueue string                   `json:"data_task_queue,omitempty"`
	// ConfigFingerprint is the configuration the wave's tenants run under
	// (see TenantInput); empty: the first worker's.
	ConfigFingerprint string `json:"config_fingerprint,omitempty"`
	// MaxHistoryEvents continues the wave as new past this history length
	// (default 10,000), well before the server's limits.
	MaxHistoryEvents int        `json:"max_history_events,omitempty"`
	State            *WaveState `json:"state,omitempty"`
}

// WaveState is a wave's progress, carried across continue-as-new.
type WaveState struct {
	Next        int                      `json:"next"`
	Running     map[string]time.Time     `json:"running"`
	Outcomes    map[string]TenantOutcome `json:"outcomes"`
	Concurrency int                      `json:"concurrency"`
	// MaxRowsPerSecond is the copy limit of the tenants started from now
	// on (see TenantOptions), changed by the set-rate signal.
	MaxRowsPerSecond int64     `json:"max_rows_per_second,omitempty"`
	Paused           bool      `json:"paused"`
	Aborted          bool      `json:"aborted"`
	Started          time.Time `json:"started"`
	Runs             int       `json:"runs"`
}

// TenantOutcome is how one tenant of a wave ended.
type TenantOutcome struct {
	TenantID string        `json:"tenant_id"`
	Phase    Phase         `json:"phase"`
	Cluster  string        `json:"cluster,omitempty"`
	Rows     int64         `json:"rows"`
	Duration time.Duration `json:"duration_ns"`
	// Freeze is how long the tenant's writes were frozen.
	Freeze time.Duration `json:"freeze_ns,omitempty"`
	Error  string        `json:"error,omitempty"`
}

// WaveStatus is what the `status` query returns, and the wave's result.
type WaveStatus struct {
	WaveID     string   `json:"wave_id"`
	Total      int      `json:"total"`
	Pending    int      `json:"pending"`
	Running    []string `json:"running"`
	Completed  int      `json:"completed"`
	RolledBack int      `json:"rolled_back"`
	// Skipped tenants were refused by their precheck and left as they were;
	// they are not charged to the failure budget.
	Skipped     int  `json:"skipped"`
	Failed      int  `json:"failed"`
	Paused      bool `json:"paused"`
	Aborted     bool `json:"aborted"`
	BudgetSpent bool `json:"budget_exceeded"`
	Concurrency int  `json:"concurrency"`
	// MaxRowsPerSecond is the copy limit of the tenants started next.
	MaxRowsPerSecond int64           `json:"max_rows_per_second,omitempty"`
	ETA              time.Duration   `json:"eta_ns"`
	Elapsed          time.Duration   `json:"elapsed_ns"`
	Outcomes         []TenantOutcome `json:"outcomes"`
	Runs             int             `json:"runs"`
	// ConfigFingerprint is the configuration the wave's tenants run under.
	ConfigFingerprint string `json:"config_fingerprint,omitempty"`
}

// Wave migrates a list of tenants with a sliding window of TenantMigration
// children: never more than Concurrency at once, never thousands pending.
// Children report their end by signal (they outlive a continue-as-new), and
// the wave stops starting tenants when paused, aborted or over its failure
// budget. It ends Failed when the budget was exceeded, with its report.
func Wave(ctx workflow.Context, in WaveInput) (WaveStatus, error) {
	w := &wave{in: in}
	if err := w.refuseDuplicates(ctx); err != nil {
		return WaveStatus{}, err
	}
	if w.in.State == nil {
		w.in.State = &WaveState{Running: map[string]time.Time{}, Outcomes: map[string]TenantOutcome{}, Concurrency: in.Concurrency,
			MaxRowsPerSecond: in.Options.MaxRowsPerSecond, Started: workflow.Now(ctx)}
	}
	w.st = w.in.State
	w.st.Runs++
	if err := w.validate(); err != nil {
		return WaveStatus{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeBadInput, nil)
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (WaveStatus, error) { return w.status(ctx), nil }); err != nil {
		return WaveStatus{}, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, WaveIDKey.ValueSet(in.WaveID)); err != nil {
		return WaveStatus{}, err
	}
	ctx = withConfig(ctx, &w.in.ConfigFingerprint)

	sel := workflow.NewSelector(ctx)
	w.listen(ctx, sel)
	for {
		w.startTenants(ctx, sel)
		w.showDetails(ctx)
		if w.finished() {
			break
		}
		sel.Select(ctx)
		for sel.HasPending() { // take every signal already delivered
			sel.Select(ctx)
		}
		if w.shouldContinueAsNew(ctx) {
			w.drainSignals(ctx)
			return WaveStatus{}, workflow.NewContinueAsNewError(ctx, Wave, w.in)
		}
	}
	st := w.status(ctx)
	if st.BudgetSpent {
		return st, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("wave %s exceeded its failure budget: %d of %d tenants failed", in.WaveID, st.RolledBack+st.Failed, st.Total), ErrTypeFailureBudgetExceeded, nil, st)
	}
	return st, nil
}

type wave struct {
	in WaveInput
	st *WaveState
}

func (w *wave) validate() error {
	switch {
	case w.in.WaveID == "":
		return fmt.Errorf("wave_id is required")
	case w.st.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1, got %d", w.st.Concurrency)
	case len(w.in.Tenants) == 0:
		return fmt.Errorf("the wave has no tenants")
	case w.in.MaxFailed < 0 || w.in.MaxFailedPercent < 0 || w.in.MaxFailedPercent > 100:
		return fmt.Errorf("the failure budget must be a count ≥ 0 or a percentage between 0 and 100")
	}
	return w.in.CheckOptions()
}

// CheckOptions checks the wave's options and overrides: the wave's own
// check, which the CLI makes too before it starts one.
func (in WaveInput) CheckOptions() error {
	if in.Options.MaxRowsPerSecond < -1 {
		return fmt.Errorf("options.max_rows_per_second must be rows per second, 0 (the workers' default) or -1 (no limit), got %d", in.Options.MaxRowsPerSecond)
	}
	for _, tenant := range slices.Sorted(maps.Keys(in.Overrides)) { // in order: workflow code
		if o := in.Overrides[tenant]; o.MaxRowsPerSecond < -1 {
			return fmt.Errorf("overrides.%s.max_rows_per_second must be rows per second, 0 (the wave's limit) or -1 (no limit), got %d", tenant, o.MaxRowsPerSecond)
		}
	}
	return nil
}

// refuseDuplicates refuses, when the wave starts, a tenant listed twice:
// its second migration could never run beside the first. Waves started
// before this check was added went on without the duplicate.
func (w *wave) refuseDuplicates(ctx workflow.Context) error {
	if w.in.State != nil {
		return nil // checked by the wave's first run
	}
	dup := FirstDuplicate(w.in.Tenants)
	if dup == "" || workflow.GetVersion(ctx, versionRefuseDuplicates, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("tenant %s is listed twice in the wave", dup), activities.ErrTypeBadInput, nil)
}

// FirstDuplicate returns the first tenant listed twice, or "": the wave's
// check, which the CLI makes too before it starts one.
func FirstDuplicate(tenants []string) string {
	seen := make(map[string]bool, len(tenants))
	for _, t := range tenants {
		if seen[t] {
			return t
		}
		seen[t] = true
	}
	return ""
}

// listen registers the wave's signals on the selector.
func (w *wave) listen(ctx workflow.Context, sel workflow.Selector) {
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalTenantDone), func(c workflow.ReceiveChannel, _ bool) {
		var s TenantStatus
		c.Receive(ctx, &s)
		w.record(ctx, s)
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalPause), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		w.st.Paused = true
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalResume), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		w.st.Paused = false
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalSetConcurrency), func(c workflow.ReceiveChannel, _ bool) {
		var n int
		c.Receive(ctx, &n)
		if n >= 1 {
			w.st.Concurrency = n
		} else {
			workflow.GetLogger(ctx).Warn("ignored set-concurrency below 1", "value", n)
		}
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalSetRate), func(c workflow.ReceiveChannel, _ bool) {
		var n int64
		c.Receive(ctx, &n)
		w.setRate(ctx, n)
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalAbort), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		w.abort(ctx)
	})
}

// setRate changes the copy limit of the tenants started from now on: rows
// per second, 0 for the workers' default, -1 for none.
func (w *wave) setRate(ctx workflow.Context, n int64) {
	if n < -1 {
		workflow.GetLogger(ctx).Warn("ignored set-rate below -1", "value", n)
		return
	}
	w.st.MaxRowsPerSecond = n
}

// drainSignals handles signals that arrived but were not taken yet, so that
// none is lost when the wave continues as new.
func (w *wave) drainSignals(ctx workflow.Context) {
	for {
		var s TenantStatus
		if workflow.GetSignalChannel(ctx, SignalTenantDone).ReceiveAsync(&s) {
			w.record(ctx, s)
			continue
		}
		var n int
		var rate int64
		switch {
		case workflow.GetSignalChannel(ctx, SignalPause).ReceiveAsync(nil):
			w.st.Paused = true
		case workflow.GetSignalChannel(ctx, SignalResume).ReceiveAsync(nil):
			w.st.Paused = false
		case workflow.GetSignalChannel(ctx, SignalSetConcurrency).ReceiveAsync(&n):
			if n >= 1 {
				w.st.Concurrency = n
			}
		case workflow.GetSignalChannel(ctx, SignalSetRate).ReceiveAsync(&rate):
			w.setRate(ctx, rate)
		case workflow.GetSignalChannel(ctx, SignalAbort).ReceiveAsync(nil):
			w.abort(ctx)
		default:
			return
		}
	}
}

// startTenants fills the window.
func (w *wave) startTenants(ctx workflow.Context, sel workflow.Selector) {
	for !w.st.Paused && !w.st.Aborted && !w.budgetExceeded() && len(w.st.Running) < w.st.Concurrency && w.st.Next < len(w.in.Tenants) {
		tenant := w.in.Tenants[w.st.Next]
		w.st.Next++
		if _, done := w.st.Outcomes[tenant]; done {
			continue // listed twice
		}
		w.start(ctx, sel, tenant)
	}
}

func (w *wave) start(ctx workflow.Context, sel workflow.Selector, tenant string) {
	opts := w.in.Options
	opts.MaxRowsPerSecond = w.st.MaxRowsPerSecond // as set-rate left it
	if o, ok := w.in.Overrides[tenant]; ok {
		if o.MaxRowsPerSecond == 0 { // a tenant's own limit wins over the wave's
			o.MaxRowsPerSecond = opts.MaxRowsPerSecond
		}
		opts = o
	}
	summary := fmt.Sprintf("%s → %s (wave %s)", tenant, clusterOrPlacement(w.in.TargetCluster), w.in.WaveID)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: TenantWorkflowID(tenant),
		// The tenant's migration must outlive this run of the wave: the wave
		// continues as new and learns the outcome by signal.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         summary,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			WaveIDKey.ValueSet(w.in.WaveID), TenantIDKey.ValueSet(tenant), MigrationPhaseKey.ValueSet(string(PhasePending))),
	})
	in := TenantInput{TenantID: tenant, WaveID: w.in.WaveID, TargetCluster: w.in.TargetCluster, Options: opts,
		DataTaskQueue: w.in.DataTaskQueue, ConfigFingerprint: w.in.ConfigFingerprint}
	child := workflow.ExecuteChildWorkflow(cctx, TenantMigrationName, in)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		// Most likely a migration of this tenant is already running elsewhere.
		w.st.Outcomes[tenant] = TenantOutcome{TenantID: tenant, Phase: PhaseFailed, Error: "not started: " + err.Error()}
		return
	}
	w.st.Running[tenant] = workflow.Now(ctx)
	// Within this run the child's result also arrives here, in case its
	// signal cannot (a terminated child sends none).
	sel.AddFuture(child, func(f workflow.Future) {
		var s TenantStatus
		if err := f.Get(ctx, &s); err != nil {
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Details(&s) != nil || s.TenantID == "" {
				s = TenantStatus{TenantID: tenant, Phase: PhaseFailed, Error: describe(err, false)}
			}
		}
		w.record(ctx, s)
	})
}

// record takes a tenant's end once, whether it came by signal or result.
func (w *wave) record(ctx workflow.Context, s TenantStatus) {
	started, running := w.st.Running[s.TenantID]
	if !running {
		return
	}
	delete(w.st.Running, s.TenantID)
	msg := s.Error
	if s.RollbackError != "" {
		msg = s.RollbackError
	}
	w.st.Outcomes[s.TenantID] = TenantOutcome{
		TenantID: s.TenantID, Phase: s.Phase, Cluster: s.Cluster, Rows: s.Rows, Error: msg,
		Duration: workflow.Now(ctx).Sub(started), Freeze: s.FreezeDuration,
	}
}

func (w *wave) abort(ctx workflow.Context) {
	w.st.Aborted = true
	for _, tenant := range slices.Sorted(maps.Keys(w.st.Running)) { // in order: workflow code
		_ = workflow.SignalExternalWorkflow(ctx, TenantWorkflowID(tenant), "", SignalAbort, nil)
	}
}

func (w *wave) failed() int {
	n := 0
	for _, o := range w.st.Outcomes {
		if o.Phase != PhaseCompleted && o.Phase != PhaseSkipped {
			n++
		}
	}
	return n
}

func (w *wave) budgetExceeded() bool {
	failed := w.failed()
	if w.in.MaxFailed > 0 && failed > w.in.MaxFailed {
		return true
	}
	return w.in.MaxFailedPercent > 0 && float64(failed)*100 > w.in.MaxFailedPercent*float64(len(w.in.Tenants))
}

func (w *wave) finished() bool {
	if len(w.st.Running) > 0 {
		return false
	}
	return w.st.Next >= len(w.in.Tenants) || w.st.Aborted || w.budgetExceeded()
}

func (w *wave) shouldContinueAsNew(ctx workflow.Context) bool {
	limit := w.in.MaxHistoryEvents
	if limit <= 0 {
		limit = 10_000
	}
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > limit
}

func (w *wave) status(ctx workflow.Context) WaveStatus {
	s := WaveStatus{WaveID: w.in.WaveID, Total: len(w.in.Tenants), Paused: w.st.Paused, Aborted: w.st.Aborted,
		BudgetSpent: w.budgetExceeded(), Concurrency: w.st.Concurrency, MaxRowsPerSecond: w.st.MaxRowsPerSecond, Runs: w.st.Runs, Running: []string{},
		ConfigFingerprint: w.in.ConfigFingerprint,
		Elapsed:           workflow.Now(ctx).Sub(w.st.Started)}
	var doneTime time.Duration
	for _, o := range w.st.Outcomes {
		switch o.Phase {
		case PhaseCompleted:
			s.Completed++
		case PhaseRolledBack:
			s.RolledBack++
		case PhaseSkipped:
			s.Skipped++
		default:
			s.Failed++
		}
		doneTime += o.Duration
		s.Outcomes = append(s.Outcomes, o)
	}
	sort.Slice(s.Outcomes, func(i, j int) bool { return s.Outcomes[i].TenantID < s.Outcomes[j].TenantID })
	for t := range w.st.Running {
		s.Running = append(s.Running, t)
	}
	sort.Strings(s.Running)
	s.Pending = s.Total - len(s.Outcomes) - len(s.Running)
	if n := len(s.Outcomes); n > 0 {
		perTenant := doneTime / time.Duration(n)
		s.ETA = perTenant * time.Duration(s.Pending+len(s.Running)) / time.Duration(max(s.Concurrency, 1))
	}
	return s
}

// showDetails renders the wave's progress table in the UI.
func (w *wave) showDetails(ctx workflow.Context) {
	s := w.status(ctx)
	var b strings.Builder
	fmt.Fprintf(&b, "**wave %s**", s.WaveID)
	switch {
	case s.Aborted:
		b.WriteString(" — aborted")
	case s.BudgetSpent:
		b.WriteString(" — failure budget exceeded, starting no more tenants")
	case s.Paused:
		b.WriteString(" — paused (send `resume`)")
	}
	fmt.Fprintf(&b, "\n\n| total | pending | running | completed | skipped | rolled back | failed | concurrency | ETA |\n|---|---|---|---|---|---|---|---|---|\n| %d | %d | %d | %d | %d | %d | %d | %d | %s |\n",
		s.Total, s.Pending, len(s.Running), s.Completed, s.Skipped, s.RolledBack, s.Failed, s.Concurrency, s.ETA.Round(time.Second))
	shown := 0
	for _, o := range s.Outcomes {
		if o.Phase == PhaseCompleted || shown >= 20 {
			continue
		}
		if shown == 0 {
			b.WriteString("\n**tenants not migrated**\n\n| tenant | end | reason |\n|---|---|---|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", o.TenantID, o.Phase, strings.ReplaceAll(o.Error, "|", "/"))
		shown++
	}
	workflow.SetCurrentDetails(ctx, b.String())
}
