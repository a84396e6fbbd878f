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
// what a migration does: source, catalog, clusters, Cloudflare, RabbitMQ and
// migration, with the passwords taken out of DSNs and URLs. Where a process
// finds its secrets and its Temporal server (the temporal section,
// cloudflare.token_env and token_file) is left out: an operator's CLI and
// the workers in Kubernetes reach them by other paths. A wave and its
// tenants carry the fingerprint of the configuration they were started
// under, and a worker whose configuration differs refuses their activities:
// during a rolling deploy, or beside a stray worker, one tenant must not be
// switched by one config and rolled back by another.
func (c *Config) Fingerprint() string {
	r := *c
	r.Temporal = Temporal{}
	r.Cloudflare.TokenEnv, r.Cloudflare.TokenFile = "", ""
	r.Source.DSN = withoutPassword(r.Source.DSN)
	r.Catalog.DSN = withoutPassword(r.Catalog.DSN)
	r.Clusters = slices.Clone(c.Clusters)
	for i := range r.Clusters {
		r.Clusters[i].DSN = withoutPassword(r.Clusters[i].DSN)
	}
	for _, s := range []*string{&r.RabbitMQ.OldURL, &r.RabbitMQ.NewURL, &r.RabbitMQ.OldManagementURL, &r.RabbitMQ.NewManagementURL} {
		*s = withoutPassword(*s)
	}
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

// withoutPassword drops the password of a URL (postgres://u:p@h/db, its
// password= parameter too) or of a MariaDB DSN (u:p@tcp(h:3306)/db).
func withoutPassword(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host+u.Path != "" {
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if q.Has("password") {
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return dsn
	}
	if colon := strings.Index(dsn[:at], ":"); colon >= 0 {
		return dsn[:colon] + dsn[at:]
	}
	return dsn
}
