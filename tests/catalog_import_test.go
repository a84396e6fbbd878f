package tests

import (
	"reflect"
	"testing"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/testenv"
)

// Seeding 200 demo tenants and importing them registers exactly 200; doing
// both again changes nothing in the catalog.
func TestSeedThenImportIsExactAndRepeatable(t *testing.T) {
	cfg := testenv.Config(t)
	cfg.Source.DSN = testenv.MariaDBDatabase(t, cfg.Source.DSN)
	cfg.Catalog.DSN = testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	cfg.RabbitMQ.Queues = []string{"e2e-import.{tenant}.events"}
	testenv.Cloudflare(t, cfg, cfemu.Options{})
	conf := testenv.WriteConfig(t, cfg)

	cli(t, conf, "setup")
	type importResult struct {
		Found int `json:"found"`
		catalog.ImportResult
	}
	var first, second importResult
	cli(t, conf, "demo", "seed", "--tenants", "200", "--seed", "42")
	cliJSON(t, conf, &first, "catalog", "import")
	if first.Found != 200 || first.Added != 200 {
		t.Fatalf("first import = %+v; want 200 found and added", first)
	}
	var before []catalog.Tenant
	cliJSON(t, conf, &before, "catalog", "list")
	if len(before) != 200 {
		t.Fatalf("catalog list has %d tenants; want 200", len(before))
	}

	cli(t, conf, "demo", "seed", "--tenants", "200", "--seed", "42")
	cliJSON(t, conf, &second, "catalog", "import")
	if second.Found != 200 || second.Unchanged != 200 || second.Added != 0 || second.Updated != 0 {
		t.Fatalf("second import = %+v; want all 200 unchanged", second)
	}
	var after []catalog.Tenant
	cliJSON(t, conf, &after, "catalog", "list")
	if !reflect.DeepEqual(before, after) {
		t.Fatal("the catalog changed after seeding and importing the same data again")
	}
	for _, tn := range after {
		if tn.Location != catalog.LocationSource || tn.Hostname != cfg.Hostname(tn.ID) || tn.RowEstimate <= 0 {
			t.Fatalf("imported tenant %+v; want location source, hostname from the pattern, rows counted", tn)
		}
	}
}
