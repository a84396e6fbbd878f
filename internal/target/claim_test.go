package target_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/testenv"
)

// A migration uses a tenant database only if it does not exist yet, is its
// own, or is an empty unmarked leftover of its own crash; it never adopts
// one that holds anything it did not make.
func TestClaimTakesOnlyWhatTheRunMade(t *testing.T) {
	ctx := context.Background()
	cl := testenv.Config(t).Clusters[1]
	conn, err := target.ConnectCluster(ctx, cl)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	defer conn.Close(ctx)
	db := fmt.Sprintf("claim_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { conn.Drop(ctx, db) })
	const run = "migrawave run r1"

	if ours, err := conn.Claim(ctx, db, run); err != nil || ours {
		t.Fatalf("absent database: %v, %v; want false (create it)", ours, err)
	}
	if _, err := conn.Create(ctx, db, cl.Owner, ""); err != nil {
		t.Fatal(err)
	}
	// A crash between CREATE DATABASE and its marker: empty, unmarked.
	if ours, err := conn.Claim(ctx, db, run); err != nil || !ours {
		t.Fatalf("empty unmarked database: %v, %v; want it taken", ours, err)
	}
	if m, _ := conn.Marker(ctx, db); m != run {
		t.Fatalf("marker after the claim: %q", m)
	}
	if ours, err := conn.Claim(ctx, db, run); err != nil || !ours {
		t.Fatalf("the run's own database: %v, %v", ours, err)
	}
	var foreign *target.ForeignDatabaseError
	if _, err := conn.Claim(ctx, db, "migrawave run r2"); !errors.As(err, &foreign) {
		t.Fatalf("another run's database: %v; want ForeignDatabaseError", err)
	}

	// Unmarked and holding a table: not ours, whatever is in it.
	if err := conn.SetMarker(ctx, db, ""); err != nil {
		t.Fatal(err)
	}
	pool, err := target.Open(ctx, cl, db, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, "CREATE TABLE "+pgx.Identifier{"left"}.Sanitize()+" (id int)")
	pool.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Claim(ctx, db, run); !errors.As(err, &foreign) || foreign.Database != db {
		t.Fatalf("unmarked database with a table: %v; want ForeignDatabaseError naming %s", err, db)
	}
}
