// Package tenantapp is the SaaS application as migrawave sees it, and the
// reference for how a real one integrates (docs/application-contract.md).
// For each of its tenants it writes a steady stream of small transactions,
// publishes a job per write to the tenant's queues on the broker the tenant
// is on, and processes those jobs into the tenant's database, once per
// message id. It routes every tenant by the catalog, learns of changes by
// LISTEN/NOTIFY, refuses a frozen tenant's writes and retries them as a
// user would, and records everything it acknowledged in a ledger.
package tenantapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/ledger"
	"github.com/migrawave/migrawave/internal/queues"
)

// Options say what the application does.
type Options struct {
	Tenants []string
	// Rate is the writes per second per tenant.
	Rate float64
	// Listen is whether to LISTEN for the catalog's notifications; without
	// it, the application learns of a change only at its next re-read, or
	// when the source's fence refuses it.
	Listen bool
	// Reread is the interval of the safety-net re-read of the catalog.
	Reread time.Duration
	// DrainTimeout bounds how long, once told to stop, it goes on
	// consuming until the tenants' queues are empty.
	DrainTimeout time.Duration
	Log          *slog.Logger
}

// App is the running application.
type App struct {
	cfg    *config.Config
	opts   Options
	cat    *catalog.Catalog
	routes *routes
	stores *stores
	brk    *brokers
	rec    *ledger.Recorder
	run    string // distinguishes this process's message ids
}

// Run runs the application for the tenants until ctx ends, then stops
// writing, processes what is left in the tenants' queues, and returns.
func Run(ctx context.Context, cfg *config.Config, led *ledger.Ledger, opts Options) error {
	if opts.Rate <= 0 || opts.Rate > 1000 {
		return fmt.Errorf("rate %v: between 0 and 1000 writes per second per tenant", opts.Rate)
	}
	if opts.Reread <= 0 {
		opts.Reread = 5 * time.Second
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = time.Minute
	}
	for _, t := range opts.Tenants {
		if err := catalog.ValidateTenantID(t); err != nil {
			return err
		}
	}
	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		return err
	}
	defer cat.Close()
	a := &App{cfg: cfg, opts: opts, cat: cat, brk: newBrokers(cfg.RabbitMQ), run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	defer a.brk.close()
	if a.routes, err = newRoutes(ctx, cat, opts.Tenants, opts.Log); err != nil {
		return err
	}
	if a.stores, err = newStores(ctx, cfg); err != nil {
		return err
	}
	defer a.stores.close()
	a.rec = led.Record(opts.Log)
	defer a.rec.Close()

	// The catalog watchers and consumers outlive the writers: they keep
	// routing and processing while the queues drain.
	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBg()
	var bgWG, writers sync.WaitGroup
	if opts.Listen {
		bgWG.Go(func() { a.routes.listen(bg, cfg.Catalog.DSN) })
	}
	bgWG.Go(func() { a.routes.poll(bg, opts.Reread) })
	consumers := make([]*consumer, len(opts.Tenants))
	for i, t := range opts.Tenants {
		consumers[i] = &consumer{app: a, tenant: t}
		bgWG.Go(func() { consumers[i].run(bg) })
		writers.Go(func() { a.write(ctx, t) })
	}
	opts.Log.Info("tenantapp running", "tenants", len(opts.Tenants), "rate", opts.Rate, "listen", opts.Listen)
	writers.Wait()
	opts.Log.Info("stopped writing; processing what is left in the queues", "timeout", opts.DrainTimeout)
	deadline := time.Now().Add(opts.DrainTimeout)
	for _, c := range consumers {
		c.waitEmpty(bg, deadline)
	}
	stopBg()
	bgWG.Wait()
	opts.Log.Info("tenantapp stopped")
	return nil
}

// write is one tenant's user: a write every 1/rate seconds, each retried
// until it goes through, as a user would, while the tenant is frozen.
func (a *App) write(ctx context.Context, tenant string) {
	pub := newPublisher(a.brk)
	defer pub.close()
	names, err := queues.Names(a.cfg.RabbitMQ.Queues, tenant)
	if err != nil {
		a.opts.Log.Error("tenant queues", "tenant", tenant, "err", err)
		return
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var keys []string // this run's activities that exist
	every := time.Duration(float64(time.Second) / a.opts.Rate)
	next := time.Now().Add(time.Duration(r.Int64N(int64(every)))) // spread the tenants
	for seq := 1; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		next = next.Add(every)
		op := writeOp{value: "v" + strconv.Itoa(seq), queue: names[seq%len(names)], message: fmt.Sprintf("%s-%s-%d", tenant, a.run, seq)}
		switch n := r.IntN(10); {
		case len(keys) < 3 || n < 6: // insert
		case n < 9:
			op.key = keys[r.IntN(len(keys))]
		default:
			i := r.IntN(len(keys))
			op.key, op.deleted = keys[i], true
			keys = append(keys[:i], keys[i+1:]...)
		}
		key, ok := a.writeUntilDone(ctx, tenant, pub, op)
		if ok && op.key == "" {
			keys = append(keys, key)
		}
	}
}

