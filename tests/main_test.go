// Package tests holds end-to-end tests: the real binaries against the real
// local stack (`make stack-up`).
package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/demo"
	"github.com/migrawave/migrawave/internal/testenv"
)

// The binaries under test, built once.
var migrawave, tenantapp string

func TestMain(m *testing.M) {
	testenv.RunWithBinaries(m, map[string]*string{"migrawave": &migrawave, "tenantapp": &tenantapp})
}

// cli runs migrawave with the given config and fails the test on a non-zero exit.
func cli(t *testing.T, config string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(migrawave, append([]string{"--config", config}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("migrawave %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// cliJSON runs migrawave with --output json and decodes its output into v.
func cliJSON(t *testing.T, config string, v any, args ...string) {
	t.Helper()
	out := cli(t, config, append(args, "--output", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("migrawave %v: output is not JSON: %v\n%s", args, err, out)
	}
}

// ownStack is a configuration with everything of the test's own, so that
// it neither disturbs nor depends on the demo or another test on this
// machine: a source database, a catalog, queue names, tenant database names,
// task queues (no other worker takes its tasks) and a Cloudflare emulator.
// name and a number of this run prefix what it names; the run's number is
// returned for the test's other names.
func ownStack(t *testing.T, name string) (*config.Config, *cfemu.Server, int64) {
	t.Helper()
	run := time.Now().UnixNano() % 1e9
	cfg := testenv.Config(t)
	cfg.Source.DSN = testenv.MariaDBDatabase(t, cfg.Source.DSN)
	cfg.Catalog.DSN = testenv.PostgresDatabase(t, cfg.Clusters[0].DSN)
	cfg.RabbitMQ.Queues = []string{fmt.Sprintf("%s%d.{tenant}.events", name, run)}
	cfg.Migration.DatabaseTemplate = fmt.Sprintf("%s%d_{tenant}", name, run)
	cfg.Temporal.TaskQueue = fmt.Sprintf("%s-%d", name, run)
	cfg.Temporal.DataTaskQueue = fmt.Sprintf("%s-%d-data", name, run)
	emu := testenv.Cloudflare(t, cfg, cfemu.Options{})
	return cfg, emu, run
}

// ownTenants are the ids of n demo tenants seeded with --prefix prefix: names
// of the test's own, as tenant workflow ids (tenant/<id>) are global. Their
// databases and queues are removed when the test ends.
func ownTenants(t *testing.T, cfg *config.Config, prefix string, n int) []string {
	tenants := demo.PrefixedTenantIDs(prefix, n)
	t.Cleanup(func() { dropTenantDatabases(cfg, tenants) })
	t.Cleanup(func() { deleteQueues(t, cfg, tenants) })
	return tenants
}
