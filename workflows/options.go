package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
)

// Error types activities return for input that no retry can fix.
var nonRetryable = []string{activities.ErrTypeBadInput, activities.ErrTypeVerificationFailed, activities.ErrTypeDataError}

// light is for quick calls to the catalog and the target cluster.
func light(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        10,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// heavy is for copying, indexing and verifying, on the data task queue whose
// workers bound their concurrent copies. The heartbeat timeout is what
// notices a dead worker: the activity then resumes from its checkpoint on
// another one. rowsPerSecond is the copy's limit when the wave or the
// tenant sets one below 2,000 (0: none known; a limit the workers' config
// sets is not, and must not be far below that).
func heavy(ctx workflow.Context, queue string, rows, rowsPerSecond int64) workflow.Context {
	perSecond := int64(2_000)
	if rowsPerSecond > 0 {
		perSecond = min(perSecond, rowsPerSecond)
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: queue,
		// Generous for the largest tenants (tens of millions of rows) and
		// their throttled copies; the heartbeat, not this, detects a stuck copy.
		StartToCloseTimeout: 2*time.Hour + time.Duration(rows/perSecond)*time.Second,
		// Activities heartbeat at least every 10 seconds.
		HeartbeatTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        2 * time.Minute,
			MaximumAttempts:        20,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// drain is for waiting on and moving queues: bounded by the configured drain
// timeout inside the activity, heartbeating while it waits.
func drain(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        20,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// cloudflare is for the Cloudflare API: a 429 comes back with the server's
// Retry-After as the next retry delay, so retries wait as long as asked.
func cloudflare(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			MaximumAttempts:        30,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// afterCutover is for the queue steps after the point of no return, which
// cannot be undone and so are retried for as long as a retry can help.
func afterCutover(ctx workflow.Context) workflow.Context {
	opts := workflow.GetActivityOptions(drain(ctx))
	opts.RetryPolicy.MaximumAttempts = 0 // no limit
	return workflow.WithActivityOptions(ctx, opts)
}

// commit is for the cutover's catalog change, which either applies or
// changes nothing: retried for as long as the catalog does not answer.
func commit(ctx workflow.Context) workflow.Context {
	opts := workflow.GetActivityOptions(light(ctx))
	opts.RetryPolicy.MaximumAttempts = 0 // no limit
	return workflow.WithActivityOptions(ctx, opts)
}
