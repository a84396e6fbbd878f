package tests

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// Starting a wave whose id is already running is refused with one clear line.
func TestWaveIDAlreadyRunning(t *testing.T) {
	cfg := testenv.Config(t)
	// A task queue no worker polls: the wave stays running.
	cfg.Temporal.TaskQueue = fmt.Sprintf("idle-%d", time.Now().UnixNano())
	conf := testenv.WriteConfig(t, cfg)
	tc, err := temporalclient.Dial(context.Background(), cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close) // registered first, so it runs after the termination below
	id := fmt.Sprintf("dup-%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { tc.TerminateWorkflow(context.Background(), workflows.WaveWorkflowID(id), "", "end of test") })

	cli(t, conf, "wave", "start", "--id", id, "--tenants", "acme")
	out, err := exec.Command(migrawave, "--config", conf, "wave", "start", "--id", id, "--tenants", "acme").CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if err == nil || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "wave "+id+" is already running") {
		t.Fatalf("second start: %v, %q; want one line saying the wave is already running", err, msg)
	}
}
