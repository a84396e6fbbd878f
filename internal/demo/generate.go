package demo

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// baseTime is "now" in the demo data set. Every generated time is derived
// from it and the seed, never from the clock, so a re-seed is identical.
var baseTime = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC).UnixMicro()

const (
	microsPerSecond = int64(1_000_000)
	microsPerHour   = 3600 * microsPerSecond
	microsPerDay    = 24 * microsPerHour
)

// Zero dates, as legacy MySQL applications wrote them for "unknown".
const (
	zeroDate     = "0000-00-00"
	zeroDateTime = "0000-00-00 00:00:00"
)

// sink receives generated rows, one table at a time in Tables order, except
// that each invoice's lines follow it directly. It must copy row: the slice
// is reused.
type sink interface {
	add(table string, row []any) error
}

// columns lists, per table, the columns the generators fill, in the order of
// their values. tenantColumnToken stands for the configured tenant column.
var columns = map[string][]string{
	tSettings:     {"name", "value", "value_type", "description", "updated_at"},
	tCompanies:    {"id", tenantColumnToken, "name", "legal_name", "country", "currency", "vat_id", "industry", "employee_count", "founded_year", "is_customer", "credit_limit", "labels", "website", "metadata", "created_at", "updated_at"},
	tContacts:     {"id", tenantColumnToken, "company_id", "first_name", "last_name", "email", "phone", "job_title", "locale", "birthday", "newsletter", "lead_score", "notes", "last_login_ip", "last_seen_at", "created_at", "updated_at"},
	tDeals:        {"id", tenantColumnToken, "company_id", "contact_id", "title", "stage", "amount", "currency", "probability", "expected_close", "closed_at", "created_at", "updated_at"},
	tInvoices:     {"id", tenantColumnToken, "company_id", "deal_id", "number", "status", "issue_date", "due_date", "fiscal_year", "currency", "subtotal", "tax_total", "total", "notes", "sent_at", "created_at", "updated_at"},
	tInvoiceLines: {"invoice_id", "position", "sku", "description", "quantity", "unit", "unit_price", "discount_pct", "tax_rate", "line_total", "time_spent"},
	tPayments:     {"id", tenantColumnToken, "invoice_id", "amount", "currency", "method", "reference", "is_refund", "received_on", "paid_at", "payer_ip", "created_at"},
	tDocuments:    {"id", tenantColumnToken, "company_id", "invoice_id", "uploaded_by", "filename", "mime_type", "size_bytes", "sha256", "content", "created_at", "updated_at"},
	tActivityLog:  {"id", tenantColumnToken, "actor_contact_id", "entity_type", "entity_id", "action", "details", "ip", "user_agent", "occurred_at"},
	tInbox:        {tenantColumnToken, "message_id", "processed_at"},
}

// generator produces the rows of every table for a list of tenants.
//
// Rows of all tenants are interleaved by creation time and numbered in that
// order, as in a real shared database where customers sign up and work at
// the same time: a tenant's rows are spread over the whole table, not
// stored in one contiguous id range.
type generator struct {
	seed    int64
	tenants []*tenant
	out     sink
	row     []any // reused for every row
	nextID  map[string]uint64

	blobBytes int64 // documents' contents generated so far
}

func newGenerator(seed int64, tenants []*tenant, out sink) *generator {
	return &generator{seed: seed, tenants: tenants, out: out, nextID: map[string]uint64{}}
}

// run generates every table. done is called after each table (with its
// children) has been handed to the sink.
func (g *generator) run(ctx context.Context, done func(table string) error) error {
	steps := []struct {
		table string
		fn    func(context.Context) error
	}{
		{tSettings, g.settings},
		{tCompanies, g.companies},
		{tContacts, g.contacts},
		{tDeals, g.deals},
		{tInvoices, g.invoices}, // and invoice_lines
		{tPayments, g.payments},
		{tDocuments, g.documents},
		{tActivityLog, g.activities},
		{tInbox, g.inbox},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return err
		}
		if err := done(s.table); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) emit(table string, values ...any) error {
	g.row = append(g.row[:0], values...)
	return g.out.add(table, g.row)
}