// writeOp is one user action: insert (no key), update, or delete.
type writeOp struct {
	key, value     string
	deleted        bool
	queue, message string
}

// writeUntilDone retries op until it commits, and records the span in which
// the tenant's writes were refused, if any.
func (a *App) writeUntilDone(ctx context.Context, tenant string, pub *publisher, op writeOp) (string, bool) {
	var refusedSince time.Time
	lastRead := time.Now()
	backoff := 20 * time.Millisecond
	for {
		changed := a.routes.changed(tenant)
		rt := a.routes.get(tenant)
		var err error
		if rt.Frozen {
			err = errFrozen
		} else {
			var key string
			// A write under way finishes even when the application is
			// stopping: cut short, its commit could land unrecorded.
			applyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
			key, err = a.apply(applyCtx, tenant, rt.Location, pub, op)
			cancel()
			if err == nil {
				if !refusedSince.IsZero() {
					a.rec.Refusal(ledger.Refusal{Tenant: tenant, Start: refusedSince, End: time.Now()})
				}
				return key, true
			}
		}
		if ctx.Err() != nil {
			return "", false
		}
		if errors.Is(err, errMissingRow) {
			a.opts.Log.Error("a row the application wrote is gone", "tenant", tenant, "key", op.key, "location", rt.Location)
			return "", false
		}
		if refusedSince.IsZero() {
			refusedSince = time.Now()
		}
		if !errors.Is(err, errFrozen) && !errors.Is(err, errFenced) {
			a.opts.Log.Debug("write failed; retrying", "tenant", tenant, "err", err)
		}
		// While refused, read the catalog again now and then: a
		// notification may have been missed, and the fence refuses for a
		// reason the catalog names (frozen, or moved elsewhere).
		if errors.Is(err, errFenced) || time.Since(lastRead) > 500*time.Millisecond {
			_ = a.routes.refresh(ctx, tenant)
			lastRead = time.Now()
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-changed: // unfrozen or moved: try at once
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// applyTimeout bounds one write attempt, which a stop does not cut short.
const applyTimeout = 30 * time.Second

var (
	errFrozen     = errors.New("the tenant is frozen")
	errMissingRow = errors.New("the row is gone")
)

// apply runs op in one transaction where the tenant lives, publishes its
// job before committing (so that a freeze, which waits for the
// transaction, also waits for the message), and records both.
func (a *App) apply(ctx context.Context, tenant, location string, pub *publisher, op writeOp) (string, error) {
	tx, err := a.stores.begin(ctx, tenant, location)
	if err != nil {
		return "", err
	}
	defer tx.rollback()
	key := op.key
	if key == "" {
		key, err = tx.insert(ctx, op.value)
	} else {
		var found bool
		if found, err = tx.set(ctx, key, op.value, op.deleted); err == nil && !found {
			err = errMissingRow
		}
	}
	if err != nil {
		return "", err
	}
	broker := brokerFor(location)
	if err := pub.publish(ctx, broker, op.queue, op.message); err != nil {
		return "", err
	}
	a.rec.Message(ledger.Message{Tenant: tenant, MessageID: op.message, Event: ledger.Published, Broker: broker, At: time.Now()})
	at := time.Now()
	if err := tx.commit(ctx); err != nil {
		return "", err
	}
	a.rec.Write(ledger.Write{Tenant: tenant, Table: tableActivity, Key: key, Value: op.value, Deleted: op.deleted, Location: location, At: at})
	return key, nil
}

// Check compares the ledger with where every tenant lives now.
func Check(ctx context.Context, cfg *config.Config, led *ledger.Ledger) (*ledger.Report, error) {
	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		return nil, err
	}
	defer cat.Close()
	st, err := newStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer st.close()
	return led.Check(ctx, cat, st)
}
