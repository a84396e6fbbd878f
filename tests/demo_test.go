package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/testenv"
)

// make demo's script migrates its wave and leaves none of its workers
// running when it exits. It runs here with two tenants, under a
// configuration and names of the test's own, so that it neither disturbs
// nor depends on the demo's state on this machine.
func TestDemoLeavesNoWorkerBehind(t *testing.T) {
	cfg, _, run := ownStack(t, "demo")
	conf := testenv.WriteConfig(t, cfg)
	prefix := fmt.Sprintf("demo%d-", run)
	ownTenants(t, cfg, prefix, 2)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	script := exec.CommandContext(ctx, "bash", filepath.Join(testenv.RepoRoot(), "deploy/local/demo.sh"))
	report := filepath.Join(t.TempDir(), "demo-report.json")
	script.Env = append(os.Environ(), "CONFIG="+conf, "MIGRAWAVE_BIN="+migrawave, "TENANTAPP_BIN="+tenantapp, "DEMO_TENANTS=2", "DEMO_PREFIX="+prefix,
		"DEMO_LOGS="+t.TempDir(), "DEMO_METRICS_PORT=0", "DEMO_LEDGER="+testenv.PostgresDatabase(t, cfg.Clusters[0].DSN), "DEMO_REPORT="+report,
		"DEMO_TASK_QUEUE="+cfg.Temporal.TaskQueue, "DEMO_DATA_TASK_QUEUE="+cfg.Temporal.DataTaskQueue)
	// Past the timeout the whole script goes, workers and all.
	script.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	script.Cancel = func() error { return syscall.Kill(-script.Process.Pid, syscall.SIGKILL) }
	script.WaitDelay = 10 * time.Second
	out, err := script.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, tail(string(out), 3000))
	}
	if !strings.Contains(string(out), "2 completed, 0 skipped, 0 rolled back, 0 failed") {
		t.Fatalf("the demo's wave did not migrate its two tenants:\n%s", tail(string(out), 3000))
	}
	// The report's keys are a contract: read them as a script would.
	var rep map[string]any
	if b, err := os.ReadFile(report); err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("the demo's report %s: %v\n%s", report, err, b)
	}
	for _, k := range []string{"tenants", "completed", "writes_acknowledged", "writes_lost", "writes_after_freeze", "messages_published", "messages_lost", "messages_duplicated", "freeze_ms", "workflow_freeze_ms"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("the demo's report has no %q: %v", k, rep)
		}
	}
	if rep["tenants"] != 2.0 || rep["completed"] != 2.0 || rep["writes_lost"] != 0.0 || rep["writes_after_freeze"] != 0.0 || rep["messages_lost"] != 0.0 || rep["writes_acknowledged"] == 0.0 {
		t.Errorf("the demo's report: %v", rep)
	}
	if left := processesMentioning(t, conf); len(left) > 0 {
		for _, p := range left {
			var pid int
			fmt.Sscan(p, &pid)
			syscall.Kill(pid, syscall.SIGTERM) // the test's own leftovers
		}
		t.Fatalf("the demo left %d process(es) running with its configuration:\n%s", len(left), strings.Join(left, "\n"))
	}
}

// processesMentioning lists the running processes whose command line
// holds s, as "pid: command line".
func processesMentioning(t *testing.T, s string) []string {
	t.Helper()
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // ended meanwhile
		}
		if line := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(line, s) {
			found = append(found, filepath.Base(filepath.Dir(f))+": "+line)
		}
	}
	return found
}