// id hands out the next primary key of table.
func (g *generator) id(table string) uint64 {
	g.nextID[table]++
	return g.nextID[table]
}

// cursor walks one tenant's rows of one table in creation order.
type cursor struct {
	t     *tenant
	r     *rand.Rand
	times []int64
	k     int // the row being generated, tenant-local
}

func (c *cursor) at() int64 { return c.times[c.k] }

// cursorHeap orders cursors by their next row's time, then tenant, so the
// merge is deterministic even when two tenants create rows in the same
// microsecond.
type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.at() != b.at() {
		return a.at() < b.at()
	}
	return a.t.index < b.t.index
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// merge generates one table: for each tenant, times(t, r) gives the
// creation times of its rows, and row is called for every row of every
// tenant in global creation order.
func (g *generator) merge(ctx context.Context, stream int, times func(t *tenant, r *rand.Rand) []int64, row func(c *cursor) error) error {
	h := make(cursorHeap, 0, len(g.tenants))
	for _, t := range g.tenants {
		r := newRand(g.seed, stream, t.index)
		if ts := times(t, r); len(ts) > 0 {
			h = append(h, &cursor{t: t, r: r, times: ts})
		}
	}
	heap.Init(&h)
	for n := 0; h.Len() > 0; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := h[0]
		if err := row(c); err != nil {
			return err
		}
		c.t.rows++
		c.k++
		if c.k < len(c.times) {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// timeline returns n sorted creation times spread over [from, baseTime).
func timeline(r *rand.Rand, n int, from int64) []int64 {
	span := max(baseTime-from, microsPerDay)
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = from + r.Int64N(span)
	}
	slices.Sort(ts)
	return ts
}

func (g *generator) settings(context.Context) error {
	r := newRand(g.seed, streamSettings, 0)
	at := func() string { return datetime(baseTime - r.Int64N(400*microsPerDay)) }
	rows := [][]any{
		{"app.name", "LegacyCRM", "string", "Product name shown in e-mails"},
		{"app.tagline", "Invoices that get paid 🚀", "string", nil},
		{"app.greeting.ja", "ようこそ！", "string", "Japanese welcome text"},
		{"billing.default_currency", "EUR", "string", nil},
		{"billing.default_tax_rate", "19.00", "decimal", "Used when a company has no tax rate"},
		{"billing.payment_terms_days", fmt.Sprint(14 + 7*r.IntN(3)), "int", nil},
		{"billing.reminder_schedule", `{"first_days": 7, "second_days": 14, "final_days": 30}`, "json", nil},
		{"feature.new_dashboard", fmt.Sprint(r.IntN(2) == 0), "bool", "Rollout flag 🎉"},
		{"feature.bulk_export", "true", "bool", nil},
		{"limits.max_upload_bytes", "16777216", "int", "16 MiB"},
		{"limits.api_rate_per_minute", fmt.Sprint(300 + 100*r.IntN(10)), "int", nil},
		{"mail.from", "LegacyCRM <noreply@example.com>", "string", nil},
		{"mail.smtp_host", "smtp.internal.example.com", "string", nil},
		{"maintenance.window", "Sun 02:00-04:00 UTC", "string", nil},
		{"security.password_min_length", "12", "int", nil},
		{"security.allowed_cidrs", `["10.0.0.0/8", "192.0.2.0/24"]`, "json", nil},
		{"ui.default_locale", "en_US", "string", nil},
		{"ui.supported_locales", `["en_US","de_DE","fr_FR","ja_JP","zh_CN"]`, "json", nil},
	}
	for _, row := range rows {
		if err := g.emit(tSettings, row[0], row[1], row[2], row[3], at()); err != nil {
			return err
		}
	}
	return nil
}

type companyMetadata struct {
	Source     string         `json:"source"`
	ExternalID string         `json:"external_id"`
	Score      float64        `json:"score"`
	Tags       []string       `json:"tags"`
	Address    companyAddress `json:"address"`
}

type companyAddress struct {
	Street string `json:"street"`
	City   string `json:"city"`
	Zip    string `json:"zip"`
}

func (g *generator) companies(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 { return timeline(r, t.companies, t.signup) }
	return g.merge(ctx, streamCompanies, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tCompanies)
		t.company.add(id, at)

		stem := pick(r, companyStems)
		suffix := pick(r, companySuffixes)
		displayName := strings.TrimSpace(stem.text + " " + suffix)
		legal := maybe(r, 70, func() any { return strings.TrimSpace(stem.text + " Holding " + suffix) })
		ctry := pick(r, countries)
		vat := maybe(r, 60, func() any { return fmt.Sprintf("%s%09d", ctry.code, r.IntN(1_000_000_000)) })
		employees := maybe(r, 90, func() any { return uint32(1 + r.IntN(50)*r.IntN(200)) })
		founded := maybe(r, 85, func() any { return 1950 + r.IntN(74) })
		var labels []string
		for _, l := range companyLabels {
			if r.IntN(100) < 12 {
				labels = append(labels, l)
			}
		}
		website := maybe(r, 75, func() any { return fmt.Sprintf("https://www.%s-%d.example", stem.ascii, r.IntN(1000)) })
		metadata := maybe(r, 80, func() any {
			return mustJSON(companyMetadata{
				Source:     pick(r, crmSources),
				ExternalID: fmt.Sprintf("EXT-%06d", r.IntN(1_000_000)),
				Score:      float64(r.IntN(10001)) / 10000,
				Tags:       []string{pick(r, []string{"🚀 launch", "b2b", "enterprise", "früh", "重要"}), pick(r, []string{"q1", "q2", "q3", "q4"})},
				Address:    companyAddress{Street: pick(r, streets), City: pick(r, cities), Zip: fmt.Sprintf("%05d", r.IntN(100000))},
			})
		})
		return g.emit(tCompanies,
			id, t.id, displayName, legal, ctry.code, t.currency, vat,
			pick(r, industries), employees, founded, flag(r, 60),
			cents(int64(r.IntN(500))*100_000), strings.Join(labels, ","), website, metadata,
			datetime(at), updatedAt(r, at))
	})
}

