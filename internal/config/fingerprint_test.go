package config

import (
	"strings"
	"testing"
)

// The fingerprint changes with the settings that decide what a migration
// does, not with a password or where the Temporal server and the token are.
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
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("where the Temporal server and the token are changed the fingerprint")
	}
	a.Clusters[0].MaxDatabases++
	if a.Fingerprint() == b.Fingerprint() {
		t.Fatal("clusters[0].max_databases did not change the fingerprint")
	}
}

func TestWithoutPassword(t *testing.T) {
	for in, want := range map[string]string{
		"app:s3cret@tcp(db:3306)/legacy":                    "app@tcp(db:3306)/legacy",
		"app:p@ss@tcp(db:3306)/legacy":                      "app@tcp(db:3306)/legacy",
		"root@tcp(127.0.0.1:3306)/legacy":                   "root@tcp(127.0.0.1:3306)/legacy",
		"postgres://u:s3cret@h:5432/db?sslmode=disable":     "postgres://u@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=s3cret&sslmode=require": "postgres://u@h/db?sslmode=require",
		"amqp://guest:guest@127.0.0.1:5672/legacy":          "amqp://guest@127.0.0.1:5672/legacy",
		"": "",
	} {
		if got := withoutPassword(in); got != want {
			t.Errorf("withoutPassword(%q) = %q; want %q", in, got, want)
		}
	}
}
