package cfemu_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/zero_trust"

	"github.com/migrawave/migrawave/internal/cfemu"
)

func TestTunnelConfiguration(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	e.admin(http.MethodPost, "/__admin/tunnels", map[string]any{
		"account_id": accountID, "id": tunnelID, "name": "edge",
		"config": map[string]any{"ingress": []map[string]any{
			{"hostname": "old.example.com", "service": "http://localhost:8000"},
			{"service": "http_status:404"},
		}},
	}, http.StatusCreated)
	// Seeding is idempotent.
	e.admin(http.MethodPost, "/__admin/tunnels", map[string]any{"account_id": accountID, "id": tunnelID, "name": "edge"}, http.StatusOK)

	configs := e.client().ZeroTrust.Tunnels.Cloudflared.Configurations
	ctx := context.Background()

	got, err := configs.Get(ctx, tunnelID, zero_trust.TunnelCloudflaredConfigurationGetParams{AccountID: cloudflare.F(accountID)})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Version != 1 || got.TunnelID != tunnelID || got.AccountID != accountID ||
		got.Source != zero_trust.TunnelCloudflaredConfigurationGetResponseSourceCloudflare ||
		len(got.Config.Ingress) != 2 || got.Config.Ingress[0].Hostname != "old.example.com" {
		t.Fatalf("seeded configuration = %s", got.JSON.RawJSON())
	}

	ingress := []zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfigIngress{
		{
			Hostname: cloudflare.F("app.example.com"), Service: cloudflare.F("http://localhost:8080"), Path: cloudflare.F("/api"),
			OriginRequest: cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfigIngressOriginRequest{
				NoTLSVerify: cloudflare.F(true), ConnectTimeout: cloudflare.F(int64(30)),
			}),
		},
		{Service: cloudflare.F("http_status:404")},
	}
	updated, err := configs.Update(ctx, tunnelID, zero_trust.TunnelCloudflaredConfigurationUpdateParams{
		AccountID: cloudflare.F(accountID),
		Config:    cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfig{Ingress: cloudflare.F(ingress)}),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	first := updated.Config.Ingress[0]
	if updated.Version != 2 || len(updated.Config.Ingress) != 2 || first.Hostname != "app.example.com" ||
		first.Path != "/api" || !first.OriginRequest.NoTLSVerify || first.OriginRequest.ConnectTimeout != 30 ||
		updated.Config.Ingress[1].Service != "http_status:404" || !updated.CreatedAt.After(got.CreatedAt) {
		t.Fatalf("updated configuration = %s", updated.JSON.RawJSON())
	}

	// The last rule must catch everything.
	_, err = configs.Update(ctx, tunnelID, zero_trust.TunnelCloudflaredConfigurationUpdateParams{
		AccountID: cloudflare.F(accountID),
		Config:    cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfig{Ingress: cloudflare.F(ingress[:1])}),
	})
	requireAPIError(t, err, http.StatusBadRequest, 1055)

	again, err := configs.Get(ctx, tunnelID, zero_trust.TunnelCloudflaredConfigurationGetParams{AccountID: cloudflare.F(accountID)})
	if err != nil {
		t.Fatalf("get after refused update: %v", err)
	}
	if again.Version != 2 || again.Config.Ingress[0].Hostname != "app.example.com" {
		t.Errorf("a refused update changed the configuration: %s", again.JSON.RawJSON())
	}

	_, err = configs.Get(ctx, "00000000-0000-4000-8000-000000000000", zero_trust.TunnelCloudflaredConfigurationGetParams{AccountID: cloudflare.F(accountID)})
	requireAPIError(t, err, http.StatusNotFound, 1000)
}
