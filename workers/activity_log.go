package workers

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// activityLog logs every activity a worker ran: which, for which workflow,
// which attempt, how long it took and how it ended. An operator reads from
// it where a tenant's time went, without opening its history.
type activityLog struct {
	interceptor.WorkerInterceptorBase
	log *slog.Logger
}

func (l *activityLog) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityLogInbound{log: l.log}
	i.Next = next
	return i
}

type activityLogInbound struct {
	interceptor.ActivityInboundInterceptorBase
	log *slog.Logger
}

func (a *activityLogInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	res, err := a.Next.ExecuteActivity(ctx, in)
	info := activity.GetInfo(ctx)
	attrs := []any{"activity", info.ActivityType.Name, "workflow_id", info.WorkflowExecution.ID, "attempt", info.Attempt,
		"duration_ms", time.Since(start).Milliseconds()}
	if err != nil {
		a.log.Warn("activity failed", append(attrs, "err", err)...)
	} else {
		a.log.Info("activity done", attrs...)
	}
	return res, err
}
