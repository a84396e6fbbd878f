package workflows

// Phase is where a tenant migration stands. Its string is the value of the
// MigrationPhase search attribute.
type Phase string

// Phases of a tenant migration, in the order an online copy goes through
// them (an offline copy, today's, freezes before Copying and has no
// CatchingUp or FinalSync), then the ends other than Completed. The tenant
// is frozen from Frozen to the end of Switching; Draining moves its queues
// once it takes writes in its new database.
const (
	PhasePending      Phase = "Pending"
	PhasePrechecking  Phase = "Prechecking"
	PhaseProvisioning Phase = "Provisioning"
	PhaseCopying      Phase = "Copying"
	PhaseIndexing     Phase = "Indexing"
	PhaseCatchingUp   Phase = "CatchingUp"
	PhaseFrozen       Phase = "Frozen"
	PhaseFinalSync    Phase = "FinalSync"
	PhaseVerifying    Phase = "Verifying"
	PhaseSwitching    Phase = "Switching"
	PhaseDraining     Phase = "Draining"
	PhaseCompleted    Phase = "Completed"
	// PhaseSkipped ends a migration its precheck refused (the tenant is
	// unknown, or already lives elsewhere): nothing was changed, nothing is
	// undone, and a wave does not charge it to its failure budget.
	PhaseSkipped     Phase = "Skipped"
	PhaseRollingBack Phase = "RollingBack"
	PhaseRolledBack  Phase = "RolledBack"
	PhaseFailed      Phase = "Failed"
)