func (g *generator) contacts(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 { return timeline(r, t.contacts, t.company.times[0]) }
	return g.merge(ctx, streamContacts, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tContacts)
		t.contact.add(id, at)

		var companyID any
		if i := t.company.pick(r, at); i >= 0 && r.IntN(100) < 92 {
			companyID = t.company.ids[i]
		}
		first, last := pick(r, firstNames), pick(r, lastNames)
		email := fmt.Sprintf("%s.%s%d@%s.example", first.ascii, last.ascii, r.IntN(100), pick(r, companyStems).ascii)
		ctry := pick(r, countries)
		phone := maybe(r, 80, func() any { return fmt.Sprintf("%s %d %07d", ctry.phone, 10+r.IntN(90), r.IntN(10_000_000)) })
		// Birthdays: mostly unknown (NULL), some the legacy "unknown" zero date.
		var birthday any
		switch v := r.IntN(100); {
		case v < 6:
			birthday = zeroDate
		case v < 40:
			birthday = date(baseTime - int64(18*365+r.IntN(50*365))*microsPerDay)
		}
		var lastSeen any
		if r.IntN(100) < 70 {
			lastSeen = datetime6(at + r.Int64N(baseTime-at+1))
		}
		// Contacts imported from the old system have no creation time.
		created := datetime(at)
		if r.IntN(100) < 3 {
			created = zeroDateTime
		}
		return g.emit(tContacts,
			id, t.id, companyID, first.text, last.text, email, phone,
			maybe(r, 70, func() any { return pick(r, jobTitles) }), pick(r, locales), birthday,
			flag(r, 35), r.IntN(101), maybe(r, 45, func() any { return pick(r, notes) }),
			maybe(r, 75, func() any { return ip(r) }), lastSeen, created, updatedAt(r, at))
	})
}

