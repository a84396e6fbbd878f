package cfemu_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/testenv"
)

const (
	zoneID    = "023e105f4ecef8ad9ca31a8372d0c353"
	zoneName  = "example.com"
	accountID = "699d98642c564d2e855e9661899b7252"
	tunnelID  = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
)

// emulator is a cfemu.Server behind httptest, with helpers for its admin API.
type emulator struct {
	t   *testing.T
	srv *cfemu.Server
	url string
}

// startEmulator serves a new emulator with opts (testenv.CloudflareToken is always
// accepted) and seeds the example.com zone.
func startEmulator(t *testing.T, opts cfemu.Options) *emulator {
	t.Helper()
	clearCloudflareEnv(t)
	opts.Tokens = append(opts.Tokens, testenv.CloudflareToken)
	srv, err := cfemu.New(opts)
	if err != nil {
		t.Fatalf("cfemu.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &emulator{t: t, srv: srv, url: hs.URL}
	// 200 rather than 201 when a state file already has the zone.
	status, body := e.do(http.MethodPost, "/__admin/zones", strings.NewReader(`{"id":"`+zoneID+`","name":"`+zoneName+`"}`), nil)
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("seeding zone: status %d, body %s", status, body)
	}
	return e
}

// clearCloudflareEnv keeps a developer's real credentials or base URL, which
// cloudflare.NewClient reads from the environment, out of the tests.
func clearCloudflareEnv(t *testing.T) {
	for _, name := range []string{
		"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL",
		"CLOUDFLARE_BASE_URL", "CLOUDFLARE_API_USER_SERVICE_KEY", "CLOUDFLARE_CUSTOM_HEADERS",
	} {
		t.Setenv(name, "") // restores the original value after the test
		os.Unsetenv(name)
	}
}

// client returns a real cloudflare-go client pointed at the emulator. It does
// not retry unless opts say so, so a test sees exactly the response it provoked.
func (e *emulator) client(opts ...option.RequestOption) *cloudflare.Client {
	base := []option.RequestOption{
		option.WithBaseURL(e.url + cfemu.APIPrefix),
		option.WithAPIToken(testenv.CloudflareToken),
		option.WithMaxRetries(0),
	}
	return cloudflare.NewClient(append(base, opts...)...)
}

// admin calls the admin API, checks the status and returns the body.
func (e *emulator) admin(method, path string, body any, wantStatus int) []byte {
	e.t.Helper()
	return testenv.EmulatorAdmin{T: e.t, URL: e.url}.Call(method, path, body, wantStatus)
}

// do sends a raw request, for what the client cannot express.
func (e *emulator) do(method, path string, body io.Reader, header http.Header) (int, []byte) {
	e.t.Helper()
	return testenv.EmulatorAdmin{T: e.t, URL: e.url}.Do(method, path, body, header)
}

// stateDump returns GET /__admin/state, which is deterministic.
func (e *emulator) stateDump() []byte {
	e.t.Helper()
	return e.admin(http.MethodGet, "/__admin/state", nil, http.StatusOK)
}

func (e *emulator) setFaults(faults map[string]any) {
	e.t.Helper()
	e.admin(http.MethodPut, "/__admin/faults", faults, http.StatusOK)
}

func (e *emulator) requests() []cfemu.RequestEntry {
	e.t.Helper()
	var entries []cfemu.RequestEntry
	if err := json.Unmarshal(e.admin(http.MethodGet, "/__admin/requests", nil, http.StatusOK), &entries); err != nil {
		e.t.Fatalf("decoding request log: %v", err)
	}
	return entries
}

// requireAPIError asserts that err is the client's *cloudflare.Error with the
// given HTTP status and Cloudflare error code, and returns it.
func requireAPIError(t *testing.T, err error, status int, code int64) *cloudflare.Error {
	t.Helper()
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v (%T), want *cloudflare.Error", err, err)
	}
	if apiErr.StatusCode != status {
		t.Errorf("status %d, want %d (%v)", apiErr.StatusCode, status, err)
	}
	for _, e := range apiErr.Errors {
		if e.Code == code {
			return apiErr
		}
	}
	t.Fatalf("error codes %+v do not include %d", apiErr.Errors, code)
	return nil
}
