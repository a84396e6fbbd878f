package demo

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/testenv"
)

// Reset drops only the databases a migration made under the template, lists
// them first without --force, and leaves the catalog empty and usable.
func TestResetDropsOnlyWhatMigrationsMadeUnderTheTemplate(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.Config(t)
	cfg.Clusters = cfg.Clusters[1:2]
	cl := cfg.Clusters[0]
	cfg.Catalog.DSN = testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	run := time.Now().UnixNano() % 1e9
	cfg.Migration.DatabaseTemplate = fmt.Sprintf("Rst%d-{tenant}", run) // DatabaseName makes it rst<run>_<tenant>
	conn, err := target.ConnectCluster(ctx, cl)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	defer conn.Close(ctx)
	ours := target.DatabaseName(cfg.Migration.DatabaseTemplate, "acme")
	unmarked := target.DatabaseName(cfg.Migration.DatabaseTemplate, "globex")
	other := fmt.Sprintf("other%d_acme", run)
	for _, db := range []string{ours, unmarked, other} {
		if _, err := conn.Create(ctx, db, "", ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Drop(context.Background(), db) })
	}
	for _, db := range []string{ours, other} {
		if err := conn.SetMarker(ctx, db, target.RunMarker("r1")); err != nil {
			t.Fatal(err)
		}
	}

	before, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = before.Migrate(ctx)
	before.Close()
	if err != nil {
		t.Fatal(err)
	}

	want := []string{cl.Name + "/" + ours}
	dry, err := Reset(ctx, cfg, true)
	if err != nil || !slices.Equal(dry.Databases, want) {
		t.Fatalf("dry run: %+v, %v; want %v", dry, err, want)
	}
	if exists, _ := conn.Exists(ctx, ours); !exists {
		t.Fatal("the dry run dropped a database")
	}
	rep, err := Reset(ctx, cfg, false)
	if err != nil || !slices.Equal(rep.Databases, want) {
		t.Fatalf("reset: %+v, %v; want %v", rep, err, want)
	}
	for db, kept := range map[string]bool{ours: false, unmarked: true, other: true} {
		if exists, _ := conn.Exists(ctx, db); exists != kept {
			t.Errorf("%s exists: %v; want %v", db, exists, kept)
		}
	}
	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	if err := cat.Ready(ctx); err == nil {
		t.Fatal("the catalog still has its schema after the reset; want it recreated empty")
	}
}
