package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.temporal.io/sdk/client"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// A wave of 30 seeded tenants (and one unknown) on the real stack with two worker processes,
// started with the real temporal CLI: paused and resumed, a worker killed
// with SIGKILL mid-copy, one tenant failing verification. 29 end Completed
// and verified, the failing one RolledBack with everything as before, the
// unknown one Skipped. The application works for the failing tenant and two
// others throughout: it keeps every write it acknowledged before, during and
// after the failed attempt, and every message. A second wave with a tenant
// already moved skips it and leaves its catalog row exactly as it was.
func TestWaveEndToEnd(t *testing.T) {
	cfg, emu, run := ownStack(t, "e2e")
	conf := testenv.WriteConfig(t, cfg)
	prefix := fmt.Sprintf("e2e%d-", run)
	seeded := ownTenants(t, cfg, prefix, 30)

	ctx := context.Background()
	tc, err := temporalclient.Dial(ctx, cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close)

	// Whatever this test leaves running would only hold its own ids, but
	// it is stopped all the same.
	t.Cleanup(func() { terminateWave(tc, waveIDFor(run), seeded) })

	cli(t, conf, "setup")
	cli(t, conf, "demo", "seed", "--tenants", "30", "--seed", "11", "--scale", "4", "--prefix", prefix)
	cli(t, conf, "catalog", "import")
	// The largest tenant (the first seeded) goes tenth, so that it starts
	// after the pause and is copying when a worker gets killed.
	big := seeded[0]
	tenants := append(append(append([]string{}, seeded[1:10]...), big), seeded[10:]...)
	victim := seeded[7]
	// A tenant the catalog does not know is reported for itself; the rest go on.
	ghost := prefix + "ghost"
	tenants = append(tenants, ghost)

	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	victimBefore, _ := cat.Get(ctx, victim)
	dnsBefore := record(t, emu, cfg.Hostname(victim))

	logs := t.TempDir()
	// Its rows change once the tenant lives in its database: the ledger,
	// not verify, checks the application's tenants at the end.
	appTenants := []string{victim, seeded[2], seeded[3]}
	app := startApplication(t, cfg, conf, logs, appTenants, "--rate", "2")
	workers := []*exec.Cmd{startWorker(t, conf, logs, "w1"), startWorker(t, conf, logs, "w2")}

	waveID := waveIDFor(run)
	input, _ := json.Marshal(workflows.WaveInput{
		WaveID: waveID, Tenants: tenants, Concurrency: 4, DataTaskQueue: cfg.Temporal.DataTaskQueue,
		Overrides: map[string]workflows.TenantOptions{
			victim: {HoldBefore: workflows.PhaseVerifying},
			// Slow on purpose, whatever the machine: its ~15,000 rows take
			// at least 30 s to copy, so a worker can be killed mid-copy.
			big: {MaxRowsPerSecond: 500},
		},
	})
	inputFile := filepath.Join(t.TempDir(), "wave.json")
	os.WriteFile(inputFile, input, 0o600)
	temporalCLI(t, "workflow", "start", "--type", workflows.WaveName, "--task-queue", cfg.Temporal.TaskQueue,
		"--workflow-id", workflows.WaveWorkflowID(waveID), "--input-file", inputFile)

	// Pause: running tenants finish, no new one starts; resume goes on.
	temporalCLI(t, "workflow", "signal", "--workflow-id", workflows.WaveWorkflowID(waveID), "--name", workflows.SignalPause)
	paused := waitWave(t, tc, waveID, func(s workflows.WaveStatus) bool { return s.Paused && len(s.Running) == 0 })
	time.Sleep(3 * time.Second)
	if still := queryWave(t, tc, waveID); still.Pending != paused.Pending || len(still.Running) != 0 {
		t.Fatalf("a paused wave started tenants: %+v then %+v", paused, still)
	}
	temporalCLI(t, "workflow", "signal", "--workflow-id", workflows.WaveWorkflowID(waveID), "--name", workflows.SignalResume)

	// Kill the worker copying the big tenant, mid-copy, and start another.
	killed := killCopyingWorker(t, tc, cfg, big, workers)
	workers = append(workers, startWorker(t, conf, logs, "w3"))
	t.Logf("killed worker %s mid-copy of %s", killed, big)

	// The victim waits before verification: make its target differ from the source.
	waitTenant(t, tc, victim, func(s workflows.TenantStatus) bool { return s.Held })
	tamper(t, cfg, victim)
	temporalCLI(t, "workflow", "signal", "--workflow-id", workflows.TenantWorkflowID(victim), "--name", workflows.SignalContinue)

	final := waitWave(t, tc, waveID, func(s workflows.WaveStatus) bool { return s.Pending == 0 && len(s.Running) == 0 })
	if final.Completed != 29 || final.RolledBack != 1 || final.Skipped != 1 {
		t.Fatalf("wave ended %+v; want 29 completed, 1 rolled back, 1 skipped", final)
	}
	for _, o := range final.Outcomes {
		if o.TenantID == victim && (o.Phase != workflows.PhaseRolledBack || !strings.Contains(o.Error, "verification failed")) {
			t.Fatalf("victim outcome %+v; want RolledBack with the verification failure", o)
		}
		if o.TenantID == ghost && (o.Phase != workflows.PhaseSkipped || !strings.Contains(o.Error, `unknown tenant "`+ghost+`"`)) {
			t.Fatalf("unknown tenant's outcome %+v; want Skipped naming it", o)
		}
	}

	// The victim is exactly as before: catalog routing, DNS record, queues.
	victimAfter, _ := cat.Get(ctx, victim)
	if victimAfter.Location != victimBefore.Location || victimAfter.Cluster != victimBefore.Cluster ||
		victimAfter.Database != victimBefore.Database || victimAfter.Frozen || victimAfter.Hostname != victimBefore.Hostname {
		t.Errorf("victim's catalog row: before %+v, after %+v", victimBefore, victimAfter)
	}
	if after := record(t, emu, cfg.Hostname(victim)); !reflect.DeepEqual(dnsBefore, after) {
		t.Errorf("victim's DNS record changed:\n%+v\n%+v", dnsBefore, after)
	}
	// Its messages never left the old broker, where the application went on
	// processing them; after the failed attempt it writes in the source again.
	if onNew := queueDepths(t, cfg.RabbitMQ.NewURL, cfg, victim); sum(onNew) != 0 {
		t.Errorf("victim's queues on the new broker hold %v", onNew)
	}
	victimWrites := fmt.Sprintf(`SELECT count(*) FROM writes WHERE tenant = '%s'`, victim)
	before := app.entries(victimWrites)
	waitFor(t, "the application's writes to the rolled-back tenant", func() bool { return app.entries(victimWrites) >= before+3 })
	app.stop()
	app.check(len(appTenants))
	if n := app.entries(fmt.Sprintf(`SELECT count(*) FROM writes WHERE tenant = '%s' AND location <> 'source'`, victim)); n != 0 {
		t.Errorf("the application wrote %d times to the rolled-back tenant outside the source", n)
	}
	if n := app.entries(fmt.Sprintf(`SELECT count(*) FROM messages WHERE tenant = '%s' AND broker <> 'old'`, victim)); n != 0 {
		t.Errorf("%d of the rolled-back tenant's messages went through the new broker", n)
	}

	// The 29: catalog location, DNS at the new platform, queues moved, data verified.
	for _, tenant := range seeded {
		if tenant == victim {
			continue
		}
		tn, _ := cat.Get(ctx, tenant)
		if tn.Location != tn.Cluster+"/"+target.DatabaseName(cfg.Migration.DatabaseTemplate, tenant) || tn.Frozen {
			t.Errorf("%s: catalog %+v", tenant, tn)
			continue
		}
		if rec := record(t, emu, cfg.Hostname(tenant)); rec["content"] != cfg.Cloudflare.NewTarget {
			t.Errorf("%s: DNS points at %v", tenant, rec["content"])
		}
		if left := queueDepths(t, cfg.RabbitMQ.OldURL, cfg, tenant); sum(left) != 0 {
			t.Errorf("%s: %v messages left on the old broker", tenant, left)
		}
		if !slices.Contains(appTenants, tenant) {
			cli(t, conf, "verify", "--tenant", tenant, "--cluster", tn.Cluster)
		}
	}

	// Migrating a tenant that already moved is refused by its precheck: the
	// tenant is Skipped and its catalog row stays byte for byte the same.
	moved := seeded[1]
	rowBefore, eventsBefore := catalogRow(t, cat, moved)
	again := waveID + "-again"
	t.Cleanup(func() { tc.TerminateWorkflow(context.Background(), workflows.WaveWorkflowID(again), "", "end of test") })
	cli(t, conf, "wave", "start", "--id", again, "--tenants", moved)
	second := waitWave(t, tc, again, func(s workflows.WaveStatus) bool { return s.Pending == 0 && len(s.Running) == 0 })
	if second.Skipped != 1 || len(second.Outcomes) != 1 || !strings.Contains(second.Outcomes[0].Error, "already lives in") {
		t.Fatalf("second wave ended %+v; want %s Skipped as already moved", second, moved)
	}
	if rowAfter, eventsAfter := catalogRow(t, cat, moved); rowAfter != rowBefore || eventsAfter != eventsBefore {
		t.Fatalf("%s's catalog after the refused wave:\n%s (%d events)\nbefore:\n%s (%d events)", moved, rowAfter, eventsAfter, rowBefore, eventsBefore)
	}

	// Visibility is eventually consistent: poll the count the operator would run.
	query := fmt.Sprintf(`WaveId="%s" AND MigrationPhase="Completed"`, waveID)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := temporalCLI(t, "workflow", "count", "--query", query)
		if strings.Contains(out, "Total: 29") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("temporal workflow count --query %s: %s", query, out)
		}
		time.Sleep(time.Second)
	}
}

