package workers

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
	"github.com/migrawave/migrawave/workflows"
)

// An activity refused by workers under another configuration, attempt
// after attempt, is scheduled again and again until a worker under the
// workflow's configuration runs it: a rolling deploy never fails it.
func TestRefusedActivityWaitsForAMatchingWorker(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	guard := newConfigGuard("bbbbbbbbbbbb")
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{guard}})
	var ran atomic.Int32
	env.RegisterActivityWithOptions(func(_ context.Context, s string) (string, error) {
		ran.Add(1)
		return "echo " + s, nil
	}, activity.RegisterOptions{Name: "Echo"})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (string, error) {
		ctx = workflows.WithConfigFingerprint(ctx, "aaaaaaaaaaaa")
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 2},
		})
		var out string
		err := workflow.ExecuteActivity(ctx, "Echo", "x").Get(ctx, &out)
		return out, err
	}, workflow.RegisterOptions{Name: "UnderA"})
	// Hours of refusals, far past the activity's two attempts; then the
	// worker comes back under the workflow's configuration.
	env.RegisterDelayedCallback(func() {
		a := "aaaaaaaaaaaa"
		guard.own.Store(&a)
	}, 3*time.Hour)
	env.ExecuteWorkflow("UnderA")
	var out string
	if err := env.GetWorkflowResult(&out); err != nil || out != "echo x" || ran.Load() != 1 {
		t.Fatalf("result %q, %v, the activity ran %d times; want it run once, by the matching worker", out, err, ran.Load())
	}
}

// Under the same configuration nothing is refused, and any other failure
// is the activity's own.
func TestActivityUnderTheSameConfigurationRuns(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{newConfigGuard("aaaaaaaaaaaa")}})
	env.RegisterActivityWithOptions(func(context.Context, string) (string, error) {
		return "", temporal.NewNonRetryableApplicationError("no such tenant", activities.ErrTypeBadInput, nil)
	}, activity.RegisterOptions{Name: "Echo"})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (string, error) {
		ctx = workflows.WithConfigFingerprint(ctx, "aaaaaaaaaaaa")
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		return "", workflow.ExecuteActivity(ctx, "Echo", "x").Get(ctx, nil)
	}, workflow.RegisterOptions{Name: "UnderA"})
	env.ExecuteWorkflow("UnderA")
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeBadInput {
		t.Fatalf("workflow error %v; want the activity's own BadInput", err)
	}
}
