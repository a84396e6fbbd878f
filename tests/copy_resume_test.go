package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/demo"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/testenv"
)

// A copy killed with SIGKILL mid-table and resumed ends with exactly the
// source rows, as `migrawave verify` (exit 0) confirms.
func TestKilledCopyResumesExactly(t *testing.T) {
	cfg, conf, tenant, database := seededTenantToCopy(t, "resume", "pg-b")
	cluster, _ := cfg.Cluster("pg-b")

	copyCmd := exec.Command(migrawave, "--config", conf, "copy", "--tenant", tenant, "--cluster", "pg-b",
		"--chunk-rows", "100", "--parallelism", "1", "--output", "json",
		// Slow on purpose: a few seconds for the tenant's rows on any machine.
		"--max-rows-per-second", "2000")
	if err := copyCmd.Start(); err != nil {
		t.Fatal(err)
	}
	killedMidCopy := waitForCheckpoint(t, cluster.DSN, database)
	copyCmd.Process.Signal(syscall.SIGKILL)
	copyCmd.Wait()
	if !killedMidCopy {
		t.Fatal("the copy finished before it could be killed mid-table")
	}

	var rep struct {
		Rows   int64 `json:"rows"`
		Tables []struct {
			Table   string `json:"table"`
			Resumed bool   `json:"resumed"`
		} `json:"tables"`
	}
	cliJSON(t, conf, &rep, "copy", "--tenant", tenant, "--cluster", "pg-b", "--resume")
	resumed := 0
	for _, tb := range rep.Tables {
		if tb.Resumed {
			resumed++
		}
	}
	if resumed == 0 {
		t.Fatalf("resumed copy report: %+v; want tables marked resumed", rep)
	}
	var vr struct {
		Match bool `json:"match"`
	}
	out := cli(t, conf, "verify", "--tenant", tenant, "--cluster", "pg-b", "--output", "json")
	if err := json.Unmarshal(out, &vr); err != nil || !vr.Match {
		t.Fatalf("verify after resume: %s", out)
	}
}

// seededTenantToCopy seeds three demo tenants in a source of the test's own
// and returns a config for them, the largest tenant and the name of its
// database, which is dropped from the clusters named when the test ends.
func seededTenantToCopy(t *testing.T, name string, clusters ...string) (cfg *config.Config, conf, tenant, database string) {
	t.Helper()
	cfg = testenv.Config(t)
	cfg.Source.DSN = testenv.MariaDBDatabase(t, cfg.Source.DSN)
	cfg.RabbitMQ.Queues = []string{"e2e-" + name + ".{tenant}.events"}
	testenv.Cloudflare(t, cfg, cfemu.Options{})
	cfg.Migration.DatabaseTemplate = fmt.Sprintf("e2e%d_{tenant}", time.Now().UnixNano()%1e9)
	conf = testenv.WriteConfig(t, cfg)
	cli(t, conf, "demo", "seed", "--tenants", "3", "--seed", "5")
	tenant = demo.TenantID(1) // the largest
	database = target.DatabaseName(cfg.Migration.DatabaseTemplate, tenant)
	for _, name := range clusters {
		cluster, _ := cfg.Cluster(name)
		t.Cleanup(func() {
			ctx := context.Background()
			if c, err := target.ConnectCluster(ctx, cluster); err == nil {
				c.Drop(ctx, database)
				c.Close(ctx)
			}
		})
	}
	return cfg, conf, tenant, database
}

// waitForCheckpoint polls the tenant database until a chunk is committed
// while some table is still unfinished: the moment to kill the copy.
func waitForCheckpoint(t *testing.T, clusterDSN, database string) bool {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(clusterDSN)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + database
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(ctx, u.String())
		if err == nil {
			var copied, unfinished bool
			err = conn.QueryRow(ctx, `SELECT coalesce(sum(rows), 0) > 0, bool_or(NOT done) FROM migrawave_copy.checkpoints`).Scan(&copied, &unfinished)
			conn.Close(ctx)
			if err == nil && copied {
				return unfinished
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no checkpoint appeared within 60s")
	return false
}
