package config

import (
	"strings"
	"testing"
)

// The fingerprint changes with the settings that decide what a migration
// does, not with a password, an endpoint, or where the Temporal server and
// the token are.
func TestFingerprintIsOfTheNonSecretParts(t *testing.T) {
	load := func(password, zone string) *Config {
		t.Helper()
		doc := strings.Replace(validYAML, "zone_id: z1", "zone_id: "+zone, 1)
		cfg, err := Parse([]byte(doc), env(map[string]string{"DB_PASSWORD": password}))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	a, b := load("s3cret", "z1"), load("other", "z1")
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatalf("a password changed the fingerprint: %s, %s", a.Fingerprint(), b.Fingerprint())
	}
	if c := load("s3cret", "z2"); c.Fingerprint() == a.Fingerprint() {
		t.Fatalf("cloudflare.zone_id z1 and z2 have the same fingerprint %s", a.Fingerprint())
	}
	if len(a.Fingerprint()) != 12 {
		t.Fatalf("fingerprint %q; want 12 hex digits", a.Fingerprint())
	}
	a.Source.Tables = map[string]Table{"settings": {Global: true, Key: []string{}, Columns: map[string]Column{}}}
	b.Source.Tables = map[string]Table{"settings": {Global: true}}
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("an empty list or map changed the fingerprint")
	}
	b.Temporal.Address, b.Temporal.TLS.CAFile, b.Cloudflare.TokenFile = "temporal.prod:7233", "/etc/ca.pem", "/run/secrets/cf"
	b.Clusters[0].DSN = strings.Replace(b.Clusters[0].DSN, "@", "@forwarded-", 1) // another host, the same database
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("where the Temporal server, the token or a cluster's host is changed the fingerprint")
	}
	a.Clusters[0].MaxDatabases++
	if a.Fingerprint() == b.Fingerprint() {
		t.Fatal("clusters[0].max_databases did not change the fingerprint")
	}
}

func TestFingerprintCountsDatabasesNotEndpoints(t *testing.T) {
	for in, want := range map[string]string{
		"app:s3cret@tcp(db:3306)/legacy":              "legacy",
		"app:/p@ss/word@tcp(db:3306)/legacy?tls=true": "legacy",
		"root@unix(/run/mysqld/mysqld.sock)/legacy":   "legacy",
	} {
		if got := mariaDBDatabase(in); got != want {
			t.Errorf("mariaDBDatabase(%q) = %q; want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"postgres://u:s3cret@h:5432/db?sslmode=disable&sslpassword=x": "/db",
		"amqp://guest:guest@127.0.0.1:5672/legacy":                    "/legacy",
	} {
		if got := urlDatabase(in); got != want {
			t.Errorf("urlDatabase(%q) = %q; want %q", in, got, want)
		}
	}
}
