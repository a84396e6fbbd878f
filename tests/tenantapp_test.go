package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/ledger"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// The application writes, publishes and consumes for three tenants while
// they migrate, with its catalog listener off: it learns of each freeze and
// cutover late, from the source's fence or its own re-reads. Every write
// and message it acknowledged is where the tenant lives afterwards, it
// wrote and published on the old platform before the cutover and on the
// new one after, and nothing committed to the source after a fence closed.
func TestApplicationThatLearnsOfTheFreezeLateLosesNothing(t *testing.T) {
	cfg, _, run := ownStack(t, "app")
	prefix := fmt.Sprintf("app%d-", run)
	tenants := ownTenants(t, cfg, prefix, 3)
	conf := testenv.WriteConfig(t, cfg)
	ledgerDSN := testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	cli(t, conf, "setup")
	cli(t, conf, "demo", "seed", "--tenants", "3", "--scale", "0.2", "--prefix", prefix)
	cli(t, conf, "catalog", "import")
	logs := t.TempDir()
	startWorker(t, conf, logs, "w1")

	app := exec.Command(tenantapp, "--config", conf, "--ledger", ledgerDSN, "run", "--tenants", strings.Join(tenants, ","),
		"--rate", "5", "--listen=false", "--reread", "1m")
	appLog, err := os.Create(filepath.Join(logs, "tenantapp.log"))
	if err != nil {
		t.Fatal(err)
	}
	app.Stdout, app.Stderr = appLog, appLog
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	// ledgerEntries counts what q counts in the ledger, -1 if it cannot.
	ledgerEntries := func(q string) int {
		conn, err := pgx.Connect(context.Background(), ledgerDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
			return -1 // not created yet: the application creates it as it starts
		}
		return n
	}
	waitFor(t, "the application's first writes", func() bool { return ledgerEntries(`SELECT count(DISTINCT tenant) FROM writes`) == 3 })

	tc, err := temporalclient.Dial(context.Background(), cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close)
	waveID := fmt.Sprintf("app-%d", run)
	t.Cleanup(func() { terminateWave(tc, waveID, tenants) })
	cli(t, conf, "wave", "start", "--id", waveID, "--tenants", strings.Join(tenants, ","), "--concurrency", "3")
	final := waitWave(t, tc, waveID, func(s workflows.WaveStatus) bool { return s.Pending == 0 && len(s.Running) == 0 })
	if final.Completed != 3 {
		t.Fatalf("wave ended %+v; want 3 completed", final)
	}
	// Go on writing in the new databases, then stop: the application
	// processes what is left in the queues before it exits.
	waitFor(t, "writes in every new database", func() bool {
		return ledgerEntries(`SELECT count(DISTINCT tenant) FROM writes WHERE location <> 'source'`) == 3
	})
	app.Process.Signal(syscall.SIGTERM)
	if err := app.Wait(); err != nil {
		t.Fatalf("tenantapp: %v (log in %s)", err, appLog.Name())
	}

	out, err := exec.Command(tenantapp, "--config", conf, "--ledger", ledgerDSN, "check", "--output", "json").Output()
	var rep ledger.Report
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		t.Fatalf("tenantapp check: %v, %v\n%s", err, jerr, out)
	}
	if err != nil || rep.WritesLost != 0 || rep.WritesAfterFreeze != 0 || rep.MessagesLost != 0 || rep.Tenants != 3 || rep.WritesAcknowledged == 0 {
		t.Fatalf("ledger check: %v\n%+v", err, rep)
	}
	for _, broker := range []string{"old", "new"} {
		if n := ledgerEntries(`SELECT count(DISTINCT tenant) FROM messages WHERE event = 'processed' AND broker = '` + broker + `'`); n != 3 {
			t.Errorf("%d tenants had messages processed on the %s broker; want 3", n, broker)
		}
	}
	t.Logf("ledger: %d writes, %d messages, freeze seen by the application p50 %d ms, max %d ms",
		rep.WritesAcknowledged, rep.MessagesPublished, rep.FreezeMS.P50, rep.FreezeMS.Max)
}