func (g *generator) deals(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 { return timeline(r, t.deals, t.company.times[0]) }
	return g.merge(ctx, streamDeals, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tDeals)
		t.deal.add(id, at)
		company := max(0, t.company.pick(r, at))
		t.dealCompany = append(t.dealCompany, int32(company))

		var contactID any
		if i := t.contact.pick(r, at); i >= 0 && r.IntN(100) < 70 {
			contactID = t.contact.ids[i]
		}
		// Older deals are mostly decided; recent ones are still open.
		stage := dealStages[r.IntN(4)]
		if baseTime-at > 90*microsPerDay || r.IntN(100) < 20 {
			stage = dealStages[4+r.IntN(2)]
		}
		probability := stageProbability(stage)
		expected := date(at + int64(10+r.IntN(110))*microsPerDay)
		if r.IntN(100) < 5 {
			expected = zeroDate
		}
		var closed any
		if stage == "won" || stage == "lost" {
			closed = datetime(at + int64(1+r.IntN(120))*microsPerDay + r.Int64N(microsPerDay))
			if stage == "lost" && r.IntN(100) < 10 {
				closed = zeroDateTime // closed by a bulk cleanup that never set the time
			}
		}
		return g.emit(tDeals,
			id, t.id, t.company.ids[company], contactID, pick(r, dealTitles), stage,
			cents(int64(50_000+r.IntN(5_000_000))), t.currency, probability, expected, closed,
			datetime6(at), updatedAt(r, at))
	})
}

func stageProbability(stage string) int {
	switch stage {
	case "lead":
		return 10
	case "qualified":
		return 25
	case "proposal":
		return 50
	case "negotiation":
		return 75
	case "won":
		return 100
	}
	return 0
}

// invoiceInfo is what payments need to know about an invoice.
type invoiceInfo struct {
	status string
	total  int64 // cents
	issued int64 // unix microseconds
}

