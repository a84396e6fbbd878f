package cfemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/zero_trust"

	"github.com/migrawave/migrawave/internal/cfemu"
)

func TestStatePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	ctx := context.Background()

	first := startEmulator(t, cfemu.Options{StatePath: path})
	client := first.client()
	www := aRecord("www", "192.0.2.1")
	www.Tags = cloudflare.F([]dns.RecordTagsParam{"env:prod"})
	createRecord(t, client, www)
	createRecord(t, client, aRecord("api", "192.0.2.2"))
	first.admin(http.MethodPost, "/__admin/tunnels", map[string]any{"account_id": accountID, "id": tunnelID, "name": "edge"}, http.StatusCreated)
	_, err := client.ZeroTrust.Tunnels.Cloudflared.Configurations.Update(ctx, tunnelID, zero_trust.TunnelCloudflaredConfigurationUpdateParams{
		AccountID: cloudflare.F(accountID),
		Config: cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfig{
			Ingress: cloudflare.F([]zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfigIngress{{Service: cloudflare.F("http://localhost:8080")}}),
		}),
	})
	if err != nil {
		t.Fatalf("configuring tunnel: %v", err)
	}
	before := first.stateDump()

	second := startEmulator(t, cfemu.Options{StatePath: path})
	if after := second.stateDump(); !bytes.Equal(before, after) {
		t.Fatalf("state changed across restart:\nbefore %s\nafter %s", before, after)
	}
	if onDisk, err := os.ReadFile(path); err != nil || !bytes.Equal(onDisk, before) {
		t.Errorf("state file differs from the dump (err %v):\n%s", err, onDisk)
	}
	page, err := second.client().DNS.Records.List(ctx, dns.RecordListParams{
		ZoneID: cloudflare.F(zoneID), Tag: cloudflare.F(dns.RecordListParamsTag{Exact: cloudflare.F("env:prod")}),
	})
	if err != nil || len(page.Result) != 1 || page.Result[0].Name != "www.example.com" {
		t.Fatalf("list after restart: %v %+v", err, page)
	}
	cfg, err := second.client().ZeroTrust.Tunnels.Cloudflared.Configurations.Get(ctx, tunnelID,
		zero_trust.TunnelCloudflaredConfigurationGetParams{AccountID: cloudflare.F(accountID)})
	if err != nil || cfg.Version != 1 || cfg.Config.Ingress[0].Service != "http://localhost:8080" {
		t.Fatalf("tunnel after restart: %v %+v", err, cfg)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestConcurrentCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	e := startEmulator(t, cfemu.Options{StatePath: path})
	client := e.client()
	ctx := context.Background()

	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := client.DNS.Records.New(ctx, dns.RecordNewParams{
				ZoneID: cloudflare.F(zoneID), Body: aRecord(fmt.Sprintf("host%d", i), "192.0.2.1"),
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent create: %v", err)
		}
	}

	page, err := client.DNS.Records.List(ctx, dns.RecordListParams{ZoneID: cloudflare.F(zoneID)})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	names := map[string]bool{}
	for _, r := range page.Result {
		names[r.Name] = true
	}
	if len(page.Result) != n || len(names) != n {
		t.Errorf("listed %d records (%d distinct names), want %d", len(page.Result), len(names), n)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading state file: %v", err)
	}
	var st cfemu.State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state file is not valid JSON: %v", err)
	}
	if len(st.Zones) != 1 || len(st.Zones[0].Records) != n {
		t.Errorf("state file holds %+v, want one zone with %d records", st.Zones, n)
	}
}

func TestAdminSeedingAndReset(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	const fixedID = "0123456789abcdef0123456789abcdef"

	e.admin(http.MethodPost, "/__admin/records", []map[string]any{
		{"zone_id": zoneID, "id": fixedID, "name": "www", "type": "A", "content": "192.0.2.1", "ttl": 300},
		{"zone_id": zoneID, "name": "www", "type": "TXT", "content": "seeded", "tags": []string{"owner:test"}},
	}, http.StatusCreated)
	rec, err := e.client().DNS.Records.Get(context.Background(), fixedID, dns.RecordGetParams{ZoneID: cloudflare.F(zoneID)})
	if err != nil || rec.Content != "192.0.2.1" || rec.TTL != 300 {
		t.Fatalf("seeded record: %v %+v", err, rec)
	}

	// Seeding goes through the API's validation, all-or-nothing.
	before := e.stateDump()
	body := e.admin(http.MethodPost, "/__admin/records", []map[string]any{
		{"zone_id": zoneID, "name": "ok", "type": "A", "content": "192.0.2.5"},
		{"zone_id": zoneID, "name": "www", "type": "CNAME", "content": "elsewhere.example.net"},
	}, http.StatusBadRequest)
	if !strings.Contains(string(body), "81053") {
		t.Errorf("seed conflict error %s should carry the API code", body)
	}
	e.admin(http.MethodPost, "/__admin/records", map[string]any{"zone_id": "nope", "name": "x", "type": "A", "content": "192.0.2.1"}, http.StatusNotFound)
	e.admin(http.MethodPost, "/__admin/records", map[string]any{"zone_id": zoneID, "nmae": "typo"}, http.StatusBadRequest)
	if after := e.stateDump(); !bytes.Equal(before, after) {
		t.Errorf("failed seeding changed the state")
	}
	e.admin(http.MethodPost, "/__admin/zones", map[string]string{"id": zoneID, "name": "other.com"}, http.StatusConflict)

	// A dump can be loaded back unchanged, and {} resets everything.
	e.admin(http.MethodPut, "/__admin/state", json.RawMessage(before), http.StatusOK)
	if after := e.stateDump(); !bytes.Equal(before, after) {
		t.Errorf("PUT of a dump changed it:\n%s\n%s", before, after)
	}
	snapshot, err := e.srv.Snapshot()
	if err != nil || len(snapshot.Zones) != 1 || !slices.ContainsFunc(snapshot.Zones[0].Records, func(r cfemu.Record) bool { return r.ID == fixedID }) {
		t.Errorf("Snapshot = %+v, %v", snapshot, err)
	}
	e.admin(http.MethodPut, "/__admin/state", map[string]any{}, http.StatusOK)
	if got := string(e.stateDump()); got != "{\n  \"zones\": [],\n  \"tunnels\": []\n}\n" {
		t.Errorf("state after reset = %s", got)
	}
	_, err = e.client().DNS.Records.Get(context.Background(), fixedID, dns.RecordGetParams{ZoneID: cloudflare.F(zoneID)})
	requireAPIError(t, err, http.StatusNotFound, 7003)
}
