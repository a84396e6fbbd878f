package cfemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/testenv"
)

func aRecord(name, content string) dns.ARecordParam {
	return dns.ARecordParam{
		Name:    cloudflare.F(name),
		Type:    cloudflare.F(dns.ARecordTypeA),
		Content: cloudflare.F(content),
		TTL:     cloudflare.F(dns.TTL(1)),
	}
}

func createRecord(t *testing.T, client *cloudflare.Client, body dns.RecordNewParamsBodyUnion) *dns.RecordResponse {
	t.Helper()
	rec, err := client.DNS.Records.New(context.Background(), dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: body})
	if err != nil {
		t.Fatalf("creating record: %v", err)
	}
	return rec
}

func TestRecordLifecycle(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	client := e.client()
	ctx := context.Background()

	body := aRecord("www", "192.0.2.1") // relative names are qualified with the zone
	body.TTL = cloudflare.F(dns.TTL(300))
	body.Comment = cloudflare.F("web server")
	body.Tags = cloudflare.F([]dns.RecordTagsParam{"env:prod"})
	created := createRecord(t, client, body)
	if len(created.ID) != 32 || created.Name != "www.example.com" || created.Type != dns.RecordResponseTypeA ||
		created.Content != "192.0.2.1" || created.TTL != 300 || !created.Proxiable || created.Proxied ||
		created.Comment != "web server" || created.CreatedOn.IsZero() || created.CommentModifiedOn.IsZero() {
		t.Fatalf("created record = %+v", created)
	}
	if tags, _ := created.Tags.([]dns.RecordTags); !slices.Equal(tags, []dns.RecordTags{"env:prod"}) {
		t.Errorf("tags = %#v", created.Tags)
	}

	got, err := client.DNS.Records.Get(ctx, created.ID, dns.RecordGetParams{ZoneID: cloudflare.F(zoneID)})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.JSON.RawJSON() != created.JSON.RawJSON() {
		t.Errorf("get returned\n%s\nwant\n%s", got.JSON.RawJSON(), created.JSON.RawJSON())
	}

	// PATCH changes only what it sends.
	edited, err := client.DNS.Records.Edit(ctx, created.ID, dns.RecordEditParams{
		ZoneID: cloudflare.F(zoneID),
		Body:   dns.ARecordParam{Content: cloudflare.F("192.0.2.2"), Proxied: cloudflare.F(true)},
	})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if edited.Content != "192.0.2.2" || !edited.Proxied || edited.TTL != 300 || edited.Comment != "web server" ||
		!edited.CreatedOn.Equal(created.CreatedOn) || !edited.ModifiedOn.After(created.ModifiedOn) {
		t.Fatalf("edited record = %+v", edited)
	}

	// PUT replaces the record: the comment and tags it omits are gone.
	updated, err := client.DNS.Records.Update(ctx, created.ID, dns.RecordUpdateParams{
		ZoneID: cloudflare.F(zoneID),
		Body:   aRecord("www.example.com", "192.0.2.3"),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.ID != created.ID || updated.Content != "192.0.2.3" || updated.TTL != 1 || updated.Proxied ||
		updated.Comment != "" || !updated.CommentModifiedOn.IsZero() {
		t.Fatalf("updated record = %+v", updated)
	}
	if !strings.Contains(updated.JSON.RawJSON(), `"comment":null`) || !strings.Contains(updated.JSON.RawJSON(), `"tags":[]`) {
		t.Errorf("a record without comment and tags should say so explicitly: %s", updated.JSON.RawJSON())
	}

	deleted, err := client.DNS.Records.Delete(ctx, created.ID, dns.RecordDeleteParams{ZoneID: cloudflare.F(zoneID)})
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if deleted.ID != created.ID {
		t.Errorf("deleted id %q, want %q", deleted.ID, created.ID)
	}
	_, err = client.DNS.Records.Get(ctx, created.ID, dns.RecordGetParams{ZoneID: cloudflare.F(zoneID)})
	requireAPIError(t, err, http.StatusNotFound, 81044)
	_, err = client.DNS.Records.Delete(ctx, created.ID, dns.RecordDeleteParams{ZoneID: cloudflare.F(zoneID)})
	requireAPIError(t, err, http.StatusNotFound, 81044)
}

func TestRecordTypesAndValidation(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	client := e.client()
	ctx := context.Background()

	aaaa := createRecord(t, client, dns.AAAARecordParam{
		Name: cloudflare.F("v6.example.com"), Type: cloudflare.F(dns.AAAARecordTypeAAAA),
		Content: cloudflare.F("2001:DB8:0:0::1"), TTL: cloudflare.F(dns.TTL(3600)),
	})
	if aaaa.Content != "2001:db8::1" {
		t.Errorf("AAAA content %q, want the canonical 2001:db8::1", aaaa.Content)
	}
	mx := createRecord(t, client, dns.MXRecordParam{
		Name: cloudflare.F("@"), Type: cloudflare.F(dns.MXRecordTypeMX),
		Content: cloudflare.F("mail.example.com."), Priority: cloudflare.F(10.0), TTL: cloudflare.F(dns.TTL(1)),
	})
	// cloudflare-go's record union has no discriminator and decodes an MX
	// response as an A record variant, so RecordResponse.Priority reads 0
	// even though the API sent it: look at the raw JSON instead.
	if mx.Name != zoneName || mx.Content != "mail.example.com" || mx.Proxiable ||
		!strings.Contains(mx.JSON.RawJSON(), `"priority":10`) {
		t.Errorf("MX record = %s", mx.JSON.RawJSON())
	}
	txt := createRecord(t, client, dns.TXTRecordParam{
		Name: cloudflare.F("_acme-challenge.example.com"), Type: cloudflare.F(dns.TXTRecordTypeTXT),
		Content: cloudflare.F(`"v=spf1 -all"`), TTL: cloudflare.F(dns.TTL(120)),
	})
	if txt.Type != dns.RecordResponseTypeTXT || txt.Content != `"v=spf1 -all"` || txt.TTL != 120 ||
		strings.Contains(txt.JSON.RawJSON(), "priority") {
		t.Errorf("TXT record = %s", txt.JSON.RawJSON())
	}

	ttl30 := aRecord("short", "192.0.2.9")
	ttl30.TTL = cloudflare.F(dns.TTL(30))
	proxiedTXT := dns.TXTRecordParam{Name: cloudflare.F("p"), Type: cloudflare.F(dns.TXTRecordTypeTXT), Content: cloudflare.F("x"), Proxied: cloudflare.F(true)}
	for _, tc := range []struct {
		name string
		body dns.RecordNewParamsBodyUnion
		code int64
	}{
		{"A with IPv6 content", aRecord("bad", "2001:db8::1"), 9005},
		{"A with a hostname", aRecord("bad", "host.example.net"), 9005},
		{"AAAA with IPv4 content", dns.AAAARecordParam{Name: cloudflare.F("bad"), Type: cloudflare.F(dns.AAAARecordTypeAAAA), Content: cloudflare.F("192.0.2.1")}, 9006},
		{"name outside the zone", aRecord("www.example.org", "192.0.2.1"), 9000},
		{"name that only ends like the zone", aRecord("badexample.com", "192.0.2.1"), 9000},
		{"TTL below 60", ttl30, 9021},
		{"proxied TXT", proxiedTXT, 9041},
		{"MX without priority", dns.MXRecordParam{Name: cloudflare.F("@"), Type: cloudflare.F(dns.MXRecordTypeMX), Content: cloudflare.F("mx.example.com")}, 1004},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: tc.body})
			requireAPIError(t, err, http.StatusBadRequest, tc.code)
		})
	}

	_, err := client.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F("00000000000000000000000000000000"), Body: aRecord("www", "192.0.2.1")})
	apiErr := requireAPIError(t, err, http.StatusNotFound, 7003)
	if !strings.Contains(apiErr.Errors[0].Message, "Could not route to /zones/00000000000000000000000000000000/dns_records") {
		t.Errorf("zone-not-found message = %q", apiErr.Errors[0].Message)
	}

	status, body := e.do(http.MethodPost, cfemu.APIPrefix+"/zones/"+zoneID+"/dns_records",
		strings.NewReader(`{"name": "www",`), http.Header{"Authorization": {"Bearer " + testenv.CloudflareToken}})
	if status != http.StatusBadRequest || !bytes.Contains(body, []byte(`"success":false`)) {
		t.Errorf("invalid JSON: status %d, body %s", status, body)
	}
}

