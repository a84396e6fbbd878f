package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/migrawave/migrawave/activities"
)

// configKey carries, in a workflow's context, the fingerprint of the
// configuration the workflow was started under. The workers stamp it on
// every activity the workflow schedules, and a worker whose configuration
// differs refuses the activity, which is retried until a matching worker
// takes it: one tenant is never switched under one configuration and
// rolled back under another.
type configKey struct{}

// ConfigFingerprint is the configuration fingerprint ctx carries, or "".
func ConfigFingerprint(ctx workflow.Context) string {
	fp, _ := ctx.Value(configKey{}).(string)
	return fp
}

// withConfig returns ctx carrying *fp. A workflow started without one (by
// the temporal CLI, say) takes the configuration of the worker that runs
// its first task, and keeps it in *fp for its children and its next run.
func withConfig(ctx workflow.Context, fp *string) workflow.Context {
	if *fp == "" && workflow.GetVersion(ctx, versionConfigFingerprint, workflow.DefaultVersion, 1) >= 1 {
		var cat *activities.Catalog
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
		if err := workflow.ExecuteLocalActivity(lctx, cat.ConfigFingerprint).Get(ctx, fp); err != nil {
			workflow.GetLogger(ctx).Warn("no configuration fingerprint: activities will run on any worker", "error", err)
		}
	}
	return WithConfigFingerprint(ctx, *fp)
}

// WithConfigFingerprint returns ctx carrying the configuration fingerprint fp.
func WithConfigFingerprint(ctx workflow.Context, fp string) workflow.Context {
	return workflow.WithValue(ctx, configKey{}, fp)
}
