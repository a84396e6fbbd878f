package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/migrawave/migrawave/internal/queues"
)

// Queues holds the activities that move a tenant's RabbitMQ queues from the
// old broker to the new one.
type Queues struct {
	engine *queues.Engine
}

// NewQueues builds the queue activities.
func NewQueues(e *queues.Engine) *Queues { return &Queues{engine: e} }

// PrepareQueues declares the tenant's queues on the new broker.
func (a *Queues) PrepareQueues(ctx context.Context, ref TenantRef) (*queues.PrepareReport, error) {
	rep, err := a.engine.Prepare(ctx, ref.TenantID)
	return rep, temporalError(err)
}

// DrainQueues waits, bounded by rabbitmq.drain_timeout, for the application's
// consumers to finish the tenant's messages on the old broker. Whatever is
// left is moved next; a timeout is reported, not failed.
func (a *Queues) DrainQueues(ctx context.Context, ref TenantRef) (*queues.DrainReport, error) {
	rep, err := a.engine.Drain(ctx, ref.TenantID, queues.DrainOptions{
		Progress: func(s queues.DrainSample) { activity.RecordHeartbeat(ctx, s) },
	})
	return rep, temporalError(err)
}

// MoveQueues moves what is left to the new broker.
func (a *Queues) MoveQueues(ctx context.Context, ref TenantRef) (*queues.MoveReport, error) {
	rep, err := a.engine.Move(ctx, ref.TenantID, queues.MoveOptions{
		Progress: func(p queues.MoveProgress) { activity.RecordHeartbeat(ctx, p) },
	})
	return rep, temporalError(err)
}

// RollbackQueues moves the tenant's messages back to the old broker.
func (a *Queues) RollbackQueues(ctx context.Context, ref TenantRef) (*queues.MoveReport, error) {
	rep, err := a.engine.Rollback(ctx, ref.TenantID, queues.MoveOptions{
		Progress: func(p queues.MoveProgress) { activity.RecordHeartbeat(ctx, p) },
	})
	return rep, temporalError(err)
}
