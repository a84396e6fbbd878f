package routing

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
)

// Cloudflare error codes the DNS code reacts to.
const (
	codeIdenticalRecord = 81058 // "An identical record already exists."
	codeHostTaken       = 81053 // "An A, AAAA, or CNAME record with that host already exists."
)

// findRecord reads the records named p.Hostname and returns the one Plan may
// change: exactly one CNAME whose content is the old target or that carries
// our tag. Anything else is refused before any change is made.
func (r *Router) findRecord(ctx context.Context, op string, p Plan, oldTarget string) (Record, error) {
	page, err := r.client.DNS.Records.List(ctx, dns.RecordListParams{
		ZoneID:  cloudflare.F(p.ZoneID),
		Name:    cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F(p.Hostname)}),
		PerPage: cloudflare.F(100.0), // more than one is refused anyway
	})
	if isAPIStatus(err, http.StatusNotFound) {
		return Record{}, &BadInputError{Op: op, Reason: fmt.Sprintf("zone %s not found (cloudflare.zone_id)", p.ZoneID), Err: err}
	}
	if err != nil {
		return Record{}, apiError(op+": list DNS records", err)
	}
	found := page.Result
	switch {
	case len(found) == 0:
		return Record{}, &BadInputError{Op: op, Reason: fmt.Sprintf(
			"zone %s has no DNS record named %s; there is nothing to switch", p.ZoneID, p.Hostname)}
	case len(found) > 1:
		kinds := make([]string, len(found))
		for i, rec := range found {
			kinds[i] = fmt.Sprintf("%s %s (%s)", rec.Type, rec.Content, rec.ID)
		}
		return Record{}, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"%d records have this name (%s); migrawave switches exactly one CNAME", len(found), strings.Join(kinds, ", "))}
	}
	rec := toRecord(found[0])
	if rec.Type != "CNAME" {
		return Record{}, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"it is a %s record (%s, id %s); migrawave only switches CNAME records", rec.Type, rec.Content, rec.ID)}
	}
	if !sameHost(rec.Content, oldTarget) && !slices.Contains(rec.Tags, p.OwnerTag) {
		return Record{}, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"its content %s is not the old target %s and it has no %q tag (record %s)", rec.Content, oldTarget, p.OwnerTag, rec.ID)}
	}
	return rec, nil
}

// pointRecord makes the record's content p.Target and adds our tag, keeping
// proxied, ttl, comment and the other tags as they are. It reports whether it
// wrote.
func (r *Router) pointRecord(ctx context.Context, p Plan) (bool, error) {
	op := "switch " + p.Hostname
	cur, err := r.currentRecord(ctx, op, p)
	if err != nil {
		return false, err
	}
	switched := func(rec Record) bool {
		return sameHost(rec.Content, p.Target) && slices.Contains(rec.Tags, p.OwnerTag)
	}
	if switched(cur) {
		return false, nil // a retry after success, or after a lost response
	}
	if err := checkStillOurs(p, cur); err != nil {
		return false, err
	}
	tags := slices.Clone(cur.Tags)
	if !slices.Contains(tags, p.OwnerTag) {
		tags = append(tags, p.OwnerTag)
	}
	// PATCH leaves the comment alone; proxied and ttl are sent as they are
	// so the request states the whole intended record.
	body := dns.CNAMERecordParam{
		Name:    cloudflare.F(cur.Name),
		Type:    cloudflare.F(dns.CNAMERecordTypeCNAME),
		Content: cloudflare.F(p.Target),
		Proxied: cloudflare.F(cur.Proxied),
		TTL:     cloudflare.F(dns.TTL(cur.TTL)),
		Tags:    cloudflare.F(tags),
	}
	return true, r.editRecord(ctx, op, p, body, switched)
}

// restoreRecord puts back the record exactly as the Plan recorded it. It
// reports whether it wrote.
func (r *Router) restoreRecord(ctx context.Context, p Plan) (bool, error) {
	op := "roll back " + p.Hostname
	cur, err := r.currentRecord(ctx, op, p)
	if err != nil {
		return false, err
	}
	restored := func(rec Record) bool { return sameRecord(rec, p.Record) }
	if restored(cur) {
		return false, nil
	}
	if err := checkStillOurs(p, cur); err != nil {
		return false, err
	}
	want := p.Record
	body := dns.CNAMERecordParam{
		Name:    cloudflare.F(want.Name),
		Type:    cloudflare.F(dns.CNAMERecordTypeCNAME),
		Content: cloudflare.F(want.Content),
		Proxied: cloudflare.F(want.Proxied),
		TTL:     cloudflare.F(dns.TTL(want.TTL)),
		Comment: cloudflare.F(want.Comment),
		Tags:    cloudflare.F(append([]string{}, want.Tags...)), // [] clears tags we added; null would not
	}
	return true, r.editRecord(ctx, op, p, body, restored)
}

