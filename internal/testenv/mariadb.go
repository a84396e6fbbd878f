package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migrawave/migrawave/internal/source"
)

// MariaDBDatabase creates an empty database on the source server for this
// test, drops it when the test ends, and returns sourceDSN pointed at it.
func MariaDBDatabase(t testing.TB, sourceDSN string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, _, err := source.Open(ctx, sourceDSN)
	if err != nil {
		Unavailable(t, "MariaDB", err)
	}
	defer db.Close()
	name := fmt.Sprintf("test_%s_%d", sanitize(t.Name()), time.Now().UnixNano()%1e9)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+source.QuoteIdent(name)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, _, err := source.Open(ctx, sourceDSN)
		if err != nil {
			t.Logf("dropping test database %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+source.QuoteIdent(name)); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	cfg, err := mysql.ParseDSN(sourceDSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}
