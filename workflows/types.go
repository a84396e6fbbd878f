package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
)

// Workflow type names, as the temporal CLI starts them.
const (
	TenantMigrationName = "TenantMigration"
	WaveName            = "Wave"
)

// Signal, query and update names.
const (
	SignalAbort          = "abort"
	SignalPause          = "pause"
	SignalResume         = "resume"
	SignalSetConcurrency = "set-concurrency"
	SignalSetRate        = "set-rate"
	SignalContinue       = "continue"
	SignalTenantDone     = "tenant-done"
	QueryStatus          = "status"
)

// The types of the application errors workflows end with.
const (
	// ErrTypeRolledBack ends a migration that failed and was undone.
	ErrTypeRolledBack = "RolledBack"
	// ErrTypeRollbackFailed ends a migration whose undoing could not
	// complete: the tenant needs an operator.
	ErrTypeRollbackFailed = "RollbackFailed"
	// ErrTypeSkipped ends a migration its precheck refused: nothing changed.
	ErrTypeSkipped = "Skipped"
	// ErrTypeFailedAfterCutover ends a migration whose tenant was cut over
	// but whose queues could not be moved: nothing is undone.
	ErrTypeFailedAfterCutover = "FailedAfterCutover"
	// ErrTypeFailureBudgetExceeded ends a wave that stopped starting tenants.
	ErrTypeFailureBudgetExceeded = "FailureBudgetExceeded"
)

// Task queues: workflows and light activities on the first, copies and
// verification on the second, whose workers bound how many run at once.
const (
	DefaultTaskQueue     = "migrawave"
	DefaultDataTaskQueue = "migrawave-data"
)

// Change ids of workflow.GetVersion: each guards a change to running
// workflow code, so that histories recorded before it replay as they ran.
const (
	versionRefuseDuplicates  = "refuse-duplicate-tenants"
	versionSkipRefused       = "skip-refused-precheck"
	versionConfigFingerprint = "config-fingerprint"
	versionWriteAfterFreeze  = "write-after-freeze-alarm"
	versionShortFreeze       = "short-freeze"
)

// Versions of versionShortFreeze.
const (
	// shortFreeze freezes the tenant for copy, indexes, verification and
	// cutover only; its queues move after the unfreeze.
	shortFreeze workflow.Version = 1
	// oneStepFreeze also reads the DNS plan before the freeze, moves a small
	// tenant's data in one step, and cuts over with the unfreeze in one
	// catalog change, after the DNS switch.
	oneStepFreeze workflow.Version = 2
	// preCopy copies and builds a small tenant's data before the freeze;
	// frozen, it copies again the tables written meanwhile and verifies.
	preCopy workflow.Version = 3
)

// TenantWorkflowID is the workflow id of a tenant's migration: one at a time.
func TenantWorkflowID(tenant string) string { return "tenant/" + tenant }

// WaveWorkflowID is the workflow id of a wave.
func WaveWorkflowID(wave string) string { return "wave/" + wave }

// TenantOptions tune one tenant's migration.
type TenantOptions struct {
	// KeepTargetOnRollback keeps the target database after a rollback, for
	// inspection; by default it is dropped.
	KeepTargetOnRollback bool `json:"keep_target_on_rollback,omitempty"`
	// HoldBefore parks the migration before this phase until it receives the
	// `continue` signal: a breakpoint for operators (inspect the target before
	// verification, say) and for tests.
	HoldBefore Phase `json:"hold_before,omitempty"`
	// MaxRowsPerSecond caps what the tenant's copy reads from the source,
	// all its connections together: 0 takes the workers'
	// migration.copy_max_rows_per_second, -1 lifts any limit.
	MaxRowsPerSecond int64 `json:"max_rows_per_second,omitempty"`
}

// TenantInput starts a TenantMigration.
type TenantInput struct {
	TenantID string `json:"tenant_id"`
	WaveID   string `json:"wave_id,omitempty"`
	// TargetCluster is empty to let placement choose.
	TargetCluster string        `json:"target_cluster,omitempty"`
	Options       TenantOptions `json:"options,omitempty"`
	// DataTaskQueue is where copies and verification run (default migrawave-data).
	DataTaskQueue string `json:"data_task_queue,omitempty"`
	// ConfigFingerprint is the configuration the migration runs under
	// (config.Fingerprint): only workers with the same one run its
	// activities. Empty: the first worker's.
	ConfigFingerprint string `json:"config_fingerprint,omitempty"`
}

// TenantStatus is what the `status` query returns, and the workflow's result.
type TenantStatus struct {
	TenantID       string                     `json:"tenant_id"`
	WaveID         string                     `json:"wave_id,omitempty"`
	Phase          Phase                      `json:"phase"`
	Cluster        string                     `json:"cluster,omitempty"`
	Database       string                     `json:"database,omitempty"`
	Rows           int64                      `json:"rows"`
	Bytes          int64                      `json:"bytes"`
	Tables         []activities.TableProgress `json:"tables,omitempty"`
	PhaseTimes     map[Phase]string           `json:"phase_durations,omitempty"`
	FreezeDuration time.Duration              `json:"freeze_duration_ns"`
	Started        time.Time                  `json:"started"`
	Finished       time.Time                  `json:"finished,omitzero"`
	Error          string                     `json:"error,omitempty"`
	// RollbackError is set when a compensation could not complete: the
	// tenant then needs an operator (phase Failed).
	RollbackError string `json:"rollback_error,omitempty"`
	Held          bool   `json:"held,omitempty"`
	// ConfigFingerprint is the configuration the migration runs under.
	ConfigFingerprint string `json:"config_fingerprint,omitempty"`
}