func TestRecordConflicts(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	client := e.client()
	ctx := context.Background()
	newRecord := func(body dns.RecordNewParamsBodyUnion) error {
		_, err := client.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F(zoneID), Body: body})
		return err
	}
	cname := func(name, target string) dns.CNAMERecordParam {
		return dns.CNAMERecordParam{Name: cloudflare.F(name), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F(target)}
	}

	createRecord(t, client, aRecord("www", "192.0.2.1"))
	requireAPIError(t, newRecord(aRecord("WWW.example.com.", "192.0.2.1")), http.StatusBadRequest, 81058)
	if err := newRecord(aRecord("www", "192.0.2.2")); err != nil {
		t.Errorf("a second A record with other content is allowed: %v", err)
	}
	requireAPIError(t, newRecord(cname("www", "target.example.net")), http.StatusBadRequest, 81053)

	createRecord(t, client, cname("blog", "target.example.net"))
	requireAPIError(t, newRecord(aRecord("blog", "192.0.2.1")), http.StatusBadRequest, 81054)
	requireAPIError(t, newRecord(cname("blog", "target.example.net")), http.StatusBadRequest, 81053)

	// Editing a record into a conflict is refused too.
	other := createRecord(t, client, aRecord("other", "192.0.2.1"))
	_, err := client.DNS.Records.Edit(ctx, other.ID, dns.RecordEditParams{
		ZoneID: cloudflare.F(zoneID), Body: dns.ARecordParam{Name: cloudflare.F("www.example.com")},
	})
	requireAPIError(t, err, http.StatusBadRequest, 81058)
}

