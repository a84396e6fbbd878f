package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/parallel"
	"github.com/migrawave/migrawave/internal/routing"
)

// dnsWorkers bounds concurrent API calls: enough that 200 tenants take
// seconds, few enough to stay far from the API's rate limit.
const dnsWorkers = 8

// wantRecord is a DNS record as the demo wants it to be.
type wantRecord struct {
	name    string
	typ     string // "CNAME" or "A"
	content string
	proxied bool
	ttl     float64
	comment string
	tags    []string
}

// dnsOutcome is what ensuring one record did.
type dnsOutcome int

const (
	dnsUnchanged dnsOutcome = iota
	dnsCreated
	dnsUpdated
)

// ForeignRecordComment marks the records the demo creates that migrawave
// does not own: they have no migrawave tag, and ownership checks must leave
// them alone.
const ForeignRecordComment = "managed by the web team, not migrawave"

// OwnerTag is the tag the demo puts on a tenant's record: "<tag>:<tenant>",
// with tag from cloudflare.tag.
func OwnerTag(cfg *config.Config, tenant string) string {
	return cfg.Cloudflare.Tag + ":" + tenant
}

// seedDNS makes every tenant's hostname a proxied CNAME to the old target,
// plus a few records of the zone that migrawave does not own.
func seedDNS(ctx context.Context, cfg *config.Config, tenants []*tenant, progress func(string)) (DNSReport, error) {
	cf := cfg.Cloudflare
	if cf.ZoneID == "" || cf.HostnamePattern == "" || cf.OldTarget == "" {
		reason := "cloudflare.zone_id, hostname_pattern or old_target is not configured"
		progress("dns: skipped, " + reason)
		return DNSReport{Skipped: reason}, nil
	}
	if !strings.Contains(cf.HostnamePattern, "{tenant}") {
		return DNSReport{}, fmt.Errorf("demo: cloudflare.hostname_pattern %q has no {tenant}", cf.HostnamePattern)
	}
	zone, err := zoneName(cf.HostnamePattern)
	if err != nil {
		return DNSReport{}, err
	}
	client, err := routing.NewClient(cfg)
	if err != nil {
		return DNSReport{}, fmt.Errorf("demo: %w", err)
	}
	if cf.BaseURL != "" {
		// Only the emulator has an admin API; the real zone exists already.
		if err := ensureEmulatorZone(ctx, cf.BaseURL, cf.ZoneID, zone); err != nil {
			return DNSReport{}, fmt.Errorf("demo: cloudflare emulator: %w", err)
		}
	}

	want := []wantRecord{
		{name: "www." + zone, typ: "A", content: "192.0.2.10", proxied: true, ttl: 1, comment: ForeignRecordComment},
		{name: "api." + zone, typ: "CNAME", content: "elsewhere-lb.example.com", proxied: false, ttl: 300, comment: ForeignRecordComment},
	}
	for _, t := range tenants {
		want = append(want, wantRecord{
			name:    cfg.Hostname(t.id),
			typ:     "CNAME",
			content: cf.OldTarget,
			proxied: true,
			ttl:     1,
			comment: "tenant " + t.id,
			tags:    []string{OwnerTag(cfg, t.id)},
		})
	}

	var mu sync.Mutex
	var rep DNSReport
	err = parallel.Each(ctx, want, dnsWorkers, func(ctx context.Context, w wantRecord) error {
		o, err := ensureRecord(ctx, client, cf.ZoneID, w)
		if err != nil {
			return fmt.Errorf("demo: cloudflare zone %s: %s: %w", cf.ZoneID, w.name, err)
		}
		mu.Lock()
		defer mu.Unlock()
		switch o {
		case dnsCreated:
			rep.Created++
		case dnsUpdated:
			rep.Updated++
		default:
			rep.Unchanged++
		}
		return nil
	})
	if err != nil {
		return DNSReport{}, err
	}
	progress(fmt.Sprintf("dns: %d records in %s (%d created, %d updated, %d unchanged)", len(want), zone, rep.Created, rep.Updated, rep.Unchanged))
	return rep, nil
}

