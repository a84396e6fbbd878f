package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// namePattern is what we accept for names that end up in SQL identifiers,
// hostnames and workflow ids: clusters, tables, columns.
var namePattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,62}$`)

// Validate checks the whole configuration and returns the first problem,
// named by its key path.
func (c *Config) Validate() error {
	checks := []func() error{c.validateTemporal, c.validateSource, c.validateCatalog, c.validateClusters, c.validateCloudflare, c.validateRabbitMQ, c.validateMigration}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateTemporal() error {
	if !strings.Contains(c.Temporal.Address, ":") {
		return fmt.Errorf("temporal.address: %q is not host:port", c.Temporal.Address)
	}
	if c.Temporal.TaskQueue == c.Temporal.DataTaskQueue {
		return fmt.Errorf("temporal.data_task_queue: must differ from temporal.task_queue (%q)", c.Temporal.TaskQueue)
	}
	if t := c.Temporal.TLS; t.Enabled && (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("temporal.tls: cert_file and key_file go together")
	}
	return nil
}

func (c *Config) validateSource() error {
	if c.Source.DSN == "" {
		return fmt.Errorf("source.dsn: required (a MariaDB DSN like user:pass@tcp(host:3306)/legacy)")
	}
	if err := checkIdent("source.tenant_column", c.Source.TenantColumn); err != nil {
		return err
	}
	if err := checkOnUnconvertible("source.on_unconvertible", c.Source.OnUnconvertible); err != nil {
		return err
	}
	for name, t := range c.Source.Tables {
		path := "source.tables." + name
		if err := checkIdent(path, name); err != nil {
			return err
		}
		if err := checkOnUnconvertible(path+".on_unconvertible", t.OnUnconvertible); err != nil {
			return err
		}
		for _, k := range t.SkipChecks {
			if k == "" {
				return fmt.Errorf("%s.skip_checks: an empty name", path)
			}
		}
		if t.Global && t.Exclude {
			return fmt.Errorf("%s: global and exclude are exclusive", path)
		}
		if t.Owner != nil {
			if t.Global || t.Exclude {
				return fmt.Errorf("%s.owner: a global or excluded table has no owner", path)
			}
			if err := checkIdent(path+".owner.table", t.Owner.Table); err != nil {
				return err
			}
			if err := checkIdent(path+".owner.via", t.Owner.Via); err != nil {
				return err
			}
		}
		for _, k := range t.Key {
			if err := checkIdent(path+".key", k); err != nil {
				return err
			}
		}
		for col := range t.Columns {
			if err := checkIdent(path+".columns."+col, col); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkOnUnconvertible(path, policy string) error {
	switch policy {
	case "", OnUnconvertibleRefuse, OnUnconvertibleReplace:
		return nil
	}
	return fmt.Errorf("%s: %q is neither %s nor %s", path, policy, OnUnconvertibleRefuse, OnUnconvertibleReplace)
}

func (c *Config) validateCatalog() error {
	return checkURL("catalog.dsn", c.Catalog.DSN, "postgres", "postgresql")
}

func (c *Config) validateClusters() error {
	if len(c.Clusters) == 0 {
		return fmt.Errorf("clusters: at least one target cluster is required")
	}
	seen := map[string]bool{}
	for i, cl := range c.Clusters {
		path := fmt.Sprintf("clusters[%d]", i)
		if !namePattern.MatchString(cl.Name) {
			return fmt.Errorf("%s.name: %q must be lower case letters, digits, - or _", path, cl.Name)
		}
		if seen[cl.Name] {
			return fmt.Errorf("%s.name: %q is configured twice", path, cl.Name)
		}
		seen[cl.Name] = true
		if err := checkURL(path+".dsn", cl.DSN, "postgres", "postgresql"); err != nil {
			return err
		}
		if cl.MaxDatabases < 0 {
			return fmt.Errorf("%s.max_databases: must not be negative", path)
		}
	}
	return nil
}

func (c *Config) validateCloudflare() error {
	cf := c.Cloudflare
	if cf.BaseURL != "" {
		if err := checkURL("cloudflare.base_url", cf.BaseURL, "http", "https"); err != nil {
			return err
		}
	}
	switch cf.Mode {
	case ModeDNS:
		if cf.NewTarget == "" {
			return fmt.Errorf("cloudflare.new_target: required in dns mode")
		}
	case ModeTunnel:
		if cf.TunnelID == "" {
			return fmt.Errorf("cloudflare.tunnel_id: required in tunnel mode")
		}
		if cf.TunnelService == "" {
			return fmt.Errorf("cloudflare.tunnel_service: required in tunnel mode")
		}
		if cf.AccountID == "" {
			return fmt.Errorf("cloudflare.account_id: required in tunnel mode")
		}
	default:
		return fmt.Errorf("cloudflare.mode: %q is not dns or tunnel", cf.Mode)
	}
	if cf.ZoneID == "" {
		return fmt.Errorf("cloudflare.zone_id: required")
	}
	if cf.OldTarget == "" {
		return fmt.Errorf("cloudflare.old_target: required (the CNAME content that serves tenants today)")
	}
	if strings.Count(cf.HostnamePattern, "{tenant}") != 1 {
		return fmt.Errorf("cloudflare.hostname_pattern: %q must contain {tenant} exactly once", cf.HostnamePattern)
	}
	return nil
}

func (c *Config) validateRabbitMQ() error {
	if err := checkURL("rabbitmq.old_url", c.RabbitMQ.OldURL, "amqp", "amqps"); err != nil {
		return err
	}
	if err := checkURL("rabbitmq.new_url", c.RabbitMQ.NewURL, "amqp", "amqps"); err != nil {
		return err
	}
	if u := c.RabbitMQ.OldManagementURL; u != "" {
		if err := checkURL("rabbitmq.old_management_url", u, "http", "https"); err != nil {
			return err
		}
	}
	if u := c.RabbitMQ.NewManagementURL; u != "" {
		if err := checkURL("rabbitmq.new_management_url", u, "http", "https"); err != nil {
			return err
		}
	}
	for i, q := range c.RabbitMQ.Queues {
		if !strings.Contains(q, "{tenant}") {
			return fmt.Errorf("rabbitmq.queues[%d]: %q has no {tenant}: every tenant would share it", i, q)
		}
	}
	if c.RabbitMQ.DrainTimeout < 0 {
		return fmt.Errorf("rabbitmq.drain_timeout: must not be negative")
	}
	return nil
}

func (c *Config) validateMigration() error {
	m := c.Migration
	if m.Concurrency < 1 {
		return fmt.Errorf("migration.concurrency: must be at least 1, got %d", m.Concurrency)
	}
	if m.CopyParallelism < 1 {
		return fmt.Errorf("migration.copy_parallelism: must be at least 1, got %d", m.CopyParallelism)
	}
	if m.CopyMaxRowsPerSecond < 0 {
		return fmt.Errorf("migration.copy_max_rows_per_second: must not be negative (0: no limit), got %d", m.CopyMaxRowsPerSecond)
	}
	if m.Verify != VerifyFull && m.Verify != VerifyCounts {
		return fmt.Errorf("migration.verify: %q is not full or counts", m.Verify)
	}
	if strings.Count(m.DatabaseTemplate, "{tenant}") != 1 {
		return fmt.Errorf("migration.database_template: %q must contain {tenant} exactly once", m.DatabaseTemplate)
	}
	return nil
}

// checkURL validates a URL-shaped DSN without ever echoing it: it may hold a password.
func checkURL(path, raw string, schemes ...string) error {
	if raw == "" {
		return fmt.Errorf("%s: required", path)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: not a valid URL", path)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" && u.Scheme != "postgres" && u.Scheme != "postgresql" {
				return fmt.Errorf("%s: no host", path)
			}
			return nil
		}
	}
	return fmt.Errorf("%s: scheme must be %s, got %q", path, strings.Join(schemes, " or "), u.Scheme)
}

// checkIdent accepts any name MariaDB accepts for a table or column (every
// use is quoted), and says which of MariaDB's rules a name breaks: 1 to 64
// characters, none of them NUL or outside Unicode's Basic Multilingual
// Plane, and no space at the end.
func checkIdent(path, name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return fmt.Errorf("%s: a name is required", path)
	case !utf8.ValidString(name):
		return fmt.Errorf("%s: %q is not valid UTF-8", path, name)
	case n > 64:
		return fmt.Errorf("%s: %q is %d characters long; MariaDB allows 64", path, name, n)
	case strings.HasSuffix(name, " "):
		return fmt.Errorf("%s: %q ends with a space, which MariaDB does not allow", path, name)
	}
	for _, r := range name {
		if r == 0 || r > 0xFFFF {
			return fmt.Errorf("%s: %q holds %U, which MariaDB does not allow in a name", path, name, r)
		}
	}
	return nil
}
