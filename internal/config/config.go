// Package config loads and validates the migrawave YAML configuration.
//
// Every error names the key path it is about ("clusters[1].dsn: ...") so an
// operator can fix a broken file from one line of output.
package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultPath is where the CLI looks for the configuration when --config is not given.
const DefaultPath = "migrawave.yaml"

// Config is the whole configuration file.
type Config struct {
	Temporal   Temporal   `yaml:"temporal"`
	Source     Source     `yaml:"source"`
	Catalog    Catalog    `yaml:"catalog"`
	Clusters   []Cluster  `yaml:"clusters"`
	Cloudflare Cloudflare `yaml:"cloudflare"`
	RabbitMQ   RabbitMQ   `yaml:"rabbitmq"`
	Migration  Migration  `yaml:"migration"`

	// dir is the folder of the file, against which relative file paths resolve.
	dir string
}

// Temporal says how to reach the Temporal server and which task queues to use.
type Temporal struct {
	Address       string `yaml:"address"`
	Namespace     string `yaml:"namespace"`
	TaskQueue     string `yaml:"task_queue"`
	DataTaskQueue string `yaml:"data_task_queue"`
	TLS           TLS    `yaml:"tls"`
	// UIURL is the Temporal Web UI, for the links the CLI prints.
	UIURL string `yaml:"ui_url"`
}

// TLS configures mutual TLS to the Temporal frontend.
type TLS struct {
	Enabled    bool   `yaml:"enabled"`
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"`
}

// Source is the central shared MariaDB database.
type Source struct {
	DSN          string           `yaml:"dsn"`
	TenantColumn string           `yaml:"tenant_column"`
	Tables       map[string]Table `yaml:"tables"`
	// OnUnconvertible says what becomes of text in a legacy character set
	// that has no Unicode mapping: OnUnconvertibleRefuse (the default) stops
	// the copy naming the row, OnUnconvertibleReplace writes U+FFFD and
	// counts it. A table may say otherwise.
	OnUnconvertible string `yaml:"on_unconvertible"`
}

// What becomes of text with no Unicode mapping.
const (
	OnUnconvertibleRefuse  = "refuse"
	OnUnconvertibleReplace = "replace"
)

// Replaces reports whether unconvertible text of the named table is
// replaced rather than refused.
func (s Source) Replaces(table string) bool {
	if p := s.Tables[table].OnUnconvertible; p != "" {
		return p == OnUnconvertibleReplace
	}
	return s.OnUnconvertible == OnUnconvertibleReplace
}

// Table holds per-table overrides of what discovery finds in the source schema.
type Table struct {
	// Owner names the parent through which a table without a tenant column
	// belongs to a tenant, where the schema declares no foreign key.
	Owner   *Owner            `yaml:"owner"`
	Global  bool              `yaml:"global"`
	Exclude bool              `yaml:"exclude"`
	Key     []string          `yaml:"key"`
	Columns map[string]Column `yaml:"columns"`
	// SkipChecks names CHECK constraints (as MariaDB names them) the target
	// is created without; any other check that cannot be translated stops
	// the schema conversion.
	SkipChecks []string `yaml:"skip_checks"`
	// OnUnconvertible overrides Source.OnUnconvertible for this table.
	OnUnconvertible string `yaml:"on_unconvertible"`
}

// Owner is the parent table and the column of this table that references it.
type Owner struct {
	Table string `yaml:"table"`
	Via   string `yaml:"via"`
}

// Column holds per-column overrides of the type mapping.
type Column struct {
	Type     string `yaml:"type"`
	StripNUL bool   `yaml:"strip_nul"`
}

// Catalog is the PostgreSQL database holding where every tenant lives.
type Catalog struct {
	DSN string `yaml:"dsn"`
}

// Cluster is one target PostgreSQL cluster.
type Cluster struct {
	Name         string   `yaml:"name"`
	DSN          string   `yaml:"dsn"`
	MaxDatabases int      `yaml:"max_databases"`
	MaxBytes     ByteSize `yaml:"max_bytes"`
	Draining     bool     `yaml:"draining"`
	// Owner is the application role that owns tenant databases; empty means
	// the DSN's user.
	Owner string `yaml:"owner"`
}

// Cloudflare configures the traffic switch.
type Cloudflare struct {
	// BaseURL is empty for the real API; the local stack points it at the emulator.
	BaseURL         string `yaml:"base_url"`
	TokenEnv        string `yaml:"token_env"`
	TokenFile       string `yaml:"token_file"`
	ZoneID          string `yaml:"zone_id"`
	AccountID       string `yaml:"account_id"`
	HostnamePattern string `yaml:"hostname_pattern"`
	Mode            string `yaml:"mode"`
	OldTarget       string `yaml:"old_target"`
	NewTarget       string `yaml:"new_target"`
	TunnelID        string `yaml:"tunnel_id"`
	TunnelService   string `yaml:"tunnel_service"`
	Tag             string `yaml:"tag"`
}

