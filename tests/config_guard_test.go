package tests

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// A worker whose configuration differs from the one a migration was
// started under refuses its activities with one line naming both
// fingerprints, and the activity is retried: once a worker with the
// migration's configuration is up, it runs there.
func TestActivityUnderAnotherConfigurationIsRefused(t *testing.T) {
	started, _, run := ownStack(t, "guard")
	confStarted := testenv.WriteConfig(t, started)
	cli(t, confStarted, "setup")
	stray := *started
	stray.Migration.Verify = config.VerifyCounts // one setting apart
	confStray := testenv.WriteConfig(t, &stray)
	if started.Fingerprint() == stray.Fingerprint() {
		t.Fatal("two configurations with the same fingerprint")
	}

	ctx := context.Background()
	tc, err := temporalclient.Dial(ctx, started.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close)
	logs := t.TempDir()
	strayWorker := startWorker(t, confStray, logs, "stray")

	tenant := fmt.Sprintf("guard-%d", run)
	id := workflows.TenantWorkflowID(tenant)
	t.Cleanup(func() { tc.TerminateWorkflow(ctx, id, "", "end of test") })
	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: started.Temporal.TaskQueue}, workflows.TenantMigrationName,
		workflows.TenantInput{TenantID: tenant, DataTaskQueue: started.Temporal.DataTaskQueue, ConfigFingerprint: started.Fingerprint()})
	if err != nil {
		t.Fatal(err)
	}

	// The stray worker refuses the precheck, again and again.
	want := fmt.Sprintf("configuration mismatch: the workflow runs under configuration %s, this worker under %s", started.Fingerprint(), stray.Fingerprint())
	deadline := time.Now().Add(2 * time.Minute)
	for refused := false; !refused; {
		if time.Now().After(deadline) {
			t.Fatalf("never saw the precheck refused twice with %q", want)
		}
		desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
		if err == nil {
			for _, p := range desc.GetPendingActivities() {
				msg := p.GetLastFailure().GetMessage()
				refused = p.GetAttempt() >= 2 && strings.Contains(msg, want) && !strings.Contains(msg, "\n")
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	strayWorker.Process.Signal(syscall.SIGTERM)
	strayWorker.Wait()
	if b, _ := os.ReadFile(filepath.Join(logs, "stray.log")); !strings.Contains(string(b), `"config_fingerprint":"`+stray.Fingerprint()+`"`) {
		t.Errorf("the stray worker did not log its configuration fingerprint at start:\n%s", tail(string(b), 2000))
	}

	// A worker with the migration's configuration takes the retry: the
	// precheck runs and refuses the tenant nobody registered.
	startWorker(t, confStarted, logs, "matching")
	var st workflows.TenantStatus
	for {
		desc, err := tc.DescribeWorkflowExecution(ctx, id, "")
		if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration never ended after a matching worker started")
		}
		time.Sleep(200 * time.Millisecond)
	}
	v, err := tc.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	if err == nil {
		err = v.Get(&st)
	}
	if err != nil || st.Phase != workflows.PhaseSkipped || !strings.Contains(st.Error, "unknown tenant") || st.ConfigFingerprint != started.Fingerprint() {
		t.Fatalf("status %+v, %v; want Skipped by the precheck under %s", st, err, started.Fingerprint())
	}
}
