package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Fingerprint names the configuration by a hash of the settings that decide
// what a migration does: which databases, clusters, zone, hostnames, queues
// and options it works on. Endpoints and credentials are left out: DSNs and
// broker URLs count by the database or vhost they name, not by host, port,
// user or password, and where a process finds its Temporal server and its
// Cloudflare token (the temporal section, token_env, token_file) does not
// count, since an operator's CLI and the workers in Kubernetes reach them by
// other paths. A wave and its tenants carry the fingerprint of the
// configuration they were started under, and a worker whose configuration
// differs refuses their activities: during a rolling deploy, or beside a
// stray worker, one tenant must not be switched by one config and rolled
// back by another.
func (c *Config) Fingerprint() string {
	r := *c
	r.Temporal = Temporal{}
	r.Cloudflare.TokenEnv, r.Cloudflare.TokenFile = "", ""
	r.Source.DSN = mariaDBDatabase(r.Source.DSN)
	r.Catalog.DSN = urlDatabase(r.Catalog.DSN)
	r.Clusters = slices.Clone(c.Clusters)
	for i := range r.Clusters {
		r.Clusters[i].DSN = urlDatabase(r.Clusters[i].DSN)
	}
	r.RabbitMQ.OldURL, r.RabbitMQ.NewURL = urlDatabase(r.RabbitMQ.OldURL), urlDatabase(r.RabbitMQ.NewURL)
	r.RabbitMQ.OldManagementURL, r.RabbitMQ.NewManagementURL = "", ""
	// Empty values are dropped (a file's "key: []" is no setting, as an
	// absent key is not), and encoding/json writes map keys sorted: the same
	// settings give the same bytes.
	b, err := json.Marshal(r)
	var doc any
	if err == nil {
		err = json.Unmarshal(b, &doc)
	}
	if err == nil {
		b, err = json.Marshal(pruneEmpty(doc))
	}
	if err != nil {
		panic("config: fingerprint: " + err.Error()) // plain data: cannot happen
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// pruneEmpty drops null, false, 0, "" and empty lists and maps from a
// decoded JSON document, and returns nil if nothing is left.
func pruneEmpty(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if v[k] = pruneEmpty(e); v[k] == nil {
				delete(v, k)
			}
		}
		if len(v) == 0 {
			return nil
		}
	case []any:
		if len(v) == 0 {
			return nil
		}
	case bool:
		if !v {
			return nil
		}
	case float64:
		if v == 0 {
			return nil
		}
	case string:
		if v == "" {
			return nil
		}
	}
	return v
}

// urlDatabase is what a postgres:// or amqp:// URL names: its database or
// vhost, the path.
func urlDatabase(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "" // validation refuses it before any fingerprint is taken
	}
	return u.Path
}

// mariaDBDatabase is the database a MariaDB DSN (user:pass@tcp(host)/db?params)
// names: after the last slash, before the parameters. A password may hold
// a slash, but no slash follows the address.
func mariaDBDatabase(dsn string) string {
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	db, _, _ = strings.Cut(db, "?")
	return db
}
