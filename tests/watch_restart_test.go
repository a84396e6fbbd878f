package tests

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// `wave watch` rides out a restart of the Temporal server: killed with
// SIGKILL under a running watch and started again on its state file, the
// server comes back, the watch says once that it is reconnecting, the
// worker reconnects and finishes the wave, and the watch prints the wave's
// end and exits 0. The server is a dev server of the test's own, so that
// the other tests keep theirs.
func TestWaveWatchRidesOutAServerRestart(t *testing.T) {
	port := freePort(t)
	dbFile := filepath.Join(t.TempDir(), "temporal.db")
	server := startDevServer(t, port, dbFile)

	cfg, _, run := ownStack(t, "restart")
	cfg.Temporal.Address = fmt.Sprintf("127.0.0.1:%d", port)
	conf := testenv.WriteConfig(t, cfg)
	cli(t, conf, "setup")
	startWorker(t, conf, t.TempDir(), "w1")

	// The wave's one tenant holds before its precheck until it is told to go on.
	wave, tenant := fmt.Sprintf("restart-%d", run), fmt.Sprintf("ghost-%d", run)
	input := filepath.Join(t.TempDir(), "wave.yaml")
	os.WriteFile(input, fmt.Appendf(nil, "tenants: [%s]\noverrides: {%s: {hold_before: Prechecking}}\n", tenant, tenant), 0o600)
	cli(t, conf, "wave", "start", "--id", wave, "--from-file", input, "--allow-unknown")
	tc := dialUntil(t, cfg.Temporal, time.Minute)
	waitTenant(t, tc, tenant, func(s workflows.TenantStatus) bool { return s.Held })
	tc.Close()

	// The watch writes its progress to a file the test reads as it goes.
	var stdout bytes.Buffer
	stderr, err := os.Create(filepath.Join(t.TempDir(), "watch.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	stderrOf := func() string { b, _ := os.ReadFile(stderr.Name()); return string(b) }
	watch := exec.Command(migrawave, "--config", conf, "wave", "watch", wave, "--interval", "200ms", "--reconnect-timeout", "3m")
	watch.Stdout, watch.Stderr = &stdout, stderr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watch.Process.Kill() })
	waitFor(t, "the watch's first line", func() bool { return strings.Contains(stderrOf(), "0/1 done") })

	server.Process.Signal(syscall.SIGKILL)
	server.Wait()
	waitFor(t, "the watch saying it reconnects", func() bool { return strings.Contains(stderrOf(), "no answer from Temporal") })
	startDevServer(t, port, dbFile)
	tc = dialUntil(t, cfg.Temporal, time.Minute)
	defer tc.Close()
	if err := tc.SignalWorkflow(context.Background(), workflows.TenantWorkflowID(tenant), "", workflows.SignalContinue, nil); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- watch.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch exited with %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderrOf())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("the watch did not end\nstderr:\n%s", stderrOf())
	}
	errText := stderrOf()
	if n := strings.Count(errText, "no answer from Temporal"); n != 1 || !strings.Contains(errText, "answers again") {
		t.Errorf("the watch said it was reconnecting %d times (want once, then that it reconnected):\n%s", n, errText)
	}
	if !strings.Contains(stdout.String(), "wave "+wave+": completed") {
		t.Errorf("the watch did not print the wave's end:\n%s", stdout.String())
	}
}

// startDevServer starts a Temporal dev server of the test's own, with
// migrawave's search attributes, and waits until it answers.
func startDevServer(t *testing.T, port int, dbFile string) *exec.Cmd {
	t.Helper()
	args := []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(port), "--headless",
		"--db-filename", dbFile, "--log-level", "error"}
	for _, sa := range workflows.SearchAttributeNames() {
		args = append(args, "--search-attribute", sa+"=Keyword")
	}
	cmd := exec.Command(temporalBinary(t), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	dialUntil(t, config.Temporal{Address: fmt.Sprintf("127.0.0.1:%d", port), Namespace: "default"}, time.Minute).Close()
	return cmd
}

func dialUntil(t *testing.T, cfg config.Temporal, patience time.Duration) client.Client {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		tc, err := temporalclient.Dial(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err == nil {
			return tc
		}
		if time.Now().After(deadline) {
			t.Fatalf("Temporal at %s: %v", cfg.Address, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 2 minutes for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
