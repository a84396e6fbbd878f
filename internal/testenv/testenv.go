// Package testenv gives tests the local stack: its configuration and
// throwaway databases on it. A service that cannot be reached fails the test
// under CI=true and skips it elsewhere, so a green CI run never hides a skip.
package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/migrawave/migrawave/internal/config"
)

// RepoRoot is the repository's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ConfigPath is the local stack's configuration, or MIGRAWAVE_TEST_CONFIG.
func ConfigPath() string {
	if p := os.Getenv("MIGRAWAVE_TEST_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(RepoRoot(), "deploy", "local", "migrawave.yaml")
}

// Config loads the local stack's configuration.
func Config(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(ConfigPath())
	if err != nil {
		t.Fatalf("loading the local stack config: %v", err)
	}
	// Absolute, so that a copy written elsewhere by WriteConfig still finds it.
	if f := cfg.Cloudflare.TokenFile; f != "" && !filepath.IsAbs(f) {
		cfg.Cloudflare.TokenFile = filepath.Join(filepath.Dir(ConfigPath()), f)
	}
	return cfg
}

// WriteConfig writes cfg to a file in the test's temporary folder, for tests
// that run the CLI with a configuration of their own.
func WriteConfig(t testing.TB, cfg *config.Config) string {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "migrawave.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Unavailable ends the test because a service is missing: a failure in CI,
// a skip with the reason on a developer's machine.
func Unavailable(t testing.TB, service string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s unreachable (start it with `make stack-up`): %v", service, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// PostgresDatabase creates an empty database on the cluster at serverDSN for
// this test and drops it when the test ends. It returns the new database's DSN.
func PostgresDatabase(t testing.TB, serverDSN string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverDSN)
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("test_%s_%d", sanitize(t.Name()), time.Now().UnixNano()%1e9)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverDSN)
		if err != nil {
			t.Logf("dropping test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverDSN)
	if err != nil {
		t.Fatalf("the cluster DSN is not a URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func sanitize(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[:40]
	}
	return out
}
