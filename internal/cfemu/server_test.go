package cfemu_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/testenv"
)

func TestAuthentication(t *testing.T) {
	e := startEmulator(t, cfemu.Options{Tokens: []string{"second-token"}})
	ctx := context.Background()

	verified, err := e.client().User.Tokens.Verify(ctx)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if verified.Status != "active" || len(verified.ID) != 32 {
		t.Errorf("verify = %s", verified.JSON.RawJSON())
	}
	if _, err := e.client(option.WithAPIToken("second-token")).User.Tokens.Verify(ctx); err != nil {
		t.Errorf("every configured token is accepted: %v", err)
	}

	_, err = e.client(option.WithAPIToken("wrong-token")).User.Tokens.Verify(ctx)
	requireAPIError(t, err, http.StatusForbidden, 10000)
	_, err = e.client(option.WithAPIToken("wrong-token")).DNS.Records.List(ctx, dns.RecordListParams{ZoneID: cloudflare.F(zoneID)})
	requireAPIError(t, err, http.StatusForbidden, 10000)

	status, _ := e.do(http.MethodGet, cfemu.APIPrefix+"/user/tokens/verify", nil, nil)
	if status != http.StatusForbidden {
		t.Errorf("no Authorization header: status %d, want 403", status)
	}
	if status, _ := e.do(http.MethodGet, "/__admin/health", nil, nil); status != http.StatusOK {
		t.Errorf("health needs no token: status %d", status)
	}

	if _, err := cfemu.New(cfemu.Options{}); err == nil {
		t.Error("New without tokens should fail")
	}
}

func TestUnknownRoute(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	auth := http.Header{"Authorization": {"Bearer " + testenv.CloudflareToken}}
	for _, path := range []string{"/zones", "/zones/" + zoneID + "/dns_records/export/extra"} {
		status, body := e.do(http.MethodGet, cfemu.APIPrefix+path, nil, auth)
		if status != http.StatusNotFound || !strings.Contains(string(body), `"code":7000`) {
			t.Errorf("GET %s: status %d, body %s", path, status, body)
		}
	}
	status, body := e.do(http.MethodDelete, cfemu.APIPrefix+"/zones/"+zoneID+"/dns_records", nil, auth)
	if status != http.StatusNotFound || !strings.Contains(string(body), `"success":false`) {
		t.Errorf("unsupported method: status %d, body %s", status, body)
	}
}