// seedFilterRecords creates a small zone and returns the record ids by name.
func seedFilterRecords(t *testing.T, client *cloudflare.Client) map[string]string {
	t.Helper()
	ids := map[string]string{}
	www := aRecord("www", "192.0.2.1")
	www.Comment = cloudflare.F("Web server")
	www.Tags = cloudflare.F([]dns.RecordTagsParam{"env:prod", "team:web"})
	ids["www"] = createRecord(t, client, www).ID
	api := aRecord("api", "192.0.2.2")
	api.Tags = cloudflare.F([]dns.RecordTagsParam{"env:staging"})
	ids["api"] = createRecord(t, client, api).ID
	ids["txt"] = createRecord(t, client, dns.TXTRecordParam{
		Name: cloudflare.F("www"), Type: cloudflare.F(dns.TXTRecordTypeTXT), Content: cloudflare.F("hello world"),
		Comment: cloudflare.F("verification"),
	}).ID
	ids["blog"] = createRecord(t, client, dns.CNAMERecordParam{
		Name: cloudflare.F("blog"), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F("www.example.com"),
	}).ID
	return ids
}

func TestListFilters(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	client := e.client()
	ids := seedFilterRecords(t, client)

	for _, tc := range []struct {
		name   string
		params dns.RecordListParams
		opts   []option.RequestOption
		want   []string
	}{
		{name: "no filter, creation order", want: []string{"www", "api", "txt", "blog"}},
		{name: "name.exact", params: dns.RecordListParams{Name: cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F("WWW.example.com")})}, want: []string{"www", "txt"}},
		{name: "plain name", opts: []option.RequestOption{option.WithQuery("name", "www.example.com")}, want: []string{"www", "txt"}},
		{name: "name.startswith", params: dns.RecordListParams{Name: cloudflare.F(dns.RecordListParamsName{Startswith: cloudflare.F("b")})}, want: []string{"blog"}},
		{name: "name.contains and type", params: dns.RecordListParams{
			Name: cloudflare.F(dns.RecordListParamsName{Contains: cloudflare.F("ww")}), Type: cloudflare.F(dns.RecordListParamsTypeTXT),
		}, want: []string{"txt"}},
		{name: "type", params: dns.RecordListParams{Type: cloudflare.F(dns.RecordListParamsTypeA)}, want: []string{"www", "api"}},
		{name: "content.exact", params: dns.RecordListParams{Content: cloudflare.F(dns.RecordListParamsContent{Exact: cloudflare.F("192.0.2.2")})}, want: []string{"api"}},
		{name: "plain content", opts: []option.RequestOption{option.WithQuery("content", "Hello World")}, want: []string{"txt"}},
		{name: "comment.exact", params: dns.RecordListParams{Comment: cloudflare.F(dns.RecordListParamsComment{Exact: cloudflare.F("web server")})}, want: []string{"www"}},
		{name: "comment.present", params: dns.RecordListParams{Comment: cloudflare.F(dns.RecordListParamsComment{Present: cloudflare.F("")})}, want: []string{"www", "txt"}},
		{name: "tag.exact", params: dns.RecordListParams{Tag: cloudflare.F(dns.RecordListParamsTag{Exact: cloudflare.F("env:prod")})}, want: []string{"www"}},
		{name: "tag.present", params: dns.RecordListParams{Tag: cloudflare.F(dns.RecordListParamsTag{Present: cloudflare.F("env")})}, want: []string{"www", "api"}},
		{name: "tag.absent", params: dns.RecordListParams{Tag: cloudflare.F(dns.RecordListParamsTag{Absent: cloudflare.F("env")})}, want: []string{"txt", "blog"}},
		{name: "plain tag name:value", opts: []option.RequestOption{option.WithQuery("tag", "env:staging")}, want: []string{"api"}},
		{name: "plain tag name", opts: []option.RequestOption{option.WithQuery("tag", "team")}, want: []string{"www"}},
		{name: "match any", params: dns.RecordListParams{
			Match:   cloudflare.F(dns.RecordListParamsMatchAny),
			Type:    cloudflare.F(dns.RecordListParamsTypeCNAME),
			Content: cloudflare.F(dns.RecordListParamsContent{Exact: cloudflare.F("192.0.2.2")}),
		}, want: []string{"api", "blog"}},
		{name: "no match", params: dns.RecordListParams{Name: cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F("nope.example.com")})}, want: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.params.ZoneID = cloudflare.F(zoneID)
			page, err := client.DNS.Records.List(context.Background(), tc.params, tc.opts...)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			want := make([]string, len(tc.want))
			for i, name := range tc.want {
				want[i] = ids[name]
			}
			if got := recordIDs(page.Result); !slices.Equal(got, want) {
				t.Errorf("got ids %v, want %v (%v)", got, want, tc.want)
			}
		})
	}
}