// catalogRow is the tenant's catalog row as PostgreSQL prints it, every
// column, and the number of its events.
func catalogRow(t *testing.T, cat *catalog.Catalog, tenant string) (string, int) {
	t.Helper()
	var row string
	var events int
	err := cat.Pool().QueryRow(context.Background(), `SELECT t::text, (SELECT count(*) FROM tenant_events e WHERE e.tenant_id = t.tenant_id)
		FROM tenants t WHERE tenant_id = $1`, tenant).Scan(&row, &events)
	if err != nil {
		t.Fatal(err)
	}
	return row, events
}

func waveIDFor(run int64) string { return fmt.Sprintf("e2e-%d", run) }

func terminateWave(tc client.Client, wave string, tenants []string) {
	ctx := context.Background()
	_ = tc.TerminateWorkflow(ctx, workflows.WaveWorkflowID(wave), "", "end of test")
	for _, tenant := range tenants {
		_ = tc.TerminateWorkflow(ctx, workflows.TenantWorkflowID(tenant), "", "end of test")
	}
}

func startWorker(t *testing.T, conf, logs, name string) *exec.Cmd {
	t.Helper()
	f, err := os.Create(filepath.Join(logs, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(migrawave, "--config", conf, "worker", "--log-format", "json", "--stop-timeout", "2s")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(f.Name())
			t.Logf("worker %s log (tail):\n%s", name, tail(string(b), 3000))
		}
	})
	return cmd
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// temporalBinary is the temporal CLI the local stack built.
func temporalBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("MIGRAWAVE_TEMPORAL"); bin != "" {
		return bin
	}
	out, err := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "deploy/local/stack.sh"), "temporal-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func temporalCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(temporalBinary(t), append(args, "--address", "127.0.0.1:7233")...).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func queryWave(t *testing.T, tc client.Client, wave string) workflows.WaveStatus {
	t.Helper()
	var st workflows.WaveStatus
	v, err := tc.QueryWorkflow(context.Background(), workflows.WaveWorkflowID(wave), "", workflows.QueryStatus)
	if err == nil {
		err = v.Get(&st)
	}
	if err != nil {
		t.Fatalf("querying wave %s: %v", wave, err)
	}
	return st
}

