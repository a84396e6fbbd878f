package tests

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/migrawave/migrawave/internal/catalog"
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

	cli(t, conf, "wave", "start", "--id", id, "--tenants", "acme", "--allow-unknown")
	out, err := exec.Command(migrawave, "--config", conf, "wave", "start", "--id", id, "--tenants", "acme", "--allow-unknown").CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if err == nil || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "wave "+id+" is already running") {
		t.Fatalf("second start: %v, %q; want one line saying the wave is already running", err, msg)
	}
}

// A wave naming tenants the catalog does not know is refused with one line
// that lists the first ten, and nothing is started.
func TestWaveStartRefusesUnknownTenants(t *testing.T) {
	cfg := testenv.Config(t)
	cfg.Catalog.DSN = testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	cfg.Temporal.TaskQueue = fmt.Sprintf("idle-%d", time.Now().UnixNano())
	conf := testenv.WriteConfig(t, cfg)
	cli(t, conf, "setup")
	cat, err := catalog.Open(context.Background(), cfg.Catalog.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	if _, err := cat.Register(context.Background(), []catalog.Registration{{ID: "known-0001", Hostname: "known-0001.example.com"}}); err != nil {
		t.Fatal(err)
	}
	tenants := []string{"known-0001"}
	for i := range 12 {
		tenants = append(tenants, fmt.Sprintf("ghost-%04d", i))
	}
	id := fmt.Sprintf("unknown-%d", time.Now().UnixNano()%1e9)
	out, err := exec.Command(migrawave, "--config", conf, "wave", "start", "--id", id, "--tenants", strings.Join(tenants, ",")).CombinedOutput()
	msg := strings.TrimSpace(string(out))
	want := "the catalog does not know 12 of the wave's tenants: ghost-0000, ghost-0001, ghost-0002, ghost-0003, ghost-0004, ghost-0005, ghost-0006, ghost-0007, ghost-0008, ghost-0009 and 2 more"
	if err == nil || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, want) {
		t.Fatalf("start: %v, %q; want one line: %s", err, msg, want)
	}
	tc, err := temporalclient.Dial(context.Background(), cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	defer tc.Close()
	var notFound *serviceerror.NotFound
	if _, err := tc.DescribeWorkflowExecution(context.Background(), workflows.WaveWorkflowID(id), ""); !errors.As(err, &notFound) {
		t.Fatalf("the refused wave exists: %v", err)
	}
}
