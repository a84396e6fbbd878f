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
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/ledger"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// The application writes, publishes and consumes for three tenants while
// they migrate, with its catalog listener off: it learns of each freeze and
// cutover late, from the source's fence or its own re-reads. Their copies
// are throttled to last seconds, and it goes on writing meanwhile: a copy
// runs before the freeze. Every write and message it acknowledged is where
// the tenant lives afterwards, it wrote and published on the old platform
// before the cutover and on the new one after, and nothing committed to the
// source after a fence closed.
func TestApplicationThatLearnsOfTheFreezeLateLosesNothing(t *testing.T) {
	cfg, _, run := ownStack(t, "app")
	prefix := fmt.Sprintf("app%d-", run)
	tenants := ownTenants(t, cfg, prefix, 3)
	conf := testenv.WriteConfig(t, cfg)
	cli(t, conf, "setup")
	cli(t, conf, "demo", "seed", "--tenants", "3", "--scale", "0.2", "--prefix", prefix)
	cli(t, conf, "catalog", "import")
	logs := t.TempDir()
	startWorker(t, conf, logs, "w1")
	app := startApplication(t, cfg, conf, logs, tenants, "--rate", "5", "--listen=false", "--reread", "1m")

	tc, err := temporalclient.Dial(context.Background(), cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close)
	waveID := fmt.Sprintf("app-%d", run)
	t.Cleanup(func() { terminateWave(tc, waveID, tenants) })
	// Each copy lasts at least its tenant's activity rows / rate seconds,
	// and the tenant's activity rows are only part of its rows.
	rate := max(fewestActivityRows(t, cfg, tenants)/copySeconds, 1)
	cli(t, conf, "wave", "start", "--id", waveID, "--tenants", strings.Join(tenants, ","), "--concurrency", "3",
		"--max-rows-per-second", fmt.Sprint(rate))
	final := waitWave(t, tc, waveID, func(s workflows.WaveStatus) bool { return s.Pending == 0 && len(s.Running) == 0 })
	if final.Completed != 3 {
		t.Fatalf("wave ended %+v; want 3 completed", final)
	}
	cat, err := catalog.Open(context.Background(), cfg.Catalog.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	for _, tenant := range tenants {
		// Its copy began, went on for seconds, then the fence closed: all
		// the while, the tenant took writes.
		began := scheduled(t, tc, workflows.TenantWorkflowID(tenant), "CopyData")
		fenced := fenceClosed(t, cat, tenant)
		n := app.entries(`SELECT count(*) FROM writes WHERE tenant = $1 AND location = 'source' AND at >= $2 AND at < $3`, tenant, began, fenced)
		if took := fenced.Sub(began); took < (copySeconds-1)*time.Second || n <= 0 {
			t.Errorf("%s: its fence closed %s after its copy began, and %d writes were acknowledged in between; want %d s or more, and writes",
				tenant, took, n, copySeconds-1)
		}
	}
	// Go on writing in the new databases, then stop: the application
	// processes what is left in the queues before it exits.
	waitFor(t, "writes in every new database", func() bool {
		return app.entries(`SELECT count(DISTINCT tenant) FROM writes WHERE location <> 'source'`) == 3
	})
	app.stop()
	rep := app.check(3)
	for _, broker := range []string{"old", "new"} {
		if n := app.entries(`SELECT count(DISTINCT tenant) FROM messages WHERE event = 'processed' AND broker = '` + broker + `'`); n != 3 {
			t.Errorf("%d tenants had messages processed on the %s broker; want 3", n, broker)
		}
	}
	t.Logf("ledger: %d writes, %d messages, freeze seen by the application p50 %d ms, max %d ms",
		rep.WritesAcknowledged, rep.MessagesPublished, rep.FreezeMS.P50, rep.FreezeMS.Max)
}

// application is tenantapp running on some tenants, with a ledger of its own.
type application struct {
	t            *testing.T
	conf, ledger string
	cmd          *exec.Cmd
	log          string
}

// startApplication starts tenantapp on tenants and waits for its first
// write to each.
func startApplication(t *testing.T, cfg *config.Config, conf, logs string, tenants []string, args ...string) *application {
	t.Helper()
	a := &application{t: t, conf: conf, ledger: testenv.PostgresDatabase(t, cfg.Clusters[0].DSN), log: filepath.Join(logs, "tenantapp.log")}
	a.cmd = exec.Command(tenantapp, append([]string{"--config", conf, "--ledger", a.ledger, "run", "--tenants", strings.Join(tenants, ",")}, args...)...)
	f, err := os.Create(a.log)
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stdout, a.cmd.Stderr = f, f
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.cmd.Process.Kill(); a.cmd.Wait(); f.Close() })
	waitFor(t, "the application's first writes", func() bool {
		return a.entries(`SELECT count(DISTINCT tenant) FROM writes`) == len(tenants)
	})
	return a
}

// copySeconds is the least a throttled copy lasts in the test above.
const copySeconds = 3

// fewestActivityRows is the fewest activity_log rows of one of tenants in
// the source.
func fewestActivityRows(t *testing.T, cfg *config.Config, tenants []string) int64 {
	t.Helper()
	src, _, err := source.Open(context.Background(), cfg.Source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fewest := int64(-1)
	for _, tenant := range tenants {
		var n int64
		if err := src.QueryRow(`SELECT count(*) FROM activity_log WHERE tenant_id = ?`, tenant).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fewest
}

// scheduled is when the workflow first scheduled the activity.
func scheduled(t *testing.T, tc client.Client, workflowID, activity string) time.Time {
	t.Helper()
	it := tc.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activity {
			return e.GetEventTime().AsTime()
		}
	}
	t.Fatalf("%s never scheduled %s", workflowID, activity)
	return time.Time{}
}

// fenceClosed is when the tenant's source fence first closed.
func fenceClosed(t *testing.T, cat *catalog.Catalog, tenant string) time.Time {
	t.Helper()
	events, err := cat.Events(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == catalog.EventFenced {
			at, err := time.Parse(time.RFC3339Nano, e.At)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
	}
	t.Fatalf("%s: no %s event in the catalog", tenant, catalog.EventFenced)
	return time.Time{}
}

// entries counts what q counts in the ledger, -1 if it cannot.
func (a *application) entries(q string, args ...any) int {
	conn, err := pgx.Connect(context.Background(), a.ledger)
	if err != nil {
		a.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		return -1 // not created yet: the application creates it as it starts
	}
	return n
}

// stop stops the application as an operator would, and waits for it.
func (a *application) stop() {
	a.t.Helper()
	a.cmd.Process.Signal(syscall.SIGTERM)
	if err := a.cmd.Wait(); err != nil {
		a.t.Fatalf("tenantapp: %v (log in %s)", err, a.log)
	}
}

// check runs `tenantapp check` and fails the test unless the ledger of
// tenants tenants shows writes, and no write or message lost and no write
// committed to the source after a freeze.
func (a *application) check(tenants int) ledger.Report {
	a.t.Helper()
	out, err := exec.Command(tenantapp, "--config", a.conf, "--ledger", a.ledger, "check", "--output", "json").Output()
	var rep ledger.Report
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		a.t.Fatalf("tenantapp check: %v, %v\n%s", err, jerr, out)
	}
	if err != nil || rep.WritesLost != 0 || rep.WritesAfterFreeze != 0 || rep.MessagesLost != 0 || rep.Tenants != tenants || rep.WritesAcknowledged == 0 {
		a.t.Fatalf("ledger check: %v\n%+v", err, rep)
	}
	return rep
}
