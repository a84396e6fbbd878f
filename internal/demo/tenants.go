package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// tenantWords name the demo tenants. The list never changes order: tenant n
// is always the same id, whatever the seed or the number of tenants.
var tenantWords = []string{
	"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka",
	"cyberdyne", "tyrell", "soylent", "aperture", "vandelay", "piedpiper", "oscorp",
	"nakatomi", "monarch", "gringotts", "dunder-mifflin", "bluth", "prestige", "sirius",
	"virtucon", "abstergo", "weyland", "massive-dynamic", "buy-n-large", "kwik-e-mart",
	"sterling-cooper", "los-pollos", "krusty-krab", "duff", "gekko", "rekall", "omni-consumer",
	"tessier-ashpool", "yoyodyne", "zorg", "blue-sun", "spacely", "cogswell", "ollivanders",
	"central-perk", "paddys-pub", "wernham-hogg", "vought", "contoso", "fabrikam", "northwind",
	"tailspin", "adventure-works", "wide-world", "litware", "proseware", "fourth-coffee",
	"alpine-ski", "margie-travel", "lucerne", "trey-research", "woodgrove",
}

// TenantID is the id of the n-th demo tenant (n from 1): "acme-0001",
// "globex-0002", ... Valid for ^[a-z0-9][a-z0-9_-]{0,62}$.
func TenantID(n int) string {
	return fmt.Sprintf("%s-%04d", tenantWords[(n-1)%len(tenantWords)], n)
}

// TenantIDs returns the ids of the first n demo tenants.
func TenantIDs(n int) []string { return PrefixedTenantIDs("", n) }

// PrefixedTenantIDs returns the ids of the first n demo tenants seeded with
// Options.Prefix.
func PrefixedTenantIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = prefix + TenantID(i+1)
	}
	return ids
}

// largestTenantCompanies is the size, in companies, of the rank-1 tenant at
// scale 1. Everything else in a tenant grows with its companies, about 30
// rows per company over all tables.
const largestTenantCompanies = 1200

// tenant is one tenant's plan and, once generated, the ids of its rows.
type tenant struct {
	index    int // 0-based position in the tenant list
	id       string
	rank     int // 1 = largest
	currency string
	signup   int64 // unix microseconds; all its rows are created after this

	companies, contacts, deals, invoices, documents, activities int

	// Filled while generating, indexed by the tenant-local row number, so
	// that children can reference parents that exist at their creation time.
	company, contact, deal, invoice, payment, document entities

	dealCompany    []int32 // local company index of each deal
	invoiceCompany []int32 // local company index of each invoice
	invoiceInfo    []invoiceInfo
	paymentPlans   []paymentPlan

	rows int64 // rows generated for this tenant over all tables
}

// entities returns the tenant's rows of an activity_log entity type.
func (t *tenant) entities(entityType string) *entities {
	switch entityType {
	case "contact":
		return &t.contact
	case "deal":
		return &t.deal
	case "invoice":
		return &t.invoice
	case "payment":
		return &t.payment
	case "document":
		return &t.document
	}
	return &t.company
}

// entities are the global ids and creation times (unix microseconds) of one
// tenant's rows of a table, in creation order.
type entities struct {
	ids   []uint64
	times []int64
}

func (e *entities) add(id uint64, at int64) {
	e.ids = append(e.ids, id)
	e.times = append(e.times, at)
}

// pick returns the local index of a random row created at or before at, or
// -1 when there is none yet.
func (e *entities) pick(r *rand.Rand, at int64) int {
	n := countAtOrBefore(e.times, at)
	if n == 0 {
		return -1
	}
	return r.IntN(n)
}

func countAtOrBefore(times []int64, at int64) int {
	lo, hi := 0, len(times)
	for lo < hi {
		mid := (lo + hi) / 2
		if times[mid] <= at {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

var tenantCurrencies = []string{"EUR", "EUR", "EUR", "USD", "USD", "GBP", "CHF", "SEK", "PLN", "DKK", "JPY"}

// planTenants decides every tenant's size. Sizes follow the rank (Zipf with
// exponent 1, ±20% jitter): the largest tenant is about ten times the tenth
// and a hundred times the hundredth, like a real customer base. Which tenant
// gets which rank depends on the seed, so "acme-0001" is not always the
// giant. Only integer arithmetic and one float multiplication: the same seed
// must give the same sizes on every CPU architecture.
func planTenants(n int, seed int64, scale float64, prefix string) []*tenant {
	ranks := newRand(seed, streamPlan, 0).Perm(n)
	tenants := make([]*tenant, n)
	for i := range tenants {
		r := newRand(seed, streamTenantPlan, i)
		t := &tenant{index: i, id: prefix + TenantID(i+1), rank: ranks[i] + 1}
		jitterPermille := 800 + r.IntN(451)
		t.companies = max(2, int(math.Round(scale*float64(largestTenantCompanies*jitterPermille)/float64(1000*t.rank))))
		t.contacts = max(1, t.companies*(200+r.IntN(201))/100)
		t.deals = max(1, t.companies*(100+r.IntN(101))/100)
		t.invoices = max(1, t.companies*(300+r.IntN(201))/100)
		t.documents = max(1, t.companies*(20+r.IntN(21))/100)
		t.activities = max(3, t.companies*(400+r.IntN(201))/100)
		t.currency = tenantCurrencies[r.IntN(len(tenantCurrencies))]
		// Big customers tend to be old customers.
		ageDays := 180 + r.IntN(5*365) + 4*365*(n-t.rank)/max(1, n-1)
		t.signup = baseTime - int64(ageDays)*microsPerDay - r.Int64N(microsPerDay)
		tenants[i] = t
	}
	return tenants
}

// Random streams. Every (seed, stream, tenant) triple has its own generator,
// so a tenant's rows do not depend on how the tenants are interleaved, and
// adding a table or tenant does not shift the others' data.
const (
	streamPlan = iota + 1
	streamTenantPlan
	streamSettings
	streamCompanies
	streamContacts
	streamDeals
	streamInvoices
	streamPayments
	streamDocuments
	streamActivity
	streamMessages
)

func newRand(seed int64, stream, tenant int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(stream)<<32|uint64(tenant)))
}
