package tests

import (
	"context"
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
	script.Env = append(os.Environ(), "CONFIG="+conf, "MIGRAWAVE_BIN="+migrawave, "DEMO_TENANTS=2", "DEMO_PREFIX="+prefix,
		"DEMO_LOGS="+t.TempDir(), "DEMO_METRICS_PORT=0",
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
