package workers

import (
	"context"
	"fmt"

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
// refusal is retried, so the activity lands on a worker that matches:
// during a rolling deploy that changes the configuration, or beside a stray
// worker, no tenant is moved under two configurations. Activities without a
// stamp (workflows started before the guard existed) run anywhere.
type configGuard struct {
	interceptor.WorkerInterceptorBase
	own string
}

func newConfigGuard(fingerprint string) *configGuard { return &configGuard{own: fingerprint} }

func (g *configGuard) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityConfigGuard{own: g.own}
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

func (o *outboundConfigGuard) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	stampConfig(ctx)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
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
	if p, err := converter.GetDefaultDataConverter().ToPayload(fp); err == nil {
		interceptor.WorkflowHeader(ctx)[configHeader] = p
	}
}
