package cfemu

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// recordQuery is a parsed GET /zones/{zone_id}/dns_records query. The client
// encodes filter objects with dots (name.exact=..., tag.present=...); the
// plain forms (name=..., content=..., tag=name:value) are the older spelling
// the real API still accepts, so both are understood.
type recordQuery struct {
	// conds are combined with AND, or OR when match=any.
	conds    []func(Record) bool
	matchAny bool
	// tagConds form a single condition, combined per tag_match.
	tagConds []func(Record) bool
	tagAny   bool

	order      string
	descending bool
	page       int
	perPage    int
}

const (
	defaultPerPage = 100
	maxPerPage     = 5_000_000
)

// textFilters maps query keys to how the value is compared. All text filters
// of the real API are case-insensitive.
var textFilters = map[string]func(have, want string) bool{
	"":            strings.EqualFold,
	".exact":      strings.EqualFold,
	".contains":   func(have, want string) bool { return strings.Contains(strings.ToLower(have), strings.ToLower(want)) },
	".startswith": func(have, want string) bool { return strings.HasPrefix(strings.ToLower(have), strings.ToLower(want)) },
	".endswith":   func(have, want string) bool { return strings.HasSuffix(strings.ToLower(have), strings.ToLower(want)) },
}

func parseRecordQuery(q url.Values) (recordQuery, error) {
	rq := recordQuery{page: 1, perPage: defaultPerPage}
	var err error
	if rq.matchAny, err = parseMatch(q, "match"); err != nil {
		return rq, err
	}
	if rq.tagAny, err = parseMatch(q, "tag_match"); err != nil {
		return rq, err
	}

	fields := map[string]func(Record) string{
		"name":    func(r Record) string { return r.Name },
		"content": func(r Record) string { return r.Content },
		"comment": func(r Record) string { return commentText(r.Comment) },
	}
	for field, get := range fields {
		for suffix, compare := range textFilters {
			for _, want := range q[field+suffix] {
				if field == "name" {
					want = strings.TrimSuffix(want, ".")
				}
				rq.conds = append(rq.conds, func(r Record) bool { return compare(get(r), want) })
			}
		}
	}
	if q.Has("comment.present") {
		rq.conds = append(rq.conds, func(r Record) bool { return r.Comment != nil })
	}
	if q.Has("comment.absent") {
		rq.conds = append(rq.conds, func(r Record) bool { return r.Comment == nil })
	}
	for _, want := range q["type"] {
		rq.conds = append(rq.conds, func(r Record) bool { return r.Type == strings.ToUpper(want) })
	}
	for _, raw := range q["proxied"] {
		want, err := strconv.ParseBool(raw)
		if err != nil {
			return rq, errDNSValidation(fmt.Sprintf("proxied must be true or false, got %q.", raw))
		}
		rq.conds = append(rq.conds, func(r Record) bool { return r.Proxied == want })
	}
	for _, want := range q["search"] {
		rq.conds = append(rq.conds, func(r Record) bool {
			return textFilters[".contains"](r.Name, want) || textFilters[".contains"](r.Content, want) ||
				textFilters[".contains"](commentText(r.Comment), want)
		})
	}
	rq.tagConds = parseTagFilters(q)

	rq.order = q.Get("order")
	switch rq.order {
	case "", "type", "name", "content", "ttl", "proxied":
	default:
		return rq, errDNSValidation(fmt.Sprintf("Cannot order by %q.", rq.order))
	}
	rq.descending = q.Get("direction") == "desc"

	if rq.page, err = parsePositive(q, "page", 1, 1<<31); err != nil {
		return rq, err
	}
	if rq.perPage, err = parsePositive(q, "per_page", defaultPerPage, maxPerPage); err != nil {
		return rq, err
	}
	return rq, nil
}

