package routing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/migrawave/migrawave/internal/config"
)

const (
	cfgToken = "cfg-token-0123456789abcdef"
	envToken = "env-token-should-never-be-sent"
)

const emptyList = `{"success":true,"errors":[],"messages":[],"result":[],` +
	`"result_info":{"page":1,"per_page":100,"count":0,"total_count":0,"total_pages":1}}`

// testConfig returns a config whose token comes from a test-only variable.
func testConfig(t *testing.T, baseURL string) *config.Config {
	t.Helper()
	t.Setenv("MIGRAWAVE_TEST_CF_TOKEN", cfgToken)
	return &config.Config{Cloudflare: config.Cloudflare{BaseURL: baseURL, TokenEnv: "MIGRAWAVE_TEST_CF_TOKEN"}}
}

// strayEnvironment sets every CLOUDFLARE_* variable cloudflare-go reads.
func strayEnvironment(t *testing.T, baseURL string) {
	t.Setenv("CLOUDFLARE_API_TOKEN", envToken)
	t.Setenv("CLOUDFLARE_API_KEY", "env-api-key")
	t.Setenv("CLOUDFLARE_EMAIL", "someone@example.com")
	t.Setenv("CLOUDFLARE_API_USER_SERVICE_KEY", "env-service-key")
	t.Setenv("CLOUDFLARE_BASE_URL", baseURL)
	t.Setenv("CLOUDFLARE_CUSTOM_HEADERS", "X-Stray: 1\nAuthorization: Bearer "+envToken)
}

func listRecords(t *testing.T, c *cloudflare.Client, opts ...option.RequestOption) error {
	t.Helper()
	_, err := c.DNS.Records.List(context.Background(), dns.RecordListParams{ZoneID: cloudflare.F("zone1")}, opts...)
	return err
}

func TestNewClientIgnoresEnvironment(t *testing.T) {
	var strayHits atomic.Int32
	stray := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		strayHits.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer stray.Close()

	var mu sync.Mutex
	var got http.Header
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got, path = r.Header.Clone(), r.URL.Path
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, emptyList)
	}))
	defer srv.Close()

	strayEnvironment(t, stray.URL+"/client/v4")
	c, err := NewClient(testConfig(t, srv.URL+"/client/v4"))
	if err != nil {
		t.Fatal(err)
	}
	if err := listRecords(t, c); err != nil {
		t.Fatalf("list: %v", err)
	}
	if n := strayHits.Load(); n != 0 {
		t.Errorf("CLOUDFLARE_BASE_URL was used: %d requests went to it", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if path != "/client/v4/zones/zone1/dns_records" {
		t.Errorf("path = %q", path)
	}
	if a := got.Values("Authorization"); len(a) != 1 || a[0] != "Bearer "+cfgToken {
		t.Errorf("Authorization = %q, want the configured token only", a)
	}
	for _, h := range []string{"X-Auth-Key", "X-Auth-Email", "X-Auth-User-Service-Key", "X-Stray"} {
		if v := got.Get(h); v != "" {
			t.Errorf("header %s = %q was sent from the environment", h, v)
		}
	}
}

func TestNewClientEmptyBaseURLIsProduction(t *testing.T) {
	strayEnvironment(t, "http://127.0.0.1:1/client/v4")
	c, err := NewClient(testConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	// Answer from a middleware so the test never leaves the machine.
	var url string
	intercept := option.WithMiddleware(func(r *http.Request, _ option.MiddlewareNext) (*http.Response, error) {
		url = r.URL.String()
		return &http.Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(strings.NewReader(emptyList)),
			Request:    r,
		}, nil
	})
	if err := listRecords(t, c, intercept); err != nil {
		t.Fatalf("list: %v", err)
	}
	if want := ProductionBaseURL + "zones/zone1/dns_records"; url != want {
		t.Errorf("request went to %q, want %q", url, want)
	}
}

func TestNewClientRetriesAndKeepsTokenOutOfErrors(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After-Ms", "1") // keep the test fast
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"unavailable"}],"messages":[],"result":null}`)
	}))
	defer srv.Close()

	c, err := NewClient(testConfig(t, srv.URL+"/client/v4"))
	if err != nil {
		t.Fatal(err)
	}
	err = listRecords(t, c)
	if err == nil {
		t.Fatal("want an error from a 503")
	}
	if strings.Contains(err.Error(), cfgToken) {
		t.Errorf("error leaks the token: %v", err)
	}
	if n := hits.Load(); n != 1+maxRetries {
		t.Errorf("%d attempts, want %d", n, 1+maxRetries)
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Run("missing token", func(t *testing.T) {
		t.Setenv("CLOUDFLARE_API_TOKEN", envToken)
		cfg := &config.Config{Cloudflare: config.Cloudflare{TokenEnv: "MIGRAWAVE_TEST_CF_UNSET"}}
		_, err := NewClient(cfg)
		if err == nil || !strings.Contains(err.Error(), "MIGRAWAVE_TEST_CF_UNSET") {
			t.Fatalf("err = %v, want one naming the token variable", err)
		}
	})
	t.Run("bad base url", func(t *testing.T) {
		_, err := NewClient(testConfig(t, "ftp://example.com/client/v4"))
		if err == nil || !strings.Contains(err.Error(), "cloudflare.base_url") {
			t.Fatalf("err = %v, want one naming cloudflare.base_url", err)
		}
		if strings.Contains(err.Error(), cfgToken) {
			t.Errorf("error leaks the token: %v", err)
		}
	})
	t.Run("unparsable CLOUDFLARE_BASE_URL", func(t *testing.T) {
		t.Setenv("CLOUDFLARE_BASE_URL", "http://%zz")
		_, err := NewClient(testConfig(t, "http://127.0.0.1:1/client/v4"))
		if err == nil || !strings.Contains(err.Error(), "CLOUDFLARE_BASE_URL") {
			t.Fatalf("err = %v, want one naming CLOUDFLARE_BASE_URL", err)
		}
	})
}
