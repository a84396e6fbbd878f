// Package demo fills the local stack with a realistic multi-tenant data set:
// a CRM/invoicing schema in the source MariaDB database, per-tenant queues
// with messages on the old RabbitMQ broker, and the tenants' DNS records in
// Cloudflare (or the emulator).
//
// The data are a pure function of (tenants, seed, scale): re-seeding drops
// and recreates the demo's own tables, purges and refills the queues and
// resets the DNS records, so the result always equals a fresh seed.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/source"
)

// MaxTenants is the most tenants Seed accepts.
const MaxTenants = 100_000

// Options says what to seed.
type Options struct {
	// Tenants is how many tenants to create, 1 to MaxTenants. The ids are
	// always the first Tenants of TenantIDs.
	Tenants int
	// Seed makes the data reproducible: the same seed gives the same rows,
	// messages and records.
	Seed int64
	// Scale multiplies every tenant's size; 0 means 1. At 1, 200 tenants
	// make about 300,000 rows.
	Scale float64
	// Prefix goes before every tenant id ("e2e42-" gives e2e42-acme-0001),
	// so that tests seed tenants of their own names beside the demo's.
	Prefix string
	// Progress, if set, receives one-line progress messages. It may be
	// called from several goroutines, never concurrently.
	Progress func(msg string)
}

// Report says what Seed did.
type Report struct {
	Tenants []string `json:"tenants"`
	// TenantRows is each tenant's rows over all tables, invoice lines included.
	TenantRows map[string]int64 `json:"tenant_rows"`
	Tables     []TableCount     `json:"tables"`
	TotalRows  int64            `json:"total_rows"`
	// BlobBytes is the size of all documents' contents.
	BlobBytes int64         `json:"blob_bytes"`
	Queues    QueueReport   `json:"queues"`
	DNS       DNSReport     `json:"dns"`
	Duration  time.Duration `json:"duration_ns"`
}

// TableCount is the number of rows seeded into one table.
type TableCount struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// QueueReport lists the seeded queues; Skipped says why there are none.
type QueueReport struct {
	Queues   []QueueCount `json:"queues"`
	Messages int64        `json:"messages"`
	Skipped  string       `json:"skipped,omitempty"`
}

// QueueCount is the number of messages published to one tenant queue.
type QueueCount struct {
	Tenant   string `json:"tenant"`
	Queue    string `json:"queue"`
	Messages int    `json:"messages"`
}

// DNSReport counts what ensuring the DNS records did; Skipped says why
// nothing was done.
type DNSReport struct {
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Skipped   string `json:"skipped,omitempty"`
}

