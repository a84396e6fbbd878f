package demo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"
	"github.com/go-sql-driver/mysql"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/routing"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/testenv"
)

// The integration tests use their own database, queues and an in-process
// Cloudflare emulator, so they can run next to other packages' tests on the
// same MariaDB and RabbitMQ.
const (
	testDatabase   = "legacy_demo_test"
	testCFToken    = "demo-test-token"
	testTokenEnv   = "MIGRAWAVE_DEMO_TEST_CF_TOKEN"
	testTenants    = 20
	testSeed       = 7
	otherTestSeed  = 8
	defaultCfgPath = "../../deploy/local/migrawave.yaml"
)

var testQueues = []string{"demotest.{tenant}.events", "demotest.{tenant}.jobs"}

// unavailable skips the test when a service is down, except in CI, where a
// missing service is a broken pipeline and must fail.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (run `bash deploy/local/stack.sh up`)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	path := os.Getenv("MIGRAWAVE_CONFIG")
	if path == "" {
		path = defaultCfgPath
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// emulator starts a Cloudflare emulator in-process and points cfg at it.
func emulator(t *testing.T, cfg *config.Config) *cfemu.Server {
	t.Helper()
	emu, err := cfemu.New(cfemu.Options{Tokens: []string{testCFToken}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv(testTokenEnv, testCFToken)
	cfg.Cloudflare.BaseURL = srv.URL + cfemu.APIPrefix
	cfg.Cloudflare.TokenFile = ""
	cfg.Cloudflare.TokenEnv = testTokenEnv
	return emu
}

// integrationConfig returns the local stack's config pointed at the test
// database (created if needed), the test queues and an in-process emulator,
// and a connection to the test database.
func integrationConfig(t *testing.T) (*config.Config, *sql.DB) {
	t.Helper()
	cfg := loadConfig(t)
	ctx := context.Background()

	admin, _, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		unavailable(t, "MariaDB: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+testDatabase+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("creating %s: %v", testDatabase, err)
	}
	dsn, err := mysql.ParseDSN(cfg.Source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	dsn.DBName = testDatabase
	cfg.Source.DSN = dsn.FormatDSN()
	db, _, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	conn, err := amqp.Dial(cfg.RabbitMQ.OldURL)
	if err != nil {
		unavailable(t, "RabbitMQ at %s: %v", redactURL(cfg.RabbitMQ.OldURL), err)
	}
	conn.Close()
	cfg.RabbitMQ.Queues = testQueues

	emulator(t, cfg)
	return cfg, db
}

func seed(t *testing.T, cfg *config.Config, seed int64) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Seed(ctx, cfg, Options{Tenants: testTenants, Seed: seed, Progress: func(msg string) { t.Log(msg) }})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return rep
}

// checksums is CHECKSUM TABLE of every demo table: equal checksums mean
// equal rows, ids and timestamps included.
func checksums(t *testing.T, db *sql.DB) map[string]int64 {
	t.Helper()
	sums := map[string]int64{}
	for _, table := range Tables {
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow("CHECKSUM TABLE "+quoteIdent(table)).Scan(&name, &sum); err != nil {
			t.Fatalf("checksum %s: %v", table, err)
		}
		if !sum.Valid {
			t.Fatalf("checksum %s: table missing", table)
		}
		sums[table] = sum.Int64
	}
	return sums
}

func queryInt(t *testing.T, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestSeedIntegration(t *testing.T) {
	cfg, db := integrationConfig(t)

	first := seed(t, cfg, testSeed)
	t.Cleanup(func() { deleteQueues(t, cfg, first) })
	sums := checksums(t, db)
	again := seed(t, cfg, testSeed)

	t.Run("same seed gives the same data", func(t *testing.T) {
		if got := checksums(t, db); !mapsEqual(got, sums) {
			t.Errorf("checksums differ after re-seeding with the same seed:\nfirst %v\nagain %v", sums, got)
		}
		if !slices.Equal(first.Tables, again.Tables) || first.BlobBytes != again.BlobBytes || first.Queues.Messages != again.Queues.Messages {
			t.Errorf("reports differ: %+v / %+v", first.Tables, again.Tables)
		}
	})

	t.Run("report matches the database", func(t *testing.T) {
		var total int64
		for _, tc := range again.Tables {
			if n := queryInt(t, db, "SELECT COUNT(*) FROM "+quoteIdent(tc.Table)); n != tc.Rows {
				t.Errorf("%s: report says %d rows, table has %d", tc.Table, tc.Rows, n)
			}
			if tc.Rows == 0 {
				t.Errorf("%s is empty", tc.Table)
			}
			total += tc.Rows
		}
		if total != again.TotalRows {
			t.Errorf("total rows %d, tables add up to %d", again.TotalRows, total)
		}
		if want := TenantIDs(testTenants); !slices.Equal(again.Tenants, want) {
			t.Errorf("tenants %v, want %v", again.Tenants, want)
		}
		if n := queryInt(t, db, "SELECT COALESCE(SUM(LENGTH(content)), 0) FROM documents"); n != again.BlobBytes {
			t.Errorf("blob bytes: report %d, table %d", again.BlobBytes, n)
		}
		if n := queryInt(t, db, "SELECT COUNT(*) FROM documents WHERE sha256 <> UNHEX(SHA2(content, 256)) OR size_bytes <> LENGTH(content)"); n != 0 {
			t.Errorf("%d documents with a wrong sha256 or size", n)
		}
	})

	t.Run("tenant sizes are skewed", func(t *testing.T) {
		var sizes []int64
		for _, id := range again.Tenants {
			sizes = append(sizes, again.TenantRows[id])
		}
		slices.Sort(sizes)
		largest, median := sizes[len(sizes)-1], sizes[len(sizes)/2]
		if largest < 5*median {
			t.Errorf("largest tenant has %d rows, median %d: want at least 5x", largest, median)
		}
		// The per-tenant counts agree with the tables that carry the tenant.
		rows, err := db.Query(withTenantColumn("SELECT tenant_id, COUNT(*) FROM companies GROUP BY tenant_id", cfg.Source.TenantColumn))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id string
			var c int64
			if err := rows.Scan(&id, &c); err != nil {
				t.Fatal(err)
			}
			n++
			if c < 2 {
				t.Errorf("tenant %s has %d companies", id, c)
			}
		}
		if n != testTenants {
			t.Errorf("%d tenants have companies, want %d", n, testTenants)
		}
	})

	t.Run("schema", func(t *testing.T) { checkSchema(t, db, cfg.Source.TenantColumn) })
	t.Run("legacy values", func(t *testing.T) { checkLegacyValues(t, db) })
	t.Run("referential integrity", func(t *testing.T) { checkIntegrity(t, db, cfg.Source.TenantColumn) })
	t.Run("queues", func(t *testing.T) { checkQueues(t, cfg, again) })
	t.Run("dns", func(t *testing.T) {
		if again.DNS.Created != 0 || again.DNS.Updated != 0 || again.DNS.Unchanged != testTenants+2 {
			t.Errorf("re-seed DNS = %+v, want everything unchanged", again.DNS)
		}
		if first.DNS.Created+first.DNS.Updated+first.DNS.Unchanged != testTenants+2 {
			t.Errorf("first seed DNS = %+v", first.DNS)
		}
		checkDNS(t, cfg)
	})

	t.Run("different seed gives different data", func(t *testing.T) {
		// A previous wave moved a tenant: the re-seed must put it back.
		moveTenant(t, cfg, TenantID(3))
		other := seed(t, cfg, otherTestSeed)
		got := checksums(t, db)
		for _, table := range Tables {
			if got[table] == sums[table] {
				t.Errorf("%s: same checksum with seeds %d and %d", table, testSeed, otherTestSeed)
			}
		}
		if other.DNS.Updated != 1 || other.DNS.Created != 0 {
			t.Errorf("DNS after moving one tenant = %+v, want exactly 1 updated", other.DNS)
		}
		checkDNS(t, cfg)
	})
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func checkSchema(t *testing.T, db *sql.DB, tenantColumn string) {
	columnsOf := func(table string) []string {
		rows, err := db.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var cols []string
		for rows.Next() {
			var c string
			rows.Scan(&c)
			cols = append(cols, c)
		}
		return cols
	}
	for _, table := range Tables {
		cols := columnsOf(table)
		hasTenant := slices.Contains(cols, tenantColumn)
		switch table {
		case tSettings, tInvoiceLines:
			if hasTenant {
				t.Errorf("%s has a %s column; it must not", table, tenantColumn)
			}
		default:
			if !hasTenant {
				t.Errorf("%s has no %s column", table, tenantColumn)
				continue
			}
			// Leading column of some index, so per-tenant reads are range scans.
			n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ? AND SEQ_IN_INDEX = 1", table, tenantColumn)
			if n == 0 {
				t.Errorf("%s.%s is not indexed", table, tenantColumn)
			}
			var typ, nullable string
			db.QueryRow("SELECT COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", table, tenantColumn).Scan(&typ, &nullable)
			if typ != "varchar(64)" || nullable != "NO" {
				t.Errorf("%s.%s is %s nullable=%s, want varchar(64) NOT NULL", table, tenantColumn, typ, nullable)
			}
		}
		var engine, collation string
		db.QueryRow("SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table).Scan(&engine, &collation)
		if engine != "InnoDB" || !strings.HasPrefix(collation, "utf8mb4") {
			t.Errorf("%s: engine %s, collation %s", table, engine, collation)
		}
	}

	// invoice_lines: composite primary key, owned through invoices.
	rows, err := db.Query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'invoice_lines' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")
	if err != nil {
		t.Fatal(err)
	}
	var pk []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		pk = append(pk, c)
	}
	rows.Close()
	if !slices.Equal(pk, []string{"invoice_id", "position"}) {
		t.Errorf("invoice_lines primary key = %v", pk)
	}
	var refTable, refColumn string
	err = db.QueryRow("SELECT REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'invoice_lines' AND COLUMN_NAME = 'invoice_id' AND REFERENCED_TABLE_NAME IS NOT NULL").Scan(&refTable, &refColumn)
	if err != nil || refTable != "invoices" || refColumn != "id" {
		t.Errorf("invoice_lines.invoice_id references %s(%s) (%v), want invoices(id)", refTable, refColumn, err)
	}

	// The column types a real legacy schema has.
	wantTypes := map[string]string{
		"companies.id":             "bigint(20) unsigned",
		"contacts.company_id":      "bigint(20) unsigned",
		"companies.employee_count": "int(10) unsigned",
		"companies.is_customer":    "tinyint(1)",
		"contacts.lead_score":      "tinyint(3) unsigned",
		"invoice_lines.position":   "smallint(5) unsigned",
		"deals.stage":              "enum('lead','qualified','proposal','negotiation','won','lost')",
		"companies.labels":         "set('vip','partner','reseller','churn-risk','enterprise','public-sector')",
		"companies.founded_year":   "year(4)",
		"invoice_lines.time_spent": "time",
		"invoice_lines.quantity":   "decimal(10,3)",
		"invoice_lines.unit_price": "decimal(12,2)",
		"invoices.total":           "decimal(14,2)",
		"invoices.currency":        "char(3)",
		"documents.content":        "mediumblob",
		"documents.sha256":         "binary(32)",
		"contacts.last_login_ip":   "varbinary(16)",
		"contacts.last_seen_at":    "datetime(6)",
		"contacts.created_at":      "datetime",
		"contacts.updated_at":      "timestamp",
		"contacts.birthday":        "date",
		"companies.metadata":       "longtext", // MariaDB's json
	}
	for col, want := range wantTypes {
		table, name, _ := strings.Cut(col, ".")
		var got string
		db.QueryRow("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", table, name).Scan(&got)
		if got != want {
			t.Errorf("%s is %q, want %q", col, got, want)
		}
	}
	var def, extra string
	db.QueryRow("SELECT COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'contacts' AND COLUMN_NAME = 'updated_at'").Scan(&def, &extra)
	if !strings.Contains(strings.ToLower(def), "current_timestamp") || !strings.Contains(strings.ToLower(extra), "on update") {
		t.Errorf("contacts.updated_at default %q extra %q, want CURRENT_TIMESTAMP ON UPDATE", def, extra)
	}
	db.QueryRow("SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'contacts' AND COLUMN_NAME = 'created_at'").Scan(&def)
	if !strings.Contains(def, "0000-00-00 00:00:00") {
		t.Errorf("contacts.created_at default %q, want the zero date", def)
	}
}

func checkLegacyValues(t *testing.T, db *sql.DB) {
	counts := map[string]string{
		"zero birthday":         "SELECT COUNT(*) FROM contacts WHERE CAST(birthday AS CHAR) = '0000-00-00'",
		"zero created_at":       "SELECT COUNT(*) FROM contacts WHERE CAST(created_at AS CHAR) = '0000-00-00 00:00:00'",
		"zero due_date":         "SELECT COUNT(*) FROM invoices WHERE CAST(due_date AS CHAR) = '0000-00-00'",
		"zero closed_at":        "SELECT COUNT(*) FROM deals WHERE CAST(closed_at AS CHAR) = '0000-00-00 00:00:00'",
		"time beyond 24h":       "SELECT COUNT(*) FROM invoice_lines WHERE time_spent > '24:00:00'",
		"IPv4 addresses":        "SELECT COUNT(*) FROM contacts WHERE LENGTH(last_login_ip) = 4",
		"IPv6 addresses":        "SELECT COUNT(*) FROM contacts WHERE LENGTH(last_login_ip) = 16",
		"4-byte characters":     "SELECT COUNT(*) FROM companies WHERE name LIKE CONCAT('%', _utf8mb4 0xF09F9A80, '%')", // 🚀
		"CJK text":              "SELECT COUNT(*) FROM contacts WHERE last_name IN ('佐藤', '李', '王')",
		"sets with two members": "SELECT COUNT(*) FROM companies WHERE labels LIKE '%,%'",
		"JSON documents":        "SELECT COUNT(*) FROM companies WHERE JSON_VALID(metadata)",
	}
	for what, query := range counts {
		if queryInt(t, db, query) == 0 {
			t.Errorf("no %s: %s", what, query)
		}
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM documents WHERE size_bytes > 1024*1024"); n != 0 {
		t.Errorf("%d documents above 1 MiB", n)
	}

	// utf8mb4 round trip: what we wrote is what we read, byte for byte,
	// with the emoji stored as four bytes, not '?'.
	const tagline = "Invoices that get paid 🚀"
	var got string
	var bytes, chars int
	if err := db.QueryRow("SELECT value, LENGTH(value), CHAR_LENGTH(value) FROM settings WHERE name = 'app.tagline'").Scan(&got, &bytes, &chars); err != nil {
		t.Fatal(err)
	}
	if got != tagline || bytes != len(tagline) || chars != len([]rune(tagline)) {
		t.Errorf("tagline %q (%d bytes, %d chars), want %q (%d, %d)", got, bytes, chars, tagline, len(tagline), len([]rune(tagline)))
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM companies WHERE name LIKE ?", "%🎉%"); n == 0 {
		t.Error("no company name with 🎉 found by a parameterized query")
	}
}

// withTenantColumn names the configured tenant column in a test query.
func withTenantColumn(query, column string) string {
	return strings.ReplaceAll(query, "tenant_id", quoteIdent(column))
}

func checkIntegrity(t *testing.T, db *sql.DB, tenantColumn string) {
	orphans := map[string]string{
		"contacts.company_id":    "SELECT COUNT(*) FROM contacts c LEFT JOIN companies p ON p.id = c.company_id WHERE c.company_id IS NOT NULL AND (p.id IS NULL OR p.tenant_id <> c.tenant_id)",
		"deals.company_id":       "SELECT COUNT(*) FROM deals c LEFT JOIN companies p ON p.id = c.company_id WHERE p.id IS NULL OR p.tenant_id <> c.tenant_id",
		"deals.contact_id":       "SELECT COUNT(*) FROM deals c LEFT JOIN contacts p ON p.id = c.contact_id WHERE c.contact_id IS NOT NULL AND (p.id IS NULL OR p.tenant_id <> c.tenant_id)",
		"invoices.company_id":    "SELECT COUNT(*) FROM invoices c LEFT JOIN companies p ON p.id = c.company_id WHERE p.id IS NULL OR p.tenant_id <> c.tenant_id",
		"invoices.deal_id":       "SELECT COUNT(*) FROM invoices c LEFT JOIN deals p ON p.id = c.deal_id WHERE c.deal_id IS NOT NULL AND (p.id IS NULL OR p.tenant_id <> c.tenant_id OR p.company_id <> c.company_id)",
		"invoice_lines":          "SELECT COUNT(*) FROM invoice_lines c LEFT JOIN invoices p ON p.id = c.invoice_id WHERE p.id IS NULL",
		"payments.invoice_id":    "SELECT COUNT(*) FROM payments c LEFT JOIN invoices p ON p.id = c.invoice_id WHERE p.id IS NULL OR p.tenant_id <> c.tenant_id",
		"documents.invoice_id":   "SELECT COUNT(*) FROM documents c LEFT JOIN invoices p ON p.id = c.invoice_id WHERE c.invoice_id IS NOT NULL AND (p.id IS NULL OR p.tenant_id <> c.tenant_id)",
		"documents.uploaded_by":  "SELECT COUNT(*) FROM documents c LEFT JOIN contacts p ON p.id = c.uploaded_by WHERE c.uploaded_by IS NOT NULL AND (p.id IS NULL OR p.tenant_id <> c.tenant_id)",
		"activity_log.actor":     "SELECT COUNT(*) FROM activity_log c LEFT JOIN contacts p ON p.id = c.actor_contact_id WHERE c.actor_contact_id IS NOT NULL AND (p.id IS NULL OR p.tenant_id <> c.tenant_id)",
		"invoice totals = lines": "SELECT COUNT(*) FROM invoices i WHERE i.subtotal <> (SELECT SUM(line_total) FROM invoice_lines l WHERE l.invoice_id = i.id) OR i.total <> i.subtotal + i.tax_total",
	}
	for what, query := range orphans {
		if n := queryInt(t, db, withTenantColumn(query, tenantColumn)); n != 0 {
			t.Errorf("%s: %d rows break it", what, n)
		}
	}
	// Tenants' rows are interleaved, as in a shared database, not one
	// contiguous id range per tenant.
	if n := queryInt(t, db, withTenantColumn("SELECT COUNT(*) FROM companies a JOIN companies b ON b.id = a.id + 1 WHERE a.tenant_id <> b.tenant_id", tenantColumn)); n < testTenants {
		t.Errorf("only %d tenant changes between consecutive company ids: rows are not interleaved", n)
	}
}

var messageIDPattern = regexp.MustCompile(`^(.+)#([0-9]+)$`)

// checkQueues drains every test queue: it holds exactly the reported
// messages, each with a distinct id "<queue>#<n>".
func checkQueues(t *testing.T, cfg *config.Config, rep Report) {
	conn, err := amqp.Dial(cfg.RabbitMQ.OldURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if want := testTenants * len(testQueues); len(rep.Queues.Queues) != want {
		t.Fatalf("%d queues reported, want %d", len(rep.Queues.Queues), want)
	}
	var total int64
	for _, q := range rep.Queues.Queues {
		total += int64(q.Messages)
		if q.Messages < minMessages || q.Messages > maxMessages {
			t.Errorf("%s: %d messages, want %d..%d", q.Queue, q.Messages, minMessages, maxMessages)
		}
		if !strings.Contains(q.Queue, q.Tenant) {
			t.Errorf("queue %s is not tenant %s's", q.Queue, q.Tenant)
		}
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		state, err := ch.QueueDeclarePassive(q.Queue, true, false, false, false, nil)
		if err != nil {
			t.Fatalf("%s: %v", q.Queue, err)
		}
		if state.Messages != q.Messages {
			t.Errorf("%s holds %d messages, report says %d", q.Queue, state.Messages, q.Messages)
		}
		seen := map[string]bool{}
		for {
			d, ok, err := ch.Get(q.Queue, true)
			if err != nil {
				t.Fatalf("%s: get: %v", q.Queue, err)
			}
			if !ok {
				break
			}
			m := messageIDPattern.FindStringSubmatch(d.MessageId)
			if m == nil || m[1] != q.Queue || seen[d.MessageId] {
				t.Errorf("%s: bad or duplicate message id %q", q.Queue, d.MessageId)
			}
			seen[d.MessageId] = true
			if d.DeliveryMode != amqp.Persistent || d.ContentType != "application/json" {
				t.Errorf("%s: message %s is not persistent JSON", q.Queue, d.MessageId)
			}
		}
		if len(seen) != q.Messages {
			t.Errorf("%s: %d distinct message ids, want %d", q.Queue, len(seen), q.Messages)
		}
		ch.Close()
	}
	if total != rep.Queues.Messages {
		t.Errorf("queue counts add up to %d, report says %d", total, rep.Queues.Messages)
	}
}

// deleteQueues removes the test's queues from the shared broker.
func deleteQueues(t *testing.T, cfg *config.Config, rep Report) {
	var names []string
	for _, q := range rep.Queues.Queues {
		names = append(names, q.Queue)
	}
	testenv.DeleteQueues(t, []string{cfg.RabbitMQ.OldURL}, names)
}

// zoneRecords lists every record of the configured zone by name.
func zoneRecords(t *testing.T, cfg *config.Config) map[string][]dns.RecordResponse {
	t.Helper()
	client, err := routing.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]dns.RecordResponse{}
	pager := client.DNS.Records.ListAutoPaging(context.Background(), dns.RecordListParams{ZoneID: cloudflare.F(cfg.Cloudflare.ZoneID)})
	for pager.Next() {
		r := pager.Current()
		byName[r.Name] = append(byName[r.Name], r)
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	return byName
}

// checkDNS: one proxied, tagged CNAME to the old target per tenant, and the
// records migrawave does not own.
func checkDNS(t *testing.T, cfg *config.Config) {
	t.Helper()
	records := zoneRecords(t, cfg)
	for _, id := range TenantIDs(testTenants) {
		host := cfg.Hostname(id)
		rs := records[host]
		if len(rs) != 1 {
			t.Errorf("%s: %d records", host, len(rs))
			continue
		}
		r := rs[0]
		if r.Type != "CNAME" || r.Content != cfg.Cloudflare.OldTarget || !r.Proxied || r.TTL != 1 || r.Comment != "tenant "+id {
			t.Errorf("%s = %s %s proxied=%v ttl=%v comment=%q", host, r.Type, r.Content, r.Proxied, r.TTL, r.Comment)
		}
		if tags := sortedTags(r.Tags); !slices.Equal(tags, []string{OwnerTag(cfg, id)}) {
			t.Errorf("%s tags %v", host, tags)
		}
	}
	zone, _ := zoneName(cfg.Cloudflare.HostnamePattern)
	for _, host := range []string{"www." + zone, "api." + zone} {
		rs := records[host]
		if len(rs) != 1 || len(sortedTags(rs[0].Tags)) != 0 {
			t.Errorf("%s: want one untagged record, got %+v", host, rs)
		}
	}
	if want := testTenants + 2; len(records) != want {
		t.Errorf("zone has %d names, want %d", len(records), want)
	}
}

// moveTenant points a tenant's record at the new target, as a migration would.
func moveTenant(t *testing.T, cfg *config.Config, tenant string) {
	t.Helper()
	r := zoneRecords(t, cfg)[cfg.Hostname(tenant)][0]
	client, err := routing.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.DNS.Records.Edit(context.Background(), r.ID, dns.RecordEditParams{
		ZoneID: cloudflare.F(cfg.Cloudflare.ZoneID),
		Body:   dns.CNAMERecordParam{Name: cloudflare.F(r.Name), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F(cfg.Cloudflare.NewTarget), TTL: cloudflare.F(dns.TTL(1))},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSeedRefusesTablesItDidNotCreate(t *testing.T) {
	cfg, db := integrationConfig(t)
	// Seed once so the database is in a known state, then replace one demo
	// table by a "real" one.
	cfg.RabbitMQ.Queues, cfg.Cloudflare.ZoneID = nil, ""
	if _, err := Seed(context.Background(), cfg, Options{Tenants: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "DROP TABLE activity_log")
	mustExec(t, db, "CREATE TABLE activity_log (id int PRIMARY KEY) ENGINE=InnoDB")
	mustExec(t, db, "INSERT INTO activity_log VALUES (42)")

	_, err := Seed(context.Background(), cfg, Options{Tenants: 1, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "refusing") || !strings.Contains(err.Error(), "activity_log") {
		t.Fatalf("err = %v, want a refusal naming activity_log", err)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM activity_log WHERE id = 42"); n != 1 {
		t.Error("the foreign table was touched")
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM companies"); n == 0 {
		t.Error("the demo tables were dropped although the seed refused")
	}
	mustExec(t, db, "DROP TABLE activity_log")
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestSeedErrorsHideSecrets(t *testing.T) {
	cfg := loadConfig(t)
	cfg.RabbitMQ.Queues, cfg.Cloudflare.ZoneID = nil, ""
	const secret = "s3cret-pa55word"
	cfg.Source.DSN = "migrawave:" + secret + "@tcp(127.0.0.1:1)/legacy?timeout=1s"
	_, err := Seed(context.Background(), cfg, Options{Tenants: 1})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bad DSN: err = %v, want an error without the password", err)
	}

	cfg = loadConfig(t)
	cfg.RabbitMQ.OldURL = "amqp://migrawave:" + secret + "@127.0.0.1:1/legacy"
	cfg.RabbitMQ.Queues = testQueues
	_, err = seedQueues(context.Background(), cfg, planTenants(1, 1, 1, ""), 1, func(string) {})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bad broker URL: err = %v, want an error without the password", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	cfg := &config.Config{Source: config.Source{TenantColumn: "tenant_id"}}
	for _, o := range []Options{
		{Tenants: 0}, {Tenants: -1}, {Tenants: MaxTenants + 1},
		{Tenants: 1, Scale: -1}, {Tenants: 1, Scale: math.NaN()}, {Tenants: 1, Scale: math.Inf(1)},
	} {
		if _, err := Seed(context.Background(), cfg, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	bad := &config.Config{Source: config.Source{TenantColumn: "tenant`; DROP"}}
	if _, err := Seed(context.Background(), bad, Options{Tenants: 1}); err == nil || !strings.Contains(err.Error(), "tenant_column") {
		t.Errorf("bad tenant column: %v", err)
	}
	shared := &config.Config{Source: config.Source{TenantColumn: "tenant_id"}, RabbitMQ: config.RabbitMQ{Queues: []string{"events"}}}
	if _, err := Seed(context.Background(), shared, Options{Tenants: 1}); err == nil || !strings.Contains(err.Error(), "{tenant}") {
		t.Errorf("queue template without {tenant}: %v", err)
	}
}

func TestTenantIDs(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	all := TenantIDs(MaxTenants)
	seen := make(map[string]bool, len(all))
	for _, id := range all {
		if !valid.MatchString(id) || seen[id] {
			t.Fatalf("tenant id %q is invalid or duplicate", id)
		}
		seen[id] = true
	}
	if !slices.Equal(TenantIDs(7), all[:7]) {
		t.Error("the first N ids depend on N")
	}
	if all[0] != "acme-0001" || all[1] != "globex-0002" {
		t.Errorf("ids start %v", all[:2])
	}
}

// hashSink fingerprints generated rows without a database.
type hashSink struct {
	hash bool
	sum  [32]byte
	rows int
}

func (h *hashSink) add(table string, row []any) error {
	h.rows++
	if h.hash {
		s := sha256.New()
		s.Write(h.sum[:])
		fmt.Fprintf(s, "%s|%#v", table, row)
		copy(h.sum[:], s.Sum(nil))
	}
	return nil
}

func generate(t *testing.T, tenants int, seed int64, scale float64, hash bool) (*hashSink, []*tenant) {
	t.Helper()
	ts := planTenants(tenants, seed, scale, "")
	h := &hashSink{hash: hash}
	if err := newGenerator(seed, ts, h).run(context.Background(), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return h, ts
}

func TestGeneratorIsDeterministic(t *testing.T) {
	a, _ := generate(t, 12, 42, 0.1, true)
	b, _ := generate(t, 12, 42, 0.1, true)
	c, _ := generate(t, 12, 43, 0.1, true)
	if a.sum != b.sum {
		t.Error("same seed, different rows")
	}
	if a.sum == c.sum {
		t.Error("different seeds, same rows")
	}
}

func TestTenantSizesAreSkewed(t *testing.T) {
	for _, n := range []int{20, 200} {
		_, ts := generate(t, n, 7, 1, false)
		var sizes []int64
		var total int64
		for _, t := range ts {
			sizes = append(sizes, t.rows)
			total += t.rows
		}
		slices.Sort(sizes)
		largest, median := sizes[len(sizes)-1], sizes[len(sizes)/2]
		t.Logf("%d tenants: %d rows, largest %d, median %d, smallest %d", n, total, largest, median, sizes[0])
		if largest < 5*median {
			t.Errorf("%d tenants: largest %d rows, median %d", n, largest, median)
		}
		if n == 200 && (total < 100_000 || total > 500_000) {
			t.Errorf("200 tenants make %d rows, want a few hundred thousand", total)
		}
	}
}

func TestSeedDNSAgainstEmulator(t *testing.T) {
	cfg := loadConfig(t)
	emulator(t, cfg)
	tenants := planTenants(5, 1, 1, "")
	ctx := context.Background()
	rep, err := seedDNS(ctx, cfg, tenants, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 7 || rep.Updated != 0 || rep.Unchanged != 0 {
		t.Errorf("first run: %+v", rep)
	}
	rep, err = seedDNS(ctx, cfg, tenants, func(string) {})
	if err != nil || rep.Unchanged != 7 || rep.Created+rep.Updated != 0 {
		t.Errorf("second run: %+v, %v", rep, err)
	}
	// Two names pointing elsewhere: a migrated tenant and a changed fixture.
	records := zoneRecords(t, cfg)
	client, err := routing.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	zone, err := zoneName(cfg.Cloudflare.HostnamePattern)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{cfg.Hostname(tenants[1].id), "api." + zone} {
		r := records[name][0]
		_, err := client.DNS.Records.Update(ctx, r.ID, dns.RecordUpdateParams{
			ZoneID: cloudflare.F(cfg.Cloudflare.ZoneID),
			Body:   dns.CNAMERecordParam{Name: cloudflare.F(name), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F(cfg.Cloudflare.NewTarget), TTL: cloudflare.F(dns.TTL(1))},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rep, err = seedDNS(ctx, cfg, tenants, func(string) {})
	if err != nil || rep.Updated != 2 || rep.Unchanged != 5 {
		t.Errorf("after moving two records: %+v, %v", rep, err)
	}
	after := zoneRecords(t, cfg)
	if r := after[cfg.Hostname(tenants[1].id)][0]; r.Content != cfg.Cloudflare.OldTarget || r.ID != records[r.Name][0].ID {
		t.Errorf("moved tenant record not restored in place: %+v", r)
	}
	if r := after["api."+zone][0]; r.Content != "elsewhere-lb.example.com" || r.TTL != 300 {
		t.Errorf("api fixture not restored: %s ttl %v", r.Content, r.TTL)
	}
}
