package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

const validYAML = `
source:
  dsn: "app:${DB_PASSWORD}@tcp(db:3306)/legacy"
catalog:
  dsn: postgres://postgres@catalog:5432/migrawave
clusters:
  - name: pg-a
    dsn: postgres://app@pg-a:5432/postgres
    max_bytes: 2TiB
cloudflare:
  zone_id: z1
  hostname_pattern: "{tenant}.app.example.com"
  old_target: old.example.com
  new_target: new.example.com
rabbitmq:
  old_url: amqp://u:p@old:5672/legacy
  new_url: amqp://u:p@new:5672/platform
  queues: ["tenant.{tenant}.events"]
  drain_timeout: 90s
`

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestParseExpandsEnvironmentAndAppliesDefaults(t *testing.T) {
	cfg, err := Parse([]byte(validYAML), env(map[string]string{"DB_PASSWORD": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source.DSN != "app:s3cret@tcp(db:3306)/legacy" {
		t.Errorf("dsn = %q", cfg.Source.DSN)
	}
	if cfg.Source.TenantColumn != "tenant_id" || cfg.Temporal.TaskQueue != "migrawave" || cfg.Temporal.DataTaskQueue != "migrawave-data" {
		t.Errorf("defaults not applied: %+v %+v", cfg.Source, cfg.Temporal)
	}
	if cfg.Clusters[0].MaxBytes != 2<<40 {
		t.Errorf("max_bytes = %d", cfg.Clusters[0].MaxBytes)
	}
	if cfg.RabbitMQ.DrainTimeout != 90*time.Second {
		t.Errorf("drain_timeout = %v", cfg.RabbitMQ.DrainTimeout)
	}
	if cfg.Migration.DatabaseTemplate != "t_{tenant}" || cfg.Cloudflare.Mode != ModeDNS {
		t.Errorf("migration defaults = %+v", cfg.Migration)
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"unset env", "${DB_PASSWORD}", "${NOPE}", "source.dsn: environment variable NOPE is not set"},
		{"bad env ref", "${DB_PASSWORD}", "${1; rm}", `source.dsn: "${1; rm}" is not a valid environment variable reference`},
		{"unknown key", "    max_bytes: 2TiB", "    max_byts: 2TiB", "clusters[0].max_byts: unknown key"},
		{"bad size", "max_bytes: 2TiB", "max_bytes: lots", "clusters[0].max_bytes: expected a size like 200GiB"},
		{"bad duration", "drain_timeout: 90s", "drain_timeout: soon", "rabbitmq.drain_timeout: expected a duration"},
		{"list for map", "  old_url: amqp://u:p@old:5672/legacy", "  old_url: [a, b]", "rabbitmq.old_url: expected a string, got a list"},
		{"cluster name", "name: pg-a", "name: \"pg-a; drop\"", `clusters[0].name: "pg-a; drop" must be lower case`},
		{"catalog scheme", "postgres://postgres@catalog", "mysql://postgres@catalog", `catalog.dsn: scheme must be postgres or postgresql`},
		{"queue template", `["tenant.{tenant}.events"]`, `["shared.events"]`, "rabbitmq.queues[0]: \"shared.events\" has no {tenant}"},
		{"hostname pattern", `"{tenant}.app.example.com"`, `"app.example.com"`, "cloudflare.hostname_pattern: \"app.example.com\" must contain {tenant} exactly once"},
		{"mode", "zone_id: z1", "zone_id: z1\n  mode: carrier-pigeon", `cloudflare.mode: "carrier-pigeon" is not dns or tunnel`},
		{"tunnel needs id", "zone_id: z1", "zone_id: z1\n  mode: tunnel", "cloudflare.tunnel_id: required in tunnel mode"},
		{"not yaml", "clusters:", "clusters: [", "not valid YAML"},
		{"table name", "source:\n", "source:\n  tables:\n    \"x \":\n      global: true\n", `source.tables.x : "x " ends with a space, which MariaDB does not allow`},
		{"owner with global", "source:\n", "source:\n  tables:\n    lines:\n      global: true\n      owner: {table: invoices, via: invoice_id}\n", "source.tables.lines.owner: a global or excluded table has no owner"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(validYAML, c.from, c.to, 1)
			if doc == validYAML {
				t.Fatalf("test case does not change the document: %q not found", c.from)
			}
			_, err := Parse([]byte(doc), env(map[string]string{"DB_PASSWORD": "s3cret"}))
			if err == nil {
				t.Fatal("Parse succeeded; want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %q; want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans several lines: %q", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error leaks the password: %q", err)
			}
		})
	}
}

func TestCloudflareTokenComesFromFileOrEnvironment(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/migrawave.yaml"
	doc := strings.Replace(validYAML, "zone_id: z1", "zone_id: z1\n  token_file: token", 1)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/token", []byte("tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DB_PASSWORD", "x")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := cfg.CloudflareToken(); err != nil || tok != "tok-123" {
		t.Fatalf("token from file = %q, %v", tok, err)
	}
	cfg.Cloudflare.TokenFile = ""
	cfg.Cloudflare.TokenEnv = "TEST_CF_TOKEN"
	if _, err := cfg.CloudflareToken(); err == nil || !strings.Contains(err.Error(), "TEST_CF_TOKEN is not set") {
		t.Fatalf("missing token error = %v", err)
	}
	t.Setenv("TEST_CF_TOKEN", "tok-env")
	if tok, _ := cfg.CloudflareToken(); tok != "tok-env" {
		t.Fatalf("token from env = %q", tok)
	}
}

func TestUnknownCluster(t *testing.T) {
	cfg, err := Parse([]byte(validYAML), env(map[string]string{"DB_PASSWORD": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Cluster("pg-z"); err == nil || !strings.Contains(err.Error(), `unknown cluster "pg-z" (configured: pg-a)`) {
		t.Fatalf("Cluster(pg-z) = %v", err)
	}
}

// Any name MariaDB accepts for a table or column is accepted (every use is
// quoted), and a name MariaDB refuses is refused with the rule it breaks.
func TestTableNamesAreMariaDBs(t *testing.T) {
	for _, name := range []string{"utilisateurs__Yvelines2013-06-28", "Odd name.v2-X", "x; drop", "Ünïcödé", strings.Repeat("a", 64)} {
		if err := checkIdent("source.tables.t", name); err != nil {
			t.Errorf("%q: %v; MariaDB accepts it", name, err)
		}
	}
	for name, want := range map[string]string{
		"":                      "a name is required",
		strings.Repeat("a", 65): "65 characters long; MariaDB allows 64",
		"trailing ":             "ends with a space",
		"nul\x00":               "U+0000",
		"smile😀":                "U+1F600",
	} {
		if err := checkIdent("source.tables.t", name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want an error saying %q", name, err, want)
		}
	}
}