func (g *generator) invoices(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 { return timeline(r, t.invoices, t.company.times[0]) }
	return g.merge(ctx, streamInvoices, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tInvoices)
		t.invoice.add(id, at)

		// An invoice for a deal bills that deal's company.
		company := max(0, t.company.pick(r, at))
		var dealID any
		if d := t.deal.pick(r, at); d >= 0 && r.IntN(100) < 50 {
			dealID = t.deal.ids[d]
			company = int(t.dealCompany[d])
		}
		t.invoiceCompany = append(t.invoiceCompany, int32(company))

		age := baseTime - at
		status := "sent"
		switch v := r.IntN(100); {
		case age < 45*microsPerDay && v < 20:
			status = "draft"
		case age < 45*microsPerDay && v < 60:
			status = "sent"
		case v < 78:
			status = "paid"
		case v < 84:
			status = "partially_paid"
		case v < 92:
			status = "overdue"
		case v < 96:
			status = "void"
		}
		issued := at - at%microsPerDay
		due := date(issued + int64(14+r.IntN(4)*15)*microsPerDay)
		var sentAt any
		if status == "draft" {
			due = zeroDate // not set until the invoice is sent
		} else {
			sentAt = datetime(at + r.Int64N(48*microsPerHour))
		}

		// Lines come first: the invoice totals are their sums.
		lines := 1 + r.IntN(3) + r.IntN(3)
		if r.IntN(100) < 2 {
			lines = 20 + r.IntN(21) // the occasional huge invoice
		}
		var subtotal, tax int64
		pending := make([][]any, 0, lines)
		for pos := 1; pos <= lines; pos++ {
			p := pick(r, products)
			var qty int64 // thousandths
			var spent any
			if p.service {
				minutes := 15 * (1 + r.IntN(40)) // up to 10h
				switch v := r.IntN(100); {
				case v < 5:
					minutes = 60 * (25 + r.IntN(100)) // a whole project: beyond 24h
				case v < 6:
					minutes = 100 * 60
				}
				qty = int64(minutes) * 1000 / 60
				spent = fmt.Sprintf("%d:%02d:00", minutes/60, minutes%60)
			} else {
				qty = int64(1+r.IntN(20)) * 1000
				if r.IntN(100) < 10 {
					qty = int64(1 + r.IntN(99_999)) // fractional quantities: 12.345 kg
				}
			}
			price := p.minCents + r.Int64N(p.maxCents-p.minCents+1)
			discount := int64(0)
			if r.IntN(100) < 15 {
				discount = int64(5 * (1 + r.IntN(4)))
			}
			rate := pick(r, taxRates)
			amount := divRound(qty*price*(100-discount), 1000*100)
			subtotal += amount
			tax += divRound(amount*rate, 10_000)
			sku := maybe(r, 70, func() any { return fmt.Sprintf("SKU-%05d", r.IntN(100_000)) })
			pending = append(pending, []any{
				id, pos, sku, p.description, thousandths(qty), p.unit, cents(price),
				discount, basisPoints(rate), cents(amount), spent,
			})
		}
		t.invoiceInfo = append(t.invoiceInfo, invoiceInfo{status: status, total: subtotal + tax, issued: issued})

		number := fmt.Sprintf("INV-%d-%05d", time.UnixMicro(issued).UTC().Year(), c.k+1)
		if err := g.emit(tInvoices,
			id, t.id, t.company.ids[company], dealID, number, status, date(issued), due,
			time.UnixMicro(issued).UTC().Year(), t.currency, cents(subtotal), cents(tax), cents(subtotal+tax),
			maybe(r, 30, func() any { return pick(r, invoiceNotes) }), sentAt, datetime6(at), updatedAt(r, at),
		); err != nil {
			return err
		}
		for _, l := range pending {
			if err := g.emit(tInvoiceLines, l...); err != nil {
				return err
			}
			t.rows++
		}
		return nil
	})
}

// paymentPlan is one payment decided from an invoice before payments are
// numbered: payments are created in payment-time order, not invoice order.
type paymentPlan struct {
	invoice int // tenant-local
	amount  int64
	refund  bool
}

func (g *generator) payments(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 {
		type planned struct {
			at int64
			paymentPlan
		}
		var all []planned
		add := func(inv int, at, amount int64, refund bool) {
			all = append(all, planned{min(at, baseTime-r.Int64N(microsPerHour)), paymentPlan{inv, amount, refund}})
		}
		for i, inv := range t.invoiceInfo {
			paidAt := inv.issued + int64(1+r.IntN(40))*microsPerDay + r.Int64N(microsPerDay)
			switch inv.status {
			case "paid":
				if r.IntN(100) < 12 { // paid in two instalments
					first := inv.total * int64(40+r.IntN(21)) / 100
					add(i, paidAt, first, false)
					add(i, paidAt+int64(5+r.IntN(30))*microsPerDay, inv.total-first, false)
				} else {
					add(i, paidAt, inv.total, false)
				}
				if r.IntN(100) < 2 {
					add(i, paidAt+int64(10+r.IntN(60))*microsPerDay, inv.total*int64(10+r.IntN(90))/100, true)
				}
			case "partially_paid":
				add(i, paidAt, inv.total*int64(20+r.IntN(51))/100, false)
			}
		}
		slices.SortStableFunc(all, func(a, b planned) int {
			switch {
			case a.at < b.at:
				return -1
			case a.at > b.at:
				return 1
			}
			return 0
		})
		ts := make([]int64, len(all))
		t.paymentPlans = make([]paymentPlan, len(all))
		for i, p := range all {
			ts[i], t.paymentPlans[i] = p.at, p.paymentPlan
		}
		return ts
	}
	return g.merge(ctx, streamPayments, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tPayments)
		t.payment.add(id, at)
		p := t.paymentPlans[c.k]

		method := pick(r, paymentMethods)
		var reference any
		switch method {
		case "card":
			reference = "pi_" + token(r, 24)
		case "bank_transfer", "sepa_debit":
			reference = fmt.Sprintf("SEPA-%s-%08d", t.currency, r.IntN(100_000_000))
		case "paypal":
			reference = strings.ToUpper(token(r, 17))
		}
		received := at
		if method == "bank_transfer" {
			received += int64(1+r.IntN(3)) * microsPerDay
		}
		return g.emit(tPayments,
			id, t.id, t.invoice.ids[p.invoice], cents(p.amount), t.currency, method, reference,
			boolInt(p.refund), date(received), datetime6(at), maybe(r, 60, func() any { return ip(r) }),
			datetime(at))
	})
}