// currentRecord reads the planned record by id and checks it is still the
// tenant's CNAME.
func (r *Router) currentRecord(ctx context.Context, op string, p Plan) (Record, error) {
	res, err := r.client.DNS.Records.Get(ctx, p.Record.ID, dns.RecordGetParams{ZoneID: cloudflare.F(p.ZoneID)})
	if isAPIStatus(err, http.StatusNotFound) {
		return Record{}, &BadInputError{Op: op, Reason: fmt.Sprintf(
			"DNS record %s (%s) no longer exists in zone %s; it was deleted since the plan and is not recreated", p.Record.ID, p.Hostname, p.ZoneID), Err: err}
	}
	if err != nil {
		return Record{}, apiError(op+": read DNS record "+p.Record.ID, err)
	}
	cur := toRecord(*res)
	if !sameHost(cur.Name, p.Hostname) || cur.Type != "CNAME" {
		return Record{}, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"record %s is now a %s record named %s", cur.ID, cur.Type, cur.Name)}
	}
	return cur, nil
}

// checkStillOurs refuses to write a record that someone else has taken over
// since the plan: ours means the content is what we planned from or switch
// to, or the record carries our tag.
func checkStillOurs(p Plan, cur Record) error {
	if sameHost(cur.Content, p.Record.Content) || sameHost(cur.Content, p.Target) || slices.Contains(cur.Tags, p.OwnerTag) {
		return nil
	}
	return &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
		"record %s changed since the plan: its content is %s (planned from %s, switching to %s) and it has no %q tag",
		cur.ID, cur.Content, p.Record.Content, p.Target, p.OwnerTag)}
}

// editRecord PATCHes the record and checks the answer with done. An
// "identical record already exists" answer is success if the record, read
// again, is done: an earlier attempt may have made the change already.
func (r *Router) editRecord(ctx context.Context, op string, p Plan, body dns.CNAMERecordParam, done func(Record) bool) error {
	res, err := r.client.DNS.Records.Edit(ctx, p.Record.ID, dns.RecordEditParams{ZoneID: cloudflare.F(p.ZoneID), Body: body})
	if err != nil && (hasAPICode(err, codeIdenticalRecord) || hasAPICode(err, codeHostTaken)) {
		cur, readErr := r.currentRecord(ctx, op, p)
		if readErr == nil && done(cur) {
			return nil
		}
	}
	if err != nil {
		return apiError(op+": edit DNS record "+p.Record.ID, err)
	}
	if got := toRecord(*res); !done(got) {
		return &TransientError{Op: op, Err: fmt.Errorf(
			"the API answered the edit of record %s with content %s, tags %v", got.ID, got.Content, got.Tags)}
	}
	return nil
}

// sameRecord compares the fields Rollback restores. Tag order is kept as
// recorded, so it counts.
func sameRecord(a, b Record) bool {
	return sameHost(a.Content, b.Content) && a.Proxied == b.Proxied && a.TTL == b.TTL &&
		a.Comment == b.Comment && slices.Equal(a.Tags, b.Tags)
}

func toRecord(rec dns.RecordResponse) Record {
	return Record{
		ID:      rec.ID,
		Name:    rec.Name,
		Type:    string(rec.Type),
		Content: rec.Content,
		Proxied: rec.Proxied,
		TTL:     int(rec.TTL),
		Comment: rec.Comment,
		Tags:    recordTags(rec.Tags),
	}
}

// recordTags reads a record's tags, which the client decodes as []any (or
// []string); never nil, so a Plan always shows "tags": [].
func recordTags(v any) []string {
	tags := []string{}
	switch v := v.(type) {
	case []string:
		tags = append(tags, v...)
	case []any:
		for _, t := range v {
			if s, ok := t.(string); ok {
				tags = append(tags, s)
			}
		}
	}
	return tags
}
