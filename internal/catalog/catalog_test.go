package catalog_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/testenv"
)

func openTestCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cfg := testenv.Config(t)
	dsn := testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	ctx := context.Background()
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	if n, err := cat.Migrate(ctx); err != nil || n == 0 {
		t.Fatalf("Migrate = %d, %v; want the migrations applied", n, err)
	}
	return cat
}

func TestMigrateIsIdempotentAndReadyAfterwards(t *testing.T) {
	cat := openTestCatalog(t)
	ctx := context.Background()
	n, err := cat.Migrate(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
	}
	if err := cat.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReadyNamesSetupOnAnEmptyDatabase(t *testing.T) {
	cfg := testenv.Config(t)
	dsn := testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	cat, err := catalog.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	err = cat.Ready(context.Background())
	if err == nil || !strings.Contains(err.Error(), "migrawave setup") {
		t.Fatalf("Ready on an empty database = %v; want an error telling to run setup", err)
	}
}

func TestRegisterTwiceChangesNothing(t *testing.T) {
	cat := openTestCatalog(t)
	ctx := context.Background()
	regs := []catalog.Registration{
		{ID: "acme", Hostname: "acme.app.example.com", SizeBytes: 1000, RowEstimate: 10},
		{ID: "globex", Hostname: "globex.app.example.com", SizeBytes: 2000, RowEstimate: 20},
	}
	res, err := cat.Register(ctx, regs)
	if err != nil || res.Added != 2 {
		t.Fatalf("first Register = %+v, %v", res, err)
	}
	before, _ := cat.List(ctx, catalog.Filter{})
	res, err = cat.Register(ctx, regs)
	if err != nil || res.Unchanged != 2 || res.Added+res.Updated != 0 {
		t.Fatalf("second Register = %+v, %v; want 2 unchanged", res, err)
	}
	after, _ := cat.List(ctx, catalog.Filter{})
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("row changed by a repeated import:\n%+v\n%+v", before[i], after[i])
		}
	}
	regs[1].RowEstimate = 25
	res, err = cat.Register(ctx, regs)
	if err != nil || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("Register after a size change = %+v, %v; want 1 updated", res, err)
	}
}

func TestRegisterRefusesSQLLookingIDsAndWritesNothing(t *testing.T) {
	cat := openTestCatalog(t)
	ctx := context.Background()
	_, err := cat.Register(ctx, []catalog.Registration{
		{ID: "fine", Hostname: "fine.example.com"},
		{ID: "1; DROP TABLE invoices", Hostname: "x"},
	})
	if err == nil || !strings.Contains(err.Error(), `"1; DROP TABLE invoices"`) {
		t.Fatalf("Register = %v; want an error naming the id", err)
	}
	if ts, _ := cat.List(ctx, catalog.Filter{}); len(ts) != 0 {
		t.Fatalf("a refused import registered %d tenants", len(ts))
	}
}

func TestUpdateIsCompareAndSetAndRecordsEvents(t *testing.T) {
	cat := openTestCatalog(t)
	ctx := context.Background()
	if _, err := cat.SyncClusters(ctx, []catalog.Cluster{{Name: "pg-b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Register(ctx, []catalog.Registration{{ID: "acme", Hostname: "acme.example.com"}}); err != nil {
		t.Fatal(err)
	}
	tn, err := cat.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	loc, cl, db, state := "pg-b/t_acme", "pg-b", "t_acme", catalog.StateMigrated
	moved, err := cat.Update(ctx, "acme", tn.Version, catalog.Change{Location: &loc, Cluster: &cl, Database: &db, State: &state, Kind: "cutover", WorkflowID: "tenant/acme"})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Location != loc || moved.Cluster != cl || moved.Version != tn.Version+1 {
		t.Fatalf("after update: %+v", moved)
	}
	// The same expected version again is a lost race, not a second move.
	back := catalog.LocationSource
	_, err = cat.Update(ctx, "acme", tn.Version, catalog.Change{Location: &back, Kind: "rollback"})
	var conflict *catalog.VersionConflictError
	if !errors.As(err, &conflict) || conflict.Found != moved.Version {
		t.Fatalf("stale update = %v; want a version conflict", err)
	}
	if _, err := cat.Update(ctx, "nobody", 1, catalog.Change{Location: &back, Kind: "x"}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("update of an unknown tenant = %v; want ErrNotFound", err)
	}
	events, err := cat.Events(ctx, "acme")
	if err != nil || len(events) != 1 || events[0].FromLocation != "source" || events[0].ToLocation != loc || events[0].WorkflowID != "tenant/acme" {
		t.Fatalf("events = %+v, %v", events, err)
	}
}

func TestConcurrentUpdatesExactlyOneWins(t *testing.T) {
	cat := openTestCatalog(t)
	ctx := context.Background()
	if _, err := cat.Register(ctx, []catalog.Registration{{ID: "acme", Hostname: "acme.example.com"}}); err != nil {
		t.Fatal(err)
	}
	tn, _ := cat.Get(ctx, "acme")
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frozen := true
			_, err := cat.Update(ctx, "acme", tn.Version, catalog.Change{Frozen: &frozen, Kind: "freeze"})
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		if err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent compare-and-sets won; want exactly 1", wins)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	cat := openTestCatalog(t)
	ctx := context.Background()
	if _, err := cat.Register(ctx, []catalog.Registration{{ID: "acme", Hostname: "a"}}); err != nil {
		t.Fatal(err)
	}
	frozen := true
	if _, err := cat.Update(ctx, "acme", 1, catalog.Change{Frozen: &frozen, Kind: "freeze"}); err != nil {
		t.Fatal(err)
	}
	if err := cat.ExecForTest(ctx, `DELETE FROM tenant_events`); err == nil {
		t.Fatal("deleting an event succeeded; tenant_events must be append-only")
	}
}