func recordIDs(records []dns.RecordResponse) []string {
	ids := []string{}
	for _, r := range records {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestListPaging(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	client := e.client()
	ctx := context.Background()
	var created []string
	for i := range 7 {
		created = append(created, createRecord(t, client, aRecord("host", fmt.Sprintf("192.0.2.%d", i+1))).ID)
	}

	type info struct {
		Page, PerPage, Count, TotalCount, TotalPages int
	}
	list := func(page int) ([]string, info) {
		t.Helper()
		res, err := client.DNS.Records.List(ctx, dns.RecordListParams{
			ZoneID: cloudflare.F(zoneID), Page: cloudflare.F(float64(page)), PerPage: cloudflare.F(3.0),
		})
		if err != nil {
			t.Fatalf("list page %d: %v", page, err)
		}
		var raw struct {
			ResultInfo struct {
				Page       int `json:"page"`
				PerPage    int `json:"per_page"`
				Count      int `json:"count"`
				TotalCount int `json:"total_count"`
				TotalPages int `json:"total_pages"`
			} `json:"result_info"`
		}
		if err := json.Unmarshal([]byte(res.JSON.RawJSON()), &raw); err != nil {
			t.Fatalf("decoding result_info: %v", err)
		}
		ri := raw.ResultInfo
		return recordIDs(res.Result), info{ri.Page, ri.PerPage, ri.Count, ri.TotalCount, ri.TotalPages}
	}

	for _, tc := range []struct {
		page int
		want []string
	}{{1, created[0:3]}, {2, created[3:6]}, {3, created[6:7]}, {4, []string{}}} {
		ids, ri := list(tc.page)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("page %d: ids %v, want %v", tc.page, ids, tc.want)
		}
		wantInfo := info{Page: tc.page, PerPage: 3, Count: len(tc.want), TotalCount: 7, TotalPages: 3}
		if ri != wantInfo {
			t.Errorf("page %d: result_info %+v, want %+v", tc.page, ri, wantInfo)
		}
	}

	// The auto-pager walks every page and stops at the empty one.
	pager := client.DNS.Records.ListAutoPaging(ctx, dns.RecordListParams{ZoneID: cloudflare.F(zoneID), PerPage: cloudflare.F(3.0)})
	var all []string
	for pager.Next() {
		all = append(all, pager.Current().ID)
	}
	if err := pager.Err(); err != nil {
		t.Fatalf("auto-paging: %v", err)
	}
	if !slices.Equal(all, created) {
		t.Errorf("auto-paged ids %v, want %v", all, created)
	}
}

func TestBatch(t *testing.T) {
	e := startEmulator(t, cfemu.Options{})
	client := e.client()
	ctx := context.Background()
	doomed := createRecord(t, client, aRecord("doomed", "192.0.2.1"))
	patched := createRecord(t, client, aRecord("patched", "192.0.2.2"))
	replaced := createRecord(t, client, aRecord("replaced", "192.0.2.3"))

	res, err := client.DNS.Records.Batch(ctx, dns.RecordBatchParams{
		ZoneID:  cloudflare.F(zoneID),
		Deletes: cloudflare.F([]dns.RecordBatchParamsDelete{{ID: cloudflare.F(doomed.ID)}}),
		Patches: cloudflare.F([]dns.BatchPatchUnionParam{dns.BatchPatchARecordParam{
			ID: cloudflare.F(patched.ID), ARecordParam: dns.ARecordParam{Comment: cloudflare.F("patched")},
		}}),
		Puts: cloudflare.F([]dns.BatchPutUnionParam{dns.BatchPutARecordParam{
			ID: cloudflare.F(replaced.ID), ARecordParam: aRecord("replaced", "192.0.2.33"),
		}}),
		// The post reuses the name and content of the record deleted in the same batch.
		Posts: cloudflare.F([]dns.RecordBatchParamsPostUnion{aRecord("doomed", "192.0.2.1")}),
	})
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	if len(res.Deletes) != 1 || res.Deletes[0].ID != doomed.ID ||
		len(res.Patches) != 1 || res.Patches[0].Comment != "patched" || res.Patches[0].Content != "192.0.2.2" ||
		len(res.Puts) != 1 || res.Puts[0].Content != "192.0.2.33" ||
		len(res.Posts) != 1 || res.Posts[0].Name != "doomed.example.com" || res.Posts[0].ID == doomed.ID {
		t.Fatalf("batch result = %s", res.JSON.RawJSON())
	}

	// One bad operation anywhere and nothing changes.
	before := e.stateDump()
	_, err = client.DNS.Records.Batch(ctx, dns.RecordBatchParams{
		ZoneID:  cloudflare.F(zoneID),
		Deletes: cloudflare.F([]dns.RecordBatchParamsDelete{{ID: cloudflare.F(patched.ID)}}),
		Posts: cloudflare.F([]dns.RecordBatchParamsPostUnion{
			aRecord("fine", "192.0.2.50"),
			aRecord("broken", "not-an-ip"),
		}),
	})
	requireAPIError(t, err, http.StatusBadRequest, 9005)
	if after := e.stateDump(); !bytes.Equal(before, after) {
		t.Errorf("a failed batch changed the state:\nbefore %s\nafter %s", before, after)
	}

	_, err = client.DNS.Records.Batch(ctx, dns.RecordBatchParams{
		ZoneID:  cloudflare.F(zoneID),
		Deletes: cloudflare.F([]dns.RecordBatchParamsDelete{{ID: cloudflare.F("ffffffffffffffffffffffffffffffff")}}),
	})
	requireAPIError(t, err, http.StatusNotFound, 81044)
	if after := e.stateDump(); !bytes.Equal(before, after) {
		t.Errorf("a failed batch changed the state")
	}
}
