package workers

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/migrawave/migrawave/workflows"
)

// Histories recorded from real runs (temporal workflow show --output json,
// in workflows/testdata) must replay without a nondeterminism error: a change
// to running workflow code that breaks them needs workflow.GetVersion. They
// replay here, with the workers' interceptors, as a worker replays them.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("../workflows/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in workflows/testdata/: %v", err)
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				Interceptors: []interceptor.WorkerInterceptor{newConfigGuard("")},
			})
			if err != nil {
				t.Fatal(err)
			}
			workflows.Register(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(quiet, f); err != nil {
				t.Fatalf("replaying %s: %v", f, err)
			}
		})
	}
}
