package ledger

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/catalog"
)

// Store reads rows where a tenant lives now.
type Store interface {
	// Values returns the value of every row of table, among keys, that the
	// tenant at location holds; a key without a row is absent.
	Values(ctx context.Context, tenant, location, table string, keys []string) (map[string]string, error)
}

// Report is the outcome of a check.
type Report struct {
	Tenants            int `json:"tenants"`
	WritesAcknowledged int `json:"writes_acknowledged"`
	// WritesLost are keys whose row does not hold what the last
	// acknowledged write left there: a missing row, a deleted row back, or
	// another value.
	WritesLost int `json:"writes_lost"`
	// WritesAfterFreeze are writes committed to the source while its fence
	// was closed (after a "fenced" event, before the freeze was lifted).
	WritesAfterFreeze  int `json:"writes_after_freeze"`
	MessagesPublished  int `json:"messages_published"`
	MessagesProcessed  int `json:"messages_processed"`
	MessagesLost       int `json:"messages_lost"`
	MessagesDuplicated int `json:"messages_duplicated"`
	// FreezeMS is, over the tenants whose writes were ever refused, the
	// longest span in which each was refused.
	FreezeMS Percentiles `json:"freeze_ms"`
	// Problems name the first lost writes and messages and the writes after
	// a freeze.
	Problems []string `json:"problems,omitempty"`
}

// Percentiles of a set of durations in milliseconds.
type Percentiles struct {
	P50 int64 `json:"p50"`
	P99 int64 `json:"p99"`
	Max int64 `json:"max"`
}

// PercentilesOf computes p50, p99 and max of ms (nearest rank).
func PercentilesOf(ms []int64) Percentiles {
	if len(ms) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	rank := func(p float64) int64 {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Percentiles{P50: rank(0.50), P99: rank(0.99), Max: s[len(s)-1]}
}

const maxProblems = 20

// Check compares the ledger with where every tenant lives now (the
// catalog) and what it holds (store).
func (l *Ledger) Check(ctx context.Context, cat *catalog.Catalog, store Store) (*Report, error) {
	rep := &Report{}
	problem := func(format string, args ...any) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		}
	}
	last, err := l.lastWrites(ctx, rep)
	if err != nil {
		return nil, err
	}
	tenants := make([]string, 0, len(last))
	for t := range last {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	rep.Tenants = len(tenants)
	for _, tenant := range tenants {
		t, err := cat.Get(ctx, tenant)
		if err != nil {
			return nil, err
		}
		for table, writes := range last[tenant] {
			keys := make([]string, 0, len(writes))
			for k := range writes {
				keys = append(keys, k)
			}
			found, err := store.Values(ctx, tenant, t.Location, table, keys)
			if err != nil {
				return nil, fmt.Errorf("ledger: reading %s of %s at %s: %w", table, tenant, t.Location, err)
			}
			for _, k := range keys {
				w := writes[k]
				v, ok := found[k]
				switch {
				case w.Deleted && ok:
					rep.WritesLost++
					problem("%s %s %s: deleted at %s, found %q in %s", tenant, table, k, w.At.Format(time.RFC3339Nano), v, t.Location)
				case !w.Deleted && !ok:
					rep.WritesLost++
					problem("%s %s %s: %q written at %s (%s), no row in %s", tenant, table, k, w.Value, w.At.Format(time.RFC3339Nano), w.Location, t.Location)
				case !w.Deleted && v != w.Value:
					rep.WritesLost++
					problem("%s %s %s: %q written at %s (%s), found %q in %s", tenant, table, k, w.Value, w.At.Format(time.RFC3339Nano), w.Location, v, t.Location)
				}
			}
		}
		if err := l.afterFreeze(ctx, cat, tenant, rep, problem); err != nil {
			return nil, err
		}
	}
	if err := l.checkMessages(ctx, rep, problem); err != nil {
		return nil, err
	}
	return rep, l.freezeSpans(ctx, rep)
}

