package workers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
	"github.com/migrawave/migrawave/workflows"
)

// configHeader carries a workflow's configuration fingerprint to its activities.
const configHeader = "migrawave-config-fingerprint"

// configGuard stamps every activity a workflow schedules with the
// configuration fingerprint the workflow runs under, and refuses an
// activity stamped with another configuration than this worker's. The
// refusal is retried, and once its attempts are spent the workflow
// schedules it again, so the activity lands on a worker that matches:
// during a rolling deploy that changes the configuration, or beside a stray
// worker, no tenant is moved under two configurations. Activities without a
// stamp (workflows started before the guard existed) run anywhere.
type configGuard struct {
	interceptor.WorkerInterceptorBase
	// own is this worker's fingerprint (a pointer, so that a test can
	// play a worker restarted under another configuration).
	own atomic.Pointer[string]
}

func newConfigGuard(fingerprint string) *configGuard {
	g := &configGuard{}
	g.own.Store(&fingerprint)
	return g
}

func (g *configGuard) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityConfigGuard{own: *g.own.Load()}
	a.Next = next
	return a
}

func (g *configGuard) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	w := &workflowConfigGuard{}
	w.Next = next
	return w
}

type activityConfigGuard struct {
	interceptor.ActivityInboundInterceptorBase
	own string
}

func (a *activityConfigGuard) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	if p := interceptor.Header(ctx)[configHeader]; p != nil {
		var theirs string
		if err := converter.GetDefaultDataConverter().FromPayload(p, &theirs); err == nil && theirs != "" && theirs != a.own {
			return nil, temporal.NewApplicationError(fmt.Sprintf(
				"configuration mismatch: the workflow runs under configuration %s, this worker under %s; retrying on another worker", theirs, a.own),
				activities.ErrTypeConfigMismatch)
		}
	}
	return a.Next.ExecuteActivity(ctx, in)
}

type workflowConfigGuard struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *workflowConfigGuard) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	o := &outboundConfigGuard{}
	o.Next = outbound
	return w.Next.Init(o)
}

type outboundConfigGuard struct {
	interceptor.WorkflowOutboundInterceptorBase
}

// ExecuteActivity stamps the activity, and schedules it again, after a
// pause, whenever every attempt of it was refused by workers under another
// configuration: a refusal must not roll a tenant back (nor fail its
// rollback) during a rolling deploy, so it waits, without limit and in
// sight in the UI, for a worker under the workflow's configuration.
func (o *outboundConfigGuard) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	stampConfig(ctx)
	first := o.Next.ExecuteActivity(ctx, activityType, args...)
	if workflows.ConfigFingerprint(ctx) == "" {
		return first
	}
	result, settable := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(gctx workflow.Context) {
		f := first
		for wait := time.Second; refusedByConfig(f.Get(gctx, nil)) && ctx.Err() == nil; wait = min(2*wait, 5*time.Minute) {
			workflow.GetLogger(ctx).Warn("every attempt was refused by workers under another configuration; scheduling it again",
				"activity", activityType, "config_fingerprint", workflows.ConfigFingerprint(ctx), "after", wait)
			if workflow.Sleep(gctx, wait) != nil {
				break
			}
			f = o.Next.ExecuteActivity(ctx, activityType, args...)
		}
		settable.Chain(f)
	})
	return result
}

// refusedByConfig says whether an activity failed because workers under
// another configuration refused it.
func refusedByConfig(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeConfigMismatch
}

func (o *outboundConfigGuard) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	stampConfig(ctx)
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// stampConfig writes the workflow's fingerprint into the header of the
// activity being scheduled. Headers are not replayed: adding one changes
// no workflow's history.
func stampConfig(ctx workflow.Context) {
	fp := workflows.ConfigFingerprint(ctx)
	if fp == "" {
		return
	}
	if h := interceptor.WorkflowHeader(ctx); h != nil {
		if p, err := converter.GetDefaultDataConverter().ToPayload(fp); err == nil {
			h[configHeader] = p
		}
	}
}