func (g *generator) documents(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 { return timeline(r, t.documents, t.company.times[0]) }
	return g.merge(ctx, streamDocuments, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tDocuments)
		t.document.add(id, at)

		var companyID, invoiceID, uploader any
		if i := t.invoice.pick(r, at); i >= 0 && r.IntN(100) < 40 {
			invoiceID = t.invoice.ids[i]
			companyID = t.company.ids[t.invoiceCompany[i]]
		} else if i := t.company.pick(r, at); i >= 0 && r.IntN(100) < 90 {
			companyID = t.company.ids[i]
		}
		if i := t.contact.pick(r, at); i >= 0 && r.IntN(100) < 80 {
			uploader = t.contact.ids[i]
		}
		kind := pick(r, docKinds)
		content := blob(r, kind, documentSize(r))
		sum := sha256.Sum256(content)
		g.blobBytes += int64(len(content))
		filename := fmt.Sprintf(kind.pattern, pick(r, companyStems).ascii, 1+r.IntN(4000))
		return g.emit(tDocuments,
			id, t.id, companyID, invoiceID, uploader, filename, kind.mime,
			uint32(len(content)), sum[:], content, datetime(at), updatedAt(r, at))
	})
}

// documentSize is mostly 1–16 KiB (log-uniform), with about one document in
// 300 between 256 KiB and 1 MiB.
func documentSize(r *rand.Rand) int {
	if r.IntN(300) == 0 {
		return 256<<10 + r.IntN(768<<10+1)
	}
	// 1 KiB · 2^(4·u), u uniform in [0,1), in integer steps of 1/64 octave.
	step := r.IntN(256)
	size := 1024 << (step / 64)
	return size + size*(step%64)/64 + r.IntN(64)
}

// blob returns size bytes that look like a file of kind: its magic header,
// then text for text formats and random (incompressible) bytes otherwise.
func blob(r *rand.Rand, kind docKind, size int) []byte {
	b := make([]byte, 0, size)
	b = append(b, kind.magic...)
	if kind.text {
		for len(b) < size {
			b = fmt.Appendf(b, "%d;%s;%s;%s\n", r.IntN(100_000), pick(r, companyStems).text, cents(r.Int64N(10_000_000)), pick(r, notes))
		}
		return b[:size]
	}
	for len(b)+8 <= size {
		v := r.Uint64()
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
	}
	for len(b) < size {
		b = append(b, byte(r.Uint32()))
	}
	return b[:size]
}