// RabbitMQ configures the queue drain from the old broker to the new one.
type RabbitMQ struct {
	OldURL       string        `yaml:"old_url"`
	NewURL       string        `yaml:"new_url"`
	Queues       []string      `yaml:"queues"`
	Quorum       bool          `yaml:"quorum"`
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// OldManagementURL and NewManagementURL are the brokers' management
	// APIs (http[s]://[user:pass@]host:port), read while draining for the
	// unacknowledged counts AMQP does not expose. Empty: the AMQP URL's host
	// on port 15672 (15671 for amqps) with the AMQP URL's credentials.
	OldManagementURL string `yaml:"old_management_url"`
	NewManagementURL string `yaml:"new_management_url"`
}

// Migration holds the defaults of a migration, overridable per wave.
type Migration struct {
	Concurrency          int    `yaml:"concurrency"`
	Verify               string `yaml:"verify"`
	KeepTargetOnRollback bool   `yaml:"keep_target_on_rollback"`
	DatabaseTemplate     string `yaml:"database_template"`
	CopyParallelism      int    `yaml:"copy_parallelism"`
	// CopyMaxRowsPerSecond caps what one tenant's copy reads from the source,
	// all its connections together (0: no limit). Waves and tenants override
	// it with the option max_rows_per_second.
	CopyMaxRowsPerSecond int64 `yaml:"copy_max_rows_per_second"`
}

// Cloudflare modes.
const (
	ModeDNS    = "dns"
	ModeTunnel = "tunnel"
)

// Verification modes.
const (
	VerifyFull   = "full"
	VerifyCounts = "counts"
)

// Load reads, expands and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("config: %s does not exist: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.dir = abs
	return cfg, nil
}

// Parse decodes YAML, expands ${NAME} references with lookup, applies
// defaults and validates.
func Parse(data []byte, lookup func(string) (string, bool)) (*Config, error) {
	cfg := &Config{}
	if err := decode(data, lookup, cfg); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) applyDefaults() {
	setDefault(&c.Temporal.Address, "127.0.0.1:7233")
	setDefault(&c.Temporal.Namespace, "default")
	setDefault(&c.Temporal.TaskQueue, "migrawave")
	setDefault(&c.Temporal.DataTaskQueue, "migrawave-data")
	setDefault(&c.Temporal.UIURL, "http://127.0.0.1:8233")
	setDefault(&c.Source.TenantColumn, "tenant_id")
	setDefault(&c.Cloudflare.Mode, ModeDNS)
	setDefault(&c.Cloudflare.TokenEnv, "MIGRAWAVE_CLOUDFLARE_TOKEN")
	setDefault(&c.Cloudflare.Tag, "migrawave")
	if c.RabbitMQ.DrainTimeout == 0 {
		c.RabbitMQ.DrainTimeout = 5 * time.Minute
	}
	if c.Migration.Concurrency == 0 {
		c.Migration.Concurrency = 10
	}
	if c.Migration.CopyParallelism == 0 {
		c.Migration.CopyParallelism = 4
	}
	setDefault(&c.Migration.Verify, VerifyFull)
	setDefault(&c.Migration.DatabaseTemplate, "t_{tenant}")
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// Cluster returns the cluster called name.
func (c *Config) Cluster(name string) (Cluster, error) {
	for _, cl := range c.Clusters {
		if cl.Name == name {
			return cl, nil
		}
	}
	names := make([]string, len(c.Clusters))
	for i, cl := range c.Clusters {
		names[i] = cl.Name
	}
	return Cluster{}, fmt.Errorf("unknown cluster %q (configured: %s)", name, strings.Join(names, ", "))
}

// Hostname is the tenant's public hostname from the configured pattern.
func (c *Config) Hostname(tenant string) string {
	return strings.ReplaceAll(c.Cloudflare.HostnamePattern, "{tenant}", tenant)
}

// CloudflareToken reads the API token from the configured file or
// environment variable. It is never stored in the Config so that printing or
// logging a Config cannot leak it.
func (c *Config) CloudflareToken() (string, error) {
	if f := c.Cloudflare.TokenFile; f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(c.dir, f)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("cloudflare.token_file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("cloudflare.token_file: %s is empty", f)
		}
		return tok, nil
	}
	tok := os.Getenv(c.Cloudflare.TokenEnv)
	if tok == "" {
		return "", fmt.Errorf("cloudflare.token_env: environment variable %s is not set", c.Cloudflare.TokenEnv)
	}
	return tok, nil
}
