package workflows

import "go.temporal.io/sdk/workflow"

// registry is what both a worker and the SDK's test environment offer.
type registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers the workflows under the names operators start them by.
func Register(r registry) {
	r.RegisterWorkflowWithOptions(TenantMigration, workflow.RegisterOptions{Name: TenantMigrationName})
	r.RegisterWorkflowWithOptions(Wave, workflow.RegisterOptions{Name: WaveName})
}
