package routing

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/retry"
	"github.com/migrawave/migrawave/internal/testenv"
)

// TestRateLimitHandsRetryAfterToCaller: a 429 that outlasts the client's two
// retries comes back as a *RateLimitedError with the server's Retry-After.
func TestRateLimitHandsRetryAfterToCaller(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedTenant("t1")
	// Three 429s: the first attempt and the client's two retries.
	if err := e.emu.SetFaults(cfemu.Faults{FailNext429: 1 + maxRetries, RetryAfterSeconds: 2}); err != nil {
		t.Fatal(err)
	}
	_, err := e.router().Plan(context.Background(), "t1")
	var limited *RateLimitedError
	if !errors.As(err, &limited) {
		t.Fatalf("err = %v (%T), want a *RateLimitedError", err, err)
	}
	if d, ok := RetryAfter(err); !ok || d != 2*time.Second || limited.RetryAfter != 2*time.Second {
		t.Errorf("RetryAfter = %v, %v; want 2s from the server", d, ok)
	}
	if !IsTransient(err) || retry.IsFinal(err) {
		t.Errorf("a 429 must be transient, not bad input: %v", err)
	}
	if n := len(e.emu.Requests()); n != 1+maxRetries {
		t.Errorf("%d requests, want %d: the client's own retries are kept small", n, 1+maxRetries)
	}
	requireNoToken(t, err)
}

func TestServerErrorsAreTransient(t *testing.T) {
	e := newEnv(t, config.ModeTunnel)
	e.seedTenant("t1")
	e.seedTunnel(tunnelSeed(e.cfg))
	r := e.router()
	ctx := context.Background()
	p := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t1") })
	before := dump(t, e.state())
	if err := e.emu.SetFaults(cfemu.Faults{FailNext5xx: 1 + maxRetries}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Switch(ctx, p)
	var transient *TransientError
	if !errors.As(err, &transient) || !IsTransient(err) || retry.IsFinal(err) {
		t.Fatalf("err = %v (%T), want a *TransientError", err, err)
	}
	if _, ok := RetryAfter(err); ok {
		t.Errorf("a 5xx has no Retry-After to hand on")
	}
	if !strings.Contains(err.Error(), "injected by cfemu") || !strings.Contains(err.Error(), e.cfg.Cloudflare.TunnelID) {
		t.Errorf("err = %q, want the API's message and the tunnel", err)
	}
	requireNoToken(t, err)
	requireSameState(t, "after a failed switch", before, dump(t, e.state()))
}

// TestAPIRefusalIsBadInput: a request the API rejects as invalid (here a
// new target that is not a hostname) will not succeed on retry.
func TestAPIRefusalIsBadInput(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedTenant("t1")
	e.cfg.Cloudflare.NewTarget = "not a hostname"
	r := e.router()
	ctx := context.Background()
	p := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t1") })
	before := dump(t, e.state())
	_, err := r.Switch(ctx, p)
	if !retry.IsFinal(err) || !strings.Contains(err.Error(), "code 9007") {
		t.Errorf("err = %v, want bad input carrying the API's error code", err)
	}
	requireNoToken(t, err)
	requireSameState(t, "after a refused switch", before, dump(t, e.state()))
}

func TestRetryAfterHeader(t *testing.T) {
	for _, tc := range []struct {
		header http.Header
		want   time.Duration
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"7"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, time.Hour},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{}, 0},
	} {
		got := retryAfterHeader(&http.Response{Header: tc.header})
		if got < tc.want-2*time.Second || got > tc.want {
			t.Errorf("%v: %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestCheckHostname(t *testing.T) {
	valid := []string{"t1.app.example.com", "a-b.example.com", "0.example.com", strings.Repeat("a", 63) + ".example.com",
		strings.Repeat("abcdefghi.", 25) + "com"} // 253 characters
	invalid := []string{"", "example", "T1.example.com", "t_1.example.com", "-a.example.com", "a-.example.com",
		"a..example.com", ".example.com", strings.Repeat("a", 64) + ".example.com", "*.example.com",
		strings.Repeat("abcdefghi.", 26) + "com"}
	for _, name := range valid {
		if err := checkHostname(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	for _, name := range invalid {
		if err := checkHostname(name); err == nil {
			t.Errorf("%q: accepted", name)
		}
	}
}

func requireNoToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testenv.CloudflareToken) {
		t.Errorf("error leaks the API token: %v", err)
	}
}
