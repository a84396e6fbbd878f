package tests

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/internal/testenv"
	"github.com/migrawave/migrawave/workflows"
)

// While a tenant is frozen and held before Switching, a writer that follows
// the contract is refused by the source's fence, and one that ignores it
// inserts a row with a plain INSERT: the write-after-freeze alarm rolls the
// tenant back naming that row, which stays in the source, where the tenant
// goes on living, its fence open again.
func TestWriteAfterFreezeRollsBackNamingTheRow(t *testing.T) {
	cfg, _, run := ownStack(t, "freeze")
	conf := testenv.WriteConfig(t, cfg)
	prefix := fmt.Sprintf("fz%d-", run)
	victim := ownTenants(t, cfg, prefix, 1)[0]
	ctx := context.Background()
	tc, err := temporalclient.Dial(ctx, cfg.Temporal, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.Unavailable(t, "Temporal", err)
	}
	t.Cleanup(tc.Close)
	cli(t, conf, "setup")
	cli(t, conf, "demo", "seed", "--tenants", "1", "--scale", "0.2", "--prefix", prefix)
	cli(t, conf, "catalog", "import")
	startWorker(t, conf, t.TempDir(), "w1")
	cli(t, conf, "tenant", "migrate", victim, "--hold-before", string(workflows.PhaseSwitching))
	t.Cleanup(func() {
		tc.TerminateWorkflow(context.Background(), workflows.TenantWorkflowID(victim), "", "end of test")
	})
	waitTenant(t, tc, victim, func(s workflows.TenantStatus) bool { return s.Held })

	src, _, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tx, err := src.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var fence string
	if err := tx.QueryRowContext(ctx, source.FenceQuery, victim).Scan(&fence); err != nil || fence != source.FenceFrozen {
		t.Fatalf("the fence a contract-abiding writer reads: %q, %v; want %s", fence, err, source.FenceFrozen)
	}
	tx.Rollback()
	res, err := src.ExecContext(ctx, `INSERT INTO activity_log (tenant_id, entity_type, entity_id, action, occurred_at) VALUES (?, 'company', 0, 'late', NOW())`, victim)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	temporalCLI(t, "workflow", "signal", "--workflow-id", workflows.TenantWorkflowID(victim), "--name", workflows.SignalContinue)

	var end workflows.TenantStatus
	waitTenant(t, tc, victim, func(s workflows.TenantStatus) bool {
		end = s
		return s.Phase == workflows.PhaseRolledBack || s.Phase == workflows.PhaseFailed || s.Phase == workflows.PhaseCompleted
	})
	want := fmt.Sprintf("activity_log: 1 inserted (id=%d)", id)
	if end.Phase != workflows.PhaseRolledBack || !strings.Contains(end.Error, "written in the source after the freeze") || !strings.Contains(end.Error, want) {
		t.Fatalf("tenant ended %s: %q; want RolledBack naming %s", end.Phase, end.Error, want)
	}
	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	if tn, _ := cat.Get(ctx, victim); tn.Location != catalog.LocationSource || tn.Frozen {
		t.Errorf("catalog after the rollback: %+v; want the source, not frozen", tn)
	}
	var n int
	if err := src.QueryRowContext(ctx, `SELECT count(*) FROM activity_log WHERE id = ?`, id).Scan(&n); err != nil || n != 1 {
		t.Errorf("the late row in the source: %d, %v", n, err)
	}
	if err := src.QueryRowContext(ctx, `SELECT state FROM `+source.FenceTable+` WHERE tenant_id = ?`, victim).Scan(&fence); err != nil || fence != source.FenceOpen {
		t.Errorf("fence after the rollback: %q, %v; want open", fence, err)
	}
}
