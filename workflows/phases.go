package workflows

// Phase is where a tenant migration stands. Its string is the value of the
// MigrationPhase search attribute.
type Phase string

// Phases of a tenant migration, in order, then the rollback and failure ends.
const (
	PhasePending      Phase = "Pending"
	PhasePrechecking  Phase = "Prechecking"
	PhaseProvisioning Phase = "Provisioning"
	PhaseCopying      Phase = "Copying"
	PhaseIndexing     Phase = "Indexing"
	PhaseCatchingUp   Phase = "CatchingUp"
	PhaseVerifying    Phase = "Verifying"
	PhaseFrozen       Phase = "Frozen"
	PhaseFinalSync    Phase = "FinalSync"
	PhaseDraining     Phase = "Draining"
	PhaseSwitching    Phase = "Switching"
	PhaseCompleted    Phase = "Completed"
	// PhaseSkipped ends a migration its precheck refused (the tenant is
	// unknown, or already lives elsewhere): nothing was changed, nothing is
	// undone, and a wave does not charge it to its failure budget.
	PhaseSkipped     Phase = ErrTypeSkipped
	PhaseRollingBack Phase = "RollingBack"
	PhaseRolledBack  Phase = ErrTypeRolledBack
	PhaseFailed      Phase = "Failed"
)