// Rows returns the number of rows seeded into table.
func (r Report) Rows(table string) int64 {
	for _, t := range r.Tables {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

// identPattern is what we accept as the tenant column: it is spliced into DDL.
var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// prefixPattern keeps prefixed tenant ids valid catalog ids (at most 63).
var prefixPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

func (o Options) validate() (Options, error) {
	if o.Tenants < 1 || o.Tenants > MaxTenants {
		return o, fmt.Errorf("demo: tenants must be between 1 and %d, got %d", MaxTenants, o.Tenants)
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if !(o.Scale > 0) || o.Scale > 1000 { // also rejects NaN
		return o, fmt.Errorf("demo: scale must be greater than 0 (and at most 1000), got %v", o.Scale)
	}
	if o.Prefix != "" && !prefixPattern.MatchString(o.Prefix) {
		return o, fmt.Errorf("demo: prefix %q: use up to 40 lower case letters, digits, - or _, starting with a letter or digit", o.Prefix)
	}
	return o, nil
}

// Seed fills the source database, the old broker's tenant queues and the
// tenants' DNS records with demo data. The three parts run concurrently; the
// first failure cancels the others.
func Seed(ctx context.Context, cfg *config.Config, opts Options) (Report, error) {
	started := time.Now()
	opts, err := opts.validate()
	if err != nil {
		return Report{}, err
	}
	if cfg == nil {
		return Report{}, errors.New("demo: no configuration")
	}
	if !identPattern.MatchString(cfg.Source.TenantColumn) {
		return Report{}, fmt.Errorf("demo: source.tenant_column %q is not a valid column name", cfg.Source.TenantColumn)
	}
	for _, q := range cfg.RabbitMQ.Queues {
		// Without the tenant in the name all tenants would share (and
		// purge) one queue.
		if !strings.Contains(q, "{tenant}") {
			return Report{}, fmt.Errorf("demo: rabbitmq.queues: %q has no {tenant}", q)
		}
	}
	progress := serialize(opts.Progress)

	tenants := planTenants(opts.Tenants, opts.Seed, opts.Scale, opts.Prefix)
	progress(fmt.Sprintf("seeding %d tenants (seed %d, scale %g)", len(tenants), opts.Seed, opts.Scale))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg                  sync.WaitGroup
		db                  dbResult
		queues              QueueReport
		records             DNSReport
		dbErr, qErr, dnsErr error
	)
	fail := func(err error) {
		if err != nil {
			cancel(err)
		}
	}
	wg.Go(func() { db, dbErr = seedDatabase(ctx, cfg, tenants, opts.Seed, progress); fail(dbErr) })
	wg.Go(func() { queues, qErr = seedQueues(ctx, cfg, tenants, opts.Seed, progress); fail(qErr) })
	wg.Go(func() { records, dnsErr = seedDNS(ctx, cfg, tenants, progress); fail(dnsErr) })
	wg.Wait()
	// A part stopped because another one failed reports context.Canceled:
	// only the failures that caused it are worth reading.
	cause := context.Cause(ctx)
	var errs []error
	for _, err := range []error{dbErr, qErr, dnsErr} {
		if err != nil && !(errors.Is(err, context.Canceled) && cause != nil && !errors.Is(cause, context.Canceled)) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Report{}, errors.Join(errs...)
	}

	report := Report{
		Tenants:    make([]string, len(tenants)),
		TenantRows: make(map[string]int64, len(tenants)),
		Tables:     db.tables,
		BlobBytes:  db.blobBytes,
		Queues:     queues,
		DNS:        records,
	}
	for i, t := range tenants {
		report.Tenants[i] = t.id
		report.TenantRows[t.id] = t.rows
	}
	for _, t := range db.tables {
		report.TotalRows += t.Rows
	}
	report.Duration = time.Since(started)
	progress(fmt.Sprintf("done in %s: %s rows, %s of documents, %s messages, DNS %d created / %d updated / %d unchanged",
		report.Duration.Round(time.Millisecond), thousands(report.TotalRows), byteSize(report.BlobBytes),
		thousands(report.Queues.Messages), records.Created, records.Updated, records.Unchanged))
	return report, nil
}

type dbResult struct {
	tables    []TableCount
	blobBytes int64
}

// seedDatabase recreates the demo tables and fills them on one connection.
func seedDatabase(ctx context.Context, cfg *config.Config, tenants []*tenant, seed int64, progress func(string)) (dbResult, error) {
	db, dbName, err := source.Open(ctx, cfg.Source.DSN)
	if err != nil {
		return dbResult{}, fmt.Errorf("demo: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return dbResult{}, fmt.Errorf("demo: source: %s", sqlReason(err))
	}
	defer conn.Close()
	for _, stmt := range sessionSetup {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return dbResult{}, fmt.Errorf("demo: source: %s: %s", stmt, sqlReason(err))
		}
	}
	if err := recreateTables(ctx, conn, dbName, cfg.Source.TenantColumn); err != nil {
		return dbResult{}, fmt.Errorf("demo: source: %w", err)
	}
	if err := openFences(ctx, conn, tenants); err != nil {
		return dbResult{}, fmt.Errorf("demo: source: %w", err)
	}

	l := newLoader(ctx, conn, cfg.Source.TenantColumn)
	defer l.rollback()
	g := newGenerator(seed, tenants, l)
	report := func(table string) {
		progress(fmt.Sprintf("%s: %s rows", table, thousands(l.inserters[table].total)))
	}
	err = g.run(ctx, func(table string) error {
		if err := l.finish(table); err != nil {
			return err
		}
		report(table)
		if table == tInvoices {
			report(tInvoiceLines)
		}
		return nil
	})
	if err == nil {
		err = l.commit()
	}
	if err != nil {
		return dbResult{}, fmt.Errorf("demo: source %s: %w", dbName, err)
	}

	res := dbResult{blobBytes: g.blobBytes}
	for _, table := range Tables {
		res.tables = append(res.tables, TableCount{Table: table, Rows: l.inserters[table].total})
	}
	return res, nil
}

// openFences forgets the source fence of the tenants seeded afresh: a
// tenant migrated by an earlier demo left its fence "moved", which would
// refuse the writes of the new tenant of that id.
func openFences(ctx context.Context, conn *sql.Conn, tenants []*tenant) error {
	if err := conn.QueryRowContext(ctx, "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", source.FenceTable).Scan(new(int)); errors.Is(err, sql.ErrNoRows) {
		return nil // no migration ever froze a tenant here
	} else if err != nil {
		return err
	}
	ids := make([]any, len(tenants))
	for i, t := range tenants {
		ids[i] = t.id
	}
	_, err := conn.ExecContext(ctx, "DELETE FROM "+source.FenceTable+" WHERE tenant_id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
	return err
}

// serialize makes a progress callback safe to call from several goroutines.
func serialize(progress func(string)) func(string) {
	if progress == nil {
		return func(string) {}
	}
	var mu sync.Mutex
	return func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		progress(msg)
	}
}

// thousands formats n with thousands separators: 12,345.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
