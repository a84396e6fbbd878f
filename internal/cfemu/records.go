package cfemu

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Record is a DNS record in the shape the real API returns it (and the shape
// dns.RecordResponse decodes). The API no longer returns zone_id/zone_name,
// so neither does the emulator; the owning zone is implied by the state tree.
type Record struct {
	ID                string         `json:"id"`
	Name              string         `json:"name"`
	Type              string         `json:"type"`
	Content           string         `json:"content"`
	Priority          *int           `json:"priority,omitempty"`
	Data              map[string]any `json:"data,omitempty"`
	Proxiable         bool           `json:"proxiable"`
	Proxied           bool           `json:"proxied"`
	TTL               int            `json:"ttl"`
	Settings          map[string]any `json:"settings"`
	Meta              map[string]any `json:"meta"`
	Comment           *string        `json:"comment"`
	Tags              []string       `json:"tags"`
	CreatedOn         time.Time      `json:"created_on"`
	ModifiedOn        time.Time      `json:"modified_on"`
	CommentModifiedOn *time.Time     `json:"comment_modified_on,omitempty"`
	TagsModifiedOn    *time.Time     `json:"tags_modified_on,omitempty"`
}

// recordInput is a record as clients send it. Pointers tell "absent" from
// "zero", which PATCH needs. ID is only used by batch patches and puts.
type recordInput struct {
	ID       string         `json:"id"`
	Name     *string        `json:"name"`
	Type     *string        `json:"type"`
	Content  *string        `json:"content"`
	TTL      *float64       `json:"ttl"`
	Proxied  *bool          `json:"proxied"`
	Priority *float64       `json:"priority"`
	Data     map[string]any `json:"data"`
	Settings map[string]any `json:"settings"`
	Comment  *string        `json:"comment"`
	Tags     *[]string      `json:"tags"`
}

// knownTypes are the record types the real API accepts (dns.RecordListParamsType).
var knownTypes = map[string]bool{
	"A": true, "AAAA": true, "CAA": true, "CERT": true, "CNAME": true, "DNSKEY": true,
	"DS": true, "HTTPS": true, "LOC": true, "MX": true, "NAPTR": true, "NS": true,
	"OPENPGPKEY": true, "PTR": true, "SMIMEA": true, "SRV": true, "SSHFP": true,
	"SVCB": true, "TLSA": true, "TXT": true, "URI": true,
}

// proxiableTypes are the only types Cloudflare can put its proxy in front of.
var proxiableTypes = map[string]bool{"A": true, "AAAA": true, "CNAME": true}

// typesWithPriority are the types whose priority field the API keeps.
var typesWithPriority = map[string]bool{"MX": true, "SRV": true, "URI": true}

// buildRecord applies in to base (the existing record for PATCH, a blank one
// for POST and PUT) and returns the validated, normalised result. The caller
// still has to check conflicts with the other records of the zone.
func buildRecord(zone *Zone, base Record, in recordInput, now time.Time) (Record, error) {
	rec := base
	if in.Type != nil {
		rec.Type = strings.ToUpper(strings.TrimSpace(*in.Type))
	}
	if in.Name != nil {
		rec.Name = *in.Name
	}
	if in.Content != nil {
		rec.Content = *in.Content
	}
	if in.TTL != nil {
		if *in.TTL != math.Trunc(*in.TTL) {
			return Record{}, errInvalidTTL()
		}
		rec.TTL = int(*in.TTL)
	}
	if in.Proxied != nil {
		rec.Proxied = *in.Proxied
	}
	if in.Priority != nil {
		p := *in.Priority
		if p != math.Trunc(p) || p < 0 || p > 65535 {
			return Record{}, errDNSValidation("priority must be an integer between 0 and 65535.")
		}
		priority := int(p)
		rec.Priority = &priority
	}
	if in.Data != nil {
		rec.Data = in.Data
	}
	if in.Settings != nil {
		rec.Settings = in.Settings
	}
	if in.Comment != nil && commentText(rec.Comment) != *in.Comment {
		rec.Comment = nil
		if *in.Comment != "" {
			comment := *in.Comment
			rec.Comment = &comment
		}
		rec.CommentModifiedOn = timeIfSet(rec.Comment != nil, now)
	}
	if in.Tags != nil && !slices.Equal(rec.Tags, *in.Tags) {
		rec.Tags = append([]string{}, (*in.Tags)...)
		rec.TagsModifiedOn = timeIfSet(len(rec.Tags) > 0, now)
	}

	if err := normalizeRecord(zone, &rec); err != nil {
		return Record{}, err
	}
	rec.ModifiedOn = now
	if rec.CreatedOn.IsZero() {
		rec.CreatedOn = now
	}
	return rec, nil
}

// normalizeRecord validates rec and rewrites it into the canonical form the
// real API stores: fully qualified lower-case names, canonical addresses,
// automatic TTL by default, and empty objects rather than nulls.
func normalizeRecord(zone *Zone, rec *Record) error {
	if !knownTypes[rec.Type] {
		return errDNSValidation(fmt.Sprintf("Invalid DNS record type %q.", rec.Type))
	}
	name, err := qualifyName(rec.Name, zone.Name)
	if err != nil {
		return err
	}
	rec.Name = name

	switch rec.Type {
	case "A":
		addr, err := netip.ParseAddr(strings.TrimSpace(rec.Content))
		if err != nil || !addr.Is4() {
			return errInvalidContent("A")
		}
		rec.Content = addr.String()
	case "AAAA":
		addr, err := netip.ParseAddr(strings.TrimSpace(rec.Content))
		if err != nil || !addr.Is6() || addr.Is4In6() {
			return errInvalidContent("AAAA")
		}
		rec.Content = addr.String()
	case "CNAME", "MX", "NS", "PTR":
		target := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(rec.Content), "."))
		if !isHostname(target, false) {
			return errInvalidContent(rec.Type)
		}
		rec.Content = target
	case "TXT":
		if rec.Content == "" {
			return errInvalidContent("TXT")
		}
		if len(rec.Content) > 2048 {
			return errDNSValidation("Content for TXT record must be at most 2048 characters.")
		}
	default:
		// The remaining types carry structured data the emulator stores as given.
		if rec.Content == "" && len(rec.Data) == 0 {
			return errInvalidContent(rec.Type)
		}
	}

	if rec.Type == "MX" && rec.Priority == nil {
		return errDNSValidation("Priority must be set for MX record.")
	}
	if !typesWithPriority[rec.Type] {
		rec.Priority = nil
	}

	if rec.TTL == 0 {
		rec.TTL = 1 // omitted TTL means automatic
	}
	if rec.TTL != 1 && (rec.TTL < 60 || rec.TTL > 86400) {
		return errInvalidTTL()
	}

	rec.Proxiable = proxiableTypes[rec.Type]
	if rec.Proxied && !rec.Proxiable {
		return errNotProxiable()
	}
	if rec.Settings == nil {
		rec.Settings = map[string]any{}
	}
	if rec.Meta == nil {
		rec.Meta = map[string]any{}
	}
	if rec.Tags == nil {
		rec.Tags = []string{}
	}
	for _, tag := range rec.Tags {
		if strings.TrimSpace(tag) == "" {
			return errDNSValidation("Tags must not be empty.")
		}
	}
	return nil
}

