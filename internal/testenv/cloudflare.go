package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
)

// CloudflareToken is the API token the tests' emulators accept.
const CloudflareToken = "test-token"

// Cloudflare starts a Cloudflare API emulator of the test's own and points
// cfg at it, so tests neither share the local stack's zone state nor spend
// its per-token rate limit. It returns the emulator for fault injection.
func Cloudflare(t testing.TB, cfg *config.Config, opts cfemu.Options) *cfemu.Server {
	t.Helper()
	const token = CloudflareToken
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

// EmulatorAdmin calls a Cloudflare emulator's admin API (/__admin/...) and
// raw requests the client cannot express, failing the test on errors.
type EmulatorAdmin struct {
	T testing.TB
	// URL is the emulator's root, without the API prefix.
	URL string
}

// Call sends body as JSON and returns the answer's body; wantStatus 0
// accepts any 2xx status.
func (a EmulatorAdmin) Call(method, path string, body any, wantStatus int) []byte {
	a.T.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			a.T.Fatalf("encoding the body of %s %s: %v", method, path, err)
		}
		reader = bytes.NewReader(data)
	}
	status, data := a.Do(method, path, reader, nil)
	if wantStatus == 0 && status/100 != 2 || wantStatus != 0 && status != wantStatus {
		a.T.Fatalf("%s %s: status %d; body %s", method, path, status, data)
	}
	return data
}

// Do sends a raw request and returns the status and body.
func (a EmulatorAdmin) Do(method, path string, body io.Reader, header http.Header) (int, []byte) {
	a.T.Helper()
	req, err := http.NewRequest(method, a.URL+path, body)
	if err != nil {
		a.T.Fatalf("building %s %s: %v", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.T.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return resp.StatusCode, data
}