// ensureRecord makes the record called w.name look like w: created when
// missing, overwritten when it differs (say, a previous demo migrated the
// tenant to the new target), left alone when it already matches.
func ensureRecord(ctx context.Context, client *cloudflare.Client, zoneID string, w wantRecord) (dnsOutcome, error) {
	page, err := client.DNS.Records.List(ctx, dns.RecordListParams{
		ZoneID:  cloudflare.F(zoneID),
		Name:    cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F(w.name)}),
		PerPage: cloudflare.F(100.0),
	})
	if err != nil {
		return 0, fmt.Errorf("listing: %w", err)
	}
	switch existing := page.Result; len(existing) {
	case 0:
		if _, err := client.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: w.body()}); err != nil {
			return 0, fmt.Errorf("creating: %w", err)
		}
		return dnsCreated, nil
	case 1:
		if w.matches(existing[0]) {
			return dnsUnchanged, nil
		}
		body, ok := w.body().(dns.RecordUpdateParamsBodyUnion)
		if !ok {
			return 0, fmt.Errorf("no update body for a %s record", w.typ)
		}
		if _, err := client.DNS.Records.Update(ctx, existing[0].ID, dns.RecordUpdateParams{ZoneID: cloudflare.F(zoneID), Body: body}); err != nil {
			return 0, fmt.Errorf("updating record %s: %w", existing[0].ID, err)
		}
		return dnsUpdated, nil
	default:
		var kinds []string
		for _, r := range existing {
			kinds = append(kinds, fmt.Sprintf("%s %s (%s)", r.Type, r.Content, r.ID))
		}
		return 0, fmt.Errorf("%d records have this name (%s); the demo expects at most one, fix the zone by hand", len(existing), strings.Join(kinds, ", "))
	}
}

func (w wantRecord) body() dns.RecordNewParamsBodyUnion {
	var tags []dns.RecordTagsParam
	tags = append(tags, w.tags...) // always an array: an update must clear stale tags
	if w.typ == "A" {
		return dns.ARecordParam{
			Name: cloudflare.F(w.name), Type: cloudflare.F(dns.ARecordTypeA), Content: cloudflare.F(w.content),
			Proxied: cloudflare.F(w.proxied), TTL: cloudflare.F(dns.TTL(w.ttl)), Comment: cloudflare.F(w.comment),
			Tags: cloudflare.F(tags),
		}
	}
	return dns.CNAMERecordParam{
		Name: cloudflare.F(w.name), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F(w.content),
		Proxied: cloudflare.F(w.proxied), TTL: cloudflare.F(dns.TTL(w.ttl)), Comment: cloudflare.F(w.comment),
		Tags: cloudflare.F(tags),
	}
}

func (w wantRecord) matches(r dns.RecordResponse) bool {
	return string(r.Type) == w.typ &&
		strings.EqualFold(strings.TrimSuffix(r.Content, "."), w.content) &&
		r.Proxied == w.proxied &&
		float64(r.TTL) == w.ttl &&
		r.Comment == w.comment &&
		slices.Equal(sortedTags(r.Tags), sortedTags(w.tags))
}

// sortedTags reads a record's tags, which cloudflare-go decodes as either
// []string or []any.
func sortedTags(v any) []string {
	var tags []string
	switch v := v.(type) {
	case []string:
		tags = slices.Clone(v)
	case []any:
		for _, t := range v {
			if s, ok := t.(string); ok {
				tags = append(tags, s)
			}
		}
	}
	slices.Sort(tags)
	return tags
}

// zoneName is the registrable domain of the hostname pattern, its last two
// labels: "{tenant}.app.example.com" is in zone "example.com".
func zoneName(pattern string) (string, error) {
	labels := strings.Split(strings.TrimSuffix(pattern, "."), ".")
	if len(labels) < 3 {
		return "", fmt.Errorf("demo: cloudflare.hostname_pattern %q is not below a zone (want {tenant}.…domain.tld)", pattern)
	}
	return strings.ToLower(strings.Join(labels[len(labels)-2:], ".")), nil
}

// ensureEmulatorZone creates the zone in the emulator through its admin API
// (idempotent there). The admin API lives at the server root, outside
// /client/v4, and needs no token.
func ensureEmulatorZone(ctx context.Context, baseURL, zoneID, zone string) error {
	root := strings.TrimSuffix(strings.TrimSuffix(baseURL, "/"), "/client/v4")
	body, _ := json.Marshal(map[string]string{"id": zoneID, "name": zone})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root+"/__admin/zones", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("creating zone %s: %w", zone, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("creating zone %s: %w", zone, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("creating zone %s (%s): %s: %s", zone, zoneID, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
