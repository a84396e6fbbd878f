// Package workflows holds migrawave's deterministic workflow code.
package workflows

import "go.temporal.io/sdk/temporal"

// Custom search attributes, all Keyword, registered by `migrawave setup` and
// by the local stack. Operators query them in the UI and the temporal CLI:
// WaveId="w-042" AND MigrationPhase="Failed".
var (
	WaveIDKey         = temporal.NewSearchAttributeKeyKeyword("WaveId")
	TenantIDKey       = temporal.NewSearchAttributeKeyKeyword("TenantId")
	MigrationPhaseKey = temporal.NewSearchAttributeKeyKeyword("MigrationPhase")
	TargetClusterKey  = temporal.NewSearchAttributeKeyKeyword("TargetCluster")
)

// SearchAttributeNames lists the custom search attributes by name.
func SearchAttributeNames() []string {
	return []string{WaveIDKey.GetName(), TenantIDKey.GetName(), MigrationPhaseKey.GetName(), TargetClusterKey.GetName()}
}