// lastWrites returns, per tenant and table, the last acknowledged write of
// every key, and counts them all.
func (l *Ledger) lastWrites(ctx context.Context, rep *Report) (map[string]map[string]map[string]Write, error) {
	rows, err := l.pool.Query(ctx, `SELECT tenant, tbl, key, coalesce(value, ''), deleted, location, at FROM writes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	last := map[string]map[string]map[string]Write{}
	for rows.Next() {
		var w Write
		if err := rows.Scan(&w.Tenant, &w.Table, &w.Key, &w.Value, &w.Deleted, &w.Location, &w.At); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		rep.WritesAcknowledged++
		if last[w.Tenant] == nil {
			last[w.Tenant] = map[string]map[string]Write{}
		}
		if last[w.Tenant][w.Table] == nil {
			last[w.Tenant][w.Table] = map[string]Write{}
		}
		last[w.Tenant][w.Table][w.Key] = w
	}
	return last, rows.Err()
}

// afterFreeze counts the tenant's writes committed to the source while its
// fence was closed, from the catalog's history of the tenant.
func (l *Ledger) afterFreeze(ctx context.Context, cat *catalog.Catalog, tenant string, rep *Report, problem func(string, ...any)) error {
	events, err := cat.Events(ctx, tenant)
	if err != nil {
		return err
	}
	// The spans in which the fence was closed: from "fenced" to the next
	// "unfreeze", or to now while the tenant stays frozen.
	var spans [][2]time.Time
	var closed time.Time
	for _, e := range events {
		at, err := time.Parse(time.RFC3339Nano, e.At)
		if err != nil {
			return fmt.Errorf("ledger: catalog event time %q: %w", e.At, err)
		}
		switch {
		case e.Kind == catalog.EventFenced && closed.IsZero():
			closed = at
		case e.Kind == catalog.EventUnfrozen && !closed.IsZero():
			spans = append(spans, [2]time.Time{closed, at})
			closed = time.Time{}
		}
	}
	if !closed.IsZero() {
		spans = append(spans, [2]time.Time{closed, time.Now().Add(time.Hour)})
	}
	for _, span := range spans {
		var n int
		var first *time.Time
		if err := l.pool.QueryRow(ctx, `SELECT count(*), min(at) FROM writes WHERE tenant = $1 AND location = $2 AND at > $3 AND at < $4`,
			tenant, catalog.LocationSource, span[0], span[1]).Scan(&n, &first); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		if n > 0 {
			rep.WritesAfterFreeze += n
			problem("%s: %d write(s) committed to the source after its fence closed at %s, the first at %s", tenant, n, span[0].Format(time.RFC3339Nano), first.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// checkMessages counts messages published, processed, never processed and
// delivered again after they were processed.
func (l *Ledger) checkMessages(ctx context.Context, rep *Report, problem func(string, ...any)) error {
	// Processed counts what the application published: the queues may also
	// hold messages from before it started.
	err := l.pool.QueryRow(ctx, `SELECT
			count(DISTINCT message_id) FILTER (WHERE event = $1),
			count(DISTINCT message_id) FILTER (WHERE event = $2 AND message_id IN (SELECT message_id FROM messages WHERE event = $1)),
			count(*) FILTER (WHERE event = $3)
		FROM messages`, Published, Processed, Duplicate).Scan(&rep.MessagesPublished, &rep.MessagesProcessed, &rep.MessagesDuplicated)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	rows, err := l.pool.Query(ctx, `SELECT p.tenant, p.message_id, p.broker, p.at FROM messages p
		WHERE p.event = $1 AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.message_id = p.message_id AND d.event = $2)
		ORDER BY p.id`, Published, Processed)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.Tenant, &m.MessageID, &m.Broker, &m.At); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		rep.MessagesLost++
		problem("%s: message %s published on the %s broker at %s was never processed", m.Tenant, m.MessageID, m.Broker, m.At.Format(time.RFC3339Nano))
	}
	return rows.Err()
}

// freezeSpans takes, per tenant, the longest span of refused writes.
func (l *Ledger) freezeSpans(ctx context.Context, rep *Report) error {
	rows, err := l.pool.Query(ctx, `SELECT max(extract(epoch FROM ended - started) * 1000)::bigint FROM refusals GROUP BY tenant`)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	ms, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	rep.FreezeMS = PercentilesOf(ms)
	return nil
}
