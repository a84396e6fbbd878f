package cfemu_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/testenv"
)

func TestInjected429IsRetried(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	e.setFaults(map[string]any{"fail_next_429": 1})

	rec, err := e.client(option.WithMaxRetries(2)).DNS.Records.New(context.Background(),
		dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: aRecord("www", "192.0.2.1")})
	if err != nil {
		t.Fatalf("create through a 429: %v", err)
	}
	if rec.Name != "www.example.com" {
		t.Errorf("created %+v", rec)
	}
	if got := statuses(e.requests()); !slices.Equal(got, []int{429, 200}) {
		t.Errorf("request statuses %v, want [429 200]", got)
	}

	// Without retries the client surfaces the 429 and its Retry-After.
	e.setFaults(map[string]any{"fail_next_429": 1, "retry_after_seconds": 7})
	_, err = e.client().User.Tokens.Verify(context.Background())
	apiErr := requireAPIError(t, err, http.StatusTooManyRequests, 971)
	if got := apiErr.Response.Header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After %q, want 7", got)
	}
}

func TestInjected5xxIsRetried(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	e.setFaults(map[string]any{"fail_next_5xx": 2})

	if _, err := e.client(option.WithMaxRetries(2)).User.Tokens.Verify(context.Background()); err != nil {
		t.Fatalf("verify through two 5xx: %v", err)
	}
	entries := e.requests()
	if len(entries) != 3 || entries[0].Status < 500 || entries[1].Status < 500 || entries[2].Status != 200 {
		t.Fatalf("request log %+v, want two 5xx then 200", entries)
	}
	if entries[0].Fault != "fail_5xx" {
		t.Errorf("fault %q, want fail_5xx", entries[0].Fault)
	}

	e.admin(http.MethodDelete, "/__admin/requests", nil, http.StatusNoContent)
	if got := e.requests(); len(got) != 0 {
		t.Errorf("request log not cleared: %+v", got)
	}
}

// The fraction faults draw from a seeded generator, so a seed replays the
// same sequence of failures.
func TestFaultFractionsAreSeeded(t *testing.T) {
	run := func() []int {
		e := startEmulator(t, cfemu.Options{Faults: cfemu.Faults{Fail429: 0.3, Fail5xx: 0.3, Seed: 42}})
		auth := http.Header{"Authorization": {"Bearer " + testenv.CloudflareToken}}
		var got []int
		for range 40 {
			status, _ := e.do(http.MethodGet, cfemu.APIPrefix+"/user/tokens/verify", nil, auth)
			got = append(got, status)
		}
		return got
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Fatalf("same seed, different failures:\n%v\n%v", first, second)
	}
	counts := map[int]int{}
	for _, s := range first {
		counts[s/100*100]++
	}
	if counts[200] == 0 || counts[400] == 0 || counts[500] == 0 {
		t.Errorf("expected a mix of successes, 429s and 5xx, got %v", first)
	}
}

func TestRateLimit(t *testing.T) {
	e := startEmulator(t, cfemu.Options{Tokens: []string{"other-token"}, Faults: cfemu.Faults{RateLimit: 5, RateWindow: time.Minute}})
	client := e.client()
	ctx := context.Background()
	for i := range 5 {
		if _, err := client.User.Tokens.Verify(ctx); err != nil {
			t.Fatalf("request %d within the limit: %v", i+1, err)
		}
	}
	_, err := client.User.Tokens.Verify(ctx)
	apiErr := requireAPIError(t, err, http.StatusTooManyRequests, 971)
	retryAfter, err := strconv.Atoi(apiErr.Response.Header.Get("Retry-After"))
	if err != nil || retryAfter < 1 || retryAfter > 60 {
		t.Errorf("Retry-After %q, want 1..60 seconds", apiErr.Response.Header.Get("Retry-After"))
	}

	// The limit is per token.
	if _, err := e.client(option.WithAPIToken("other-token")).User.Tokens.Verify(ctx); err != nil {
		t.Errorf("another token is not limited: %v", err)
	}
	// Admin endpoints are never limited.
	e.admin(http.MethodGet, "/__admin/state", nil, http.StatusOK)

	// Lifting the limit at run time takes effect at once.
	e.setFaults(map[string]any{"rate_limit": -1})
	if _, err := client.User.Tokens.Verify(ctx); err != nil {
		t.Errorf("after disabling the limit: %v", err)
	}
}

func TestLatency(t *testing.T) {
	e := startEmulator(t, cfemu.Options{Faults: cfemu.Faults{Latency: 80 * time.Millisecond}})
	start := time.Now()
	if _, err := e.client().User.Tokens.Verify(context.Background()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 80*time.Millisecond {
		t.Errorf("request took %v, want at least the 80ms latency", elapsed)
	}
	if got := e.srv.Faults().Latency; got != 80*time.Millisecond {
		t.Errorf("Faults().Latency = %v", got)
	}
}

func statuses(entries []cfemu.RequestEntry) []int {
	var out []int
	for _, e := range entries {
		out = append(out, e.Status)
	}
	return out
}