type activityDetails struct {
	Field     string `json:"field,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Note      string `json:"note,omitempty"`
	Client    string `json:"client"`
	RequestID string `json:"request_id"`
}

func (g *generator) activities(ctx context.Context) error {
	times := func(t *tenant, r *rand.Rand) []int64 { return timeline(r, t.activities, t.company.times[0]) }
	return g.merge(ctx, streamActivity, times, func(c *cursor) error {
		r, t, at := c.r, c.t, c.at()
		id := g.id(tActivityLog)

		kind := pickActivityKind(r)
		about := t.entities(kind.entity)
		i := about.pick(r, at)
		if i < 0 { // nothing of that kind yet: it is about the first company
			kind, about, i = activityKinds[0], &t.company, 0
		}
		var actor any
		if a := t.contact.pick(r, at); a >= 0 && r.IntN(100) < 80 {
			actor = t.contact.ids[a]
		}
		action := pick(r, kind.actions)
		details := maybe(r, 75, func() any {
			d := activityDetails{Client: pick(r, activityClients), RequestID: token(r, 16)}
			switch action {
			case "stage_changed":
				d.Field, d.From, d.To = "stage", pick(r, dealStages[:4]), pick(r, dealStages)
			case "updated":
				d.Field, d.From, d.To = "name", pick(r, companyStems).text, pick(r, companyStems).text
			case "emailed", "reminded", "shared":
				d.Note = pick(r, notes)
			}
			return mustJSON(d)
		})
		return g.emit(tActivityLog,
			id, t.id, actor, kind.entity, about.ids[i], action, details,
			maybe(r, 85, func() any { return ip(r) }), maybe(r, 80, func() any { return pick(r, userAgents) }),
			datetime6(at))
	})
}

// inbox has one processed message per tenant, from its signup: the
// application's inbox holds the ids of what it processed.
func (g *generator) inbox(context.Context) error {
	for _, t := range g.tenants {
		if err := g.emit(tInbox, t.id, "signup-"+t.id, datetime6(t.company.times[0])); err != nil {
			return err
		}
	}
	return nil
}

// pickActivityKind draws an activity kind by weight (the weights add up to 100).
func pickActivityKind(r *rand.Rand) activityKind {
	w := r.IntN(100)
	for _, k := range activityKinds {
		if w < k.weight {
			return k
		}
		w -= k.weight
	}
	return activityKinds[0]
}

// --- value helpers -------------------------------------------------------

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// maybe returns value() with the given percent probability, else NULL.
func maybe(r *rand.Rand, percent int, value func() any) any {
	if r.IntN(100) < percent {
		return value()
	}
	return nil
}

func flag(r *rand.Rand, percent int) int { return boolInt(r.IntN(100) < percent) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// updatedAt is a timestamp column value some time after at, before baseTime.
func updatedAt(r *rand.Rand, at int64) string {
	if r.IntN(100) < 40 {
		return datetime(at)
	}
	return datetime(at + r.Int64N(baseTime-at+1))
}

func date(us int64) string      { return time.UnixMicro(us).UTC().Format("2006-01-02") }
func datetime(us int64) string  { return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05") }
func datetime6(us int64) string { return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.000000") }

// cents formats an amount in cents as a decimal(…,2) literal.
func cents(c int64) string { return fixed(c, 2) }

// thousandths formats a quantity in thousandths as a decimal(…,3) literal.
func thousandths(q int64) string { return fixed(q, 3) }

// basisPoints formats a rate in basis points as a decimal(5,2) percentage.
func basisPoints(bp int64) string { return fixed(bp, 2) }

func fixed(v int64, places int) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	unit := int64(1)
	for range places {
		unit *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, v/unit, places, v%unit)
}

// divRound divides, rounding half away from zero (a, b > 0).
func divRound(a, b int64) int64 { return (a + b/2) / b }

// ip is an address as applications store it in varbinary(16): 4 bytes for
// IPv4, 16 for IPv6 (documentation ranges, mostly IPv4).
func ip(r *rand.Rand) []byte {
	if r.IntN(100) < 80 {
		prefixes := [][]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
		p := pick(r, prefixes)
		return []byte{p[0], p[1], p[2], byte(1 + r.IntN(254))}
	}
	b := []byte{0x20, 0x01, 0x0d, 0xb8}
	for len(b) < 16 {
		b = append(b, byte(r.IntN(256)))
	}
	return b
}

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func token(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenAlphabet[r.IntN(len(tokenAlphabet))]
	}
	return string(b)
}

// mustJSON marshals generator-built values, which cannot fail to encode.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("demo: encoding %T: %v", v, err))
	}
	return string(b)
}