func waitWave(t *testing.T, tc client.Client, wave string, done func(workflows.WaveStatus) bool) workflows.WaveStatus {
	t.Helper()
	deadline := time.Now().Add(8 * time.Minute)
	for time.Now().Before(deadline) {
		if st := queryWave(t, tc, wave); done(st) {
			return st
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("wave %s: condition not reached; last status %+v", wave, queryWave(t, tc, wave))
	return workflows.WaveStatus{}
}

func waitTenant(t *testing.T, tc client.Client, tenant string, done func(workflows.TenantStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Minute)
	for time.Now().Before(deadline) {
		var st workflows.TenantStatus
		v, err := tc.QueryWorkflow(context.Background(), workflows.TenantWorkflowID(tenant), "", workflows.QueryStatus)
		if err == nil && v.Get(&st) == nil && done(st) {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("tenant %s: condition not reached", tenant)
}

// killCopyingWorker waits until a worker heartbeats the tenant's copy and
// kills that process with SIGKILL. It returns the killed worker's identity.
func killCopyingWorker(t *testing.T, tc client.Client, cfg *config.Config, tenant string, workers []*exec.Cmd) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		desc, err := tc.DescribeWorkflowExecution(context.Background(), workflows.TenantWorkflowID(tenant), "")
		if err == nil {
			for _, p := range desc.GetPendingActivities() {
				if p.GetActivityType().GetName() != "CopyData" || p.GetHeartbeatDetails() == nil {
					continue
				}
				identity := p.GetLastWorkerIdentity()
				for _, w := range workers {
					if strings.HasPrefix(identity, fmt.Sprintf("%d@", w.Process.Pid)) {
						w.Process.Signal(syscall.SIGKILL)
						return identity
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("never saw %s's copy running on a worker", tenant)
	return ""
}

// tamper deletes one row from the tenant's target, as a bug or a stray
// write would, so that verification must fail.
func tamper(t *testing.T, cfg *config.Config, tenant string) {
	t.Helper()
	tampered := false
	for _, cl := range cfg.Clusters {
		u, err := url.Parse(cl.DSN)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + target.DatabaseName(cfg.Migration.DatabaseTemplate, tenant)
		conn, err := pgx.Connect(context.Background(), u.String())
		if err != nil {
			continue
		}
		tag, err := conn.Exec(context.Background(), `DELETE FROM activity_log WHERE id = (SELECT min(id) FROM activity_log)`)
		conn.Close(context.Background())
		if err == nil && tag.RowsAffected() == 1 {
			tampered = true
			break
		}
	}
	if !tampered {
		t.Fatalf("found no target database of %s to tamper with", tenant)
	}
}

// record returns the tenant hostname's DNS record as the emulator holds it,
// without the timestamps any write changes.
func record(t *testing.T, emu *cfemu.Server, hostname string) map[string]any {
	t.Helper()
	state, err := emu.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range state.Zones {
		for _, r := range z.Records {
			if r.Name == hostname {
				b, _ := json.Marshal(r)
				var m map[string]any
				json.Unmarshal(b, &m)
				for k := range m {
					if strings.HasSuffix(k, "modified_on") {
						delete(m, k)
					}
				}
				return m
			}
		}
	}
	t.Fatalf("no DNS record for %s", hostname)
	return nil
}

// queueDepths counts the ready messages of a tenant's queues on a broker.
func queueDepths(t *testing.T, url string, cfg *config.Config, tenant string) map[string]int {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		testenv.Unavailable(t, "RabbitMQ", err)
	}
	defer conn.Close()
	out := map[string]int{}
	for _, tmpl := range cfg.RabbitMQ.Queues {
		name := strings.ReplaceAll(tmpl, "{tenant}", tenant)
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
		if err == nil {
			out[name] = q.Messages
			ch.Close()
		}
	}
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// deleteQueues removes the tenants' queues of cfg from both brokers.
func deleteQueues(t *testing.T, cfg *config.Config, tenants []string) {
	var names []string
	for _, tenant := range tenants {
		for _, tmpl := range cfg.RabbitMQ.Queues {
			names = append(names, strings.ReplaceAll(tmpl, "{tenant}", tenant))
		}
	}
	testenv.DeleteQueues(t, []string{cfg.RabbitMQ.OldURL, cfg.RabbitMQ.NewURL}, names)
}

func dropTenantDatabases(cfg *config.Config, tenants []string) {
	ctx := context.Background()
	for _, cl := range cfg.Clusters {
		conn, err := target.ConnectCluster(ctx, cl)
		if err != nil {
			continue
		}
		for _, tenant := range tenants {
			conn.Drop(ctx, target.DatabaseName(cfg.Migration.DatabaseTemplate, tenant))
		}
		conn.Close(ctx)
	}
}