// qualifyName turns a record name into the fully qualified form the API
// returns. "@" and single labels are relative to the zone, as in the real API.
// Unlike the real API, which silently appends the zone to any name that does
// not end in it (creating "www.other.com.example.com"), the emulator rejects
// multi-label names outside the zone: that is almost always a caller bug.
func qualifyName(name, zoneName string) (string, error) {
	name = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
	zoneName = strings.ToLower(zoneName)
	switch {
	case name == "":
		return "", errInvalidName()
	case name == "@":
		name = zoneName
	case !strings.Contains(name, "."):
		name = name + "." + zoneName
	}
	if name != zoneName && !strings.HasSuffix(name, "."+zoneName) {
		return "", errInvalidName()
	}
	if !isHostname(name, true) {
		return "", errInvalidName()
	}
	return name, nil
}

// isHostname reports whether name is a syntactically valid DNS name. Record
// names may use underscores (_acme-challenge) and a leading wildcard label.
func isHostname(name string, recordName bool) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	for i, label := range labels {
		if recordName && i == 0 && label == "*" {
			continue
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// checkConflicts enforces the real API's uniqueness rules for rec against the
// other records of its zone. CNAME conflicts are checked first because the
// real API reports a duplicate CNAME as a CNAME conflict, not as a duplicate.
func checkConflicts(zone *Zone, rec Record) error {
	for _, other := range zone.Records {
		if other.ID == rec.ID || other.Name != rec.Name {
			continue
		}
		if rec.Type == "CNAME" {
			return errHostTaken()
		}
		if other.Type == "CNAME" {
			return errHostHasCNAME()
		}
	}
	for _, other := range zone.Records {
		if other.ID != rec.ID && other.Name == rec.Name && other.Type == rec.Type &&
			strings.EqualFold(other.Content, rec.Content) {
			return errIdenticalRecord()
		}
	}
	return nil
}

func recordIndex(zone *Zone, id string) (int, error) {
	for i := range zone.Records {
		if zone.Records[i].ID == id {
			return i, nil
		}
	}
	return -1, errRecordNotFound()
}

// newRecordID returns an identifier shaped like the real ones: 32 hex digits.
func newRecordID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func commentText(c *string) string {
	if c == nil {
		return ""
	}
	return *c
}

func timeIfSet(set bool, t time.Time) *time.Time {
	if !set {
		return nil
	}
	return &t
}
