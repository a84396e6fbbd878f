package testenv

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
)

// Cloudflare starts a Cloudflare API emulator of the test's own and points
// cfg at it, so tests neither share the local stack's zone state nor spend
// its per-token rate limit. It returns the emulator for fault injection.
func Cloudflare(t testing.TB, cfg *config.Config, opts cfemu.Options) *cfemu.Server {
	t.Helper()
	const token = "test-token"
	opts.Tokens = []string{token}
	emu, err := cfemu.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	tokenFile := filepath.Join(t.TempDir(), "cf-token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Cloudflare.BaseURL = srv.URL + cfemu.APIPrefix
	cfg.Cloudflare.TokenFile = tokenFile
	return emu
}