// parseTagFilters understands tag=name, tag=name:value and the tag.<op> forms.
// A tag is stored as "name:value"; names compare case-insensitively.
func parseTagFilters(q url.Values) []func(Record) bool {
	var conds []func(Record) bool
	hasTag := func(r Record, name string, valueOK func(string) bool) bool {
		for _, tag := range r.Tags {
			tagName, tagValue, _ := strings.Cut(tag, ":")
			if strings.EqualFold(tagName, name) && valueOK(tagValue) {
				return true
			}
		}
		return false
	}
	anyValue := func(string) bool { return true }

	for _, want := range q["tag"] {
		name, value, withValue := strings.Cut(want, ":")
		conds = append(conds, func(r Record) bool {
			if !withValue {
				return hasTag(r, name, anyValue)
			}
			return hasTag(r, name, func(v string) bool { return strings.EqualFold(v, value) })
		})
	}
	for _, name := range q["tag.present"] {
		conds = append(conds, func(r Record) bool { return hasTag(r, name, anyValue) })
	}
	for _, name := range q["tag.absent"] {
		conds = append(conds, func(r Record) bool { return !hasTag(r, name, anyValue) })
	}
	for suffix, compare := range textFilters {
		if suffix == "" {
			continue // plain tag= is handled above: a bare name means "present"
		}
		for _, want := range q["tag"+suffix] {
			name, value, _ := strings.Cut(want, ":")
			conds = append(conds, func(r Record) bool {
				return hasTag(r, name, func(v string) bool { return compare(v, value) })
			})
		}
	}
	return conds
}

func parseMatch(q url.Values, key string) (matchAny bool, err error) {
	switch q.Get(key) {
	case "", "all":
		return false, nil
	case "any":
		return true, nil
	}
	return false, errDNSValidation(fmt.Sprintf("%s must be \"all\" or \"any\", got %q.", key, q.Get(key)))
}

// parsePositive reads an integer query parameter. The client sends numbers
// formatted from float64, which for whole numbers is plain digits.
func parsePositive(q url.Values, key string, def, max int) (int, error) {
	raw := q.Get(key)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, errDNSValidation(fmt.Sprintf("%s must be an integer between 1 and %d, got %q.", key, max, raw))
	}
	return n, nil
}

func (rq recordQuery) matches(r Record) bool {
	conds := rq.conds
	if len(rq.tagConds) > 0 {
		conds = append(slices.Clip(conds), func(r Record) bool { return combine(rq.tagConds, rq.tagAny, r) })
	}
	return combine(conds, rq.matchAny, r)
}

// combine reports whether r satisfies all (or, with matchAny, at least one)
// of conds. No conditions means no filtering.
func combine(conds []func(Record) bool, matchAny bool, r Record) bool {
	if len(conds) == 0 {
		return true
	}
	for _, cond := range conds {
		if cond(r) == matchAny {
			return matchAny
		}
	}
	return !matchAny
}

// apply filters, orders and pages records, which are in creation order.
func (rq recordQuery) apply(records []Record) listPage {
	matched := []Record{}
	for _, r := range records {
		if rq.matches(r) {
			matched = append(matched, r)
		}
	}
	if rq.order != "" {
		slices.SortStableFunc(matched, func(a, b Record) int {
			c := compareBy(rq.order, a, b)
			if rq.descending {
				return -c
			}
			return c
		})
	}

	total := len(matched)
	start := min((rq.page-1)*rq.perPage, total)
	end := min(start+rq.perPage, total)
	items := matched[start:end]
	return listPage{items: items, info: resultInfo{
		Page:       rq.page,
		PerPage:    rq.perPage,
		Count:      len(items),
		TotalCount: total,
		TotalPages: (total + rq.perPage - 1) / rq.perPage,
	}}
}

func compareBy(field string, a, b Record) int {
	switch field {
	case "type":
		return cmp.Compare(a.Type, b.Type)
	case "name":
		return cmp.Compare(a.Name, b.Name)
	case "content":
		return cmp.Compare(a.Content, b.Content)
	case "ttl":
		return cmp.Compare(a.TTL, b.TTL)
	case "proxied":
		return cmp.Compare(boolRank(a.Proxied), boolRank(b.Proxied))
	}
	return 0
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
