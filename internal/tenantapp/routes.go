package tenantapp

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/catalog"
)

// route is where a tenant lives and whether its writes are frozen, as the
// application last read it from the catalog.
type route struct {
	Location string
	Frozen   bool
	Version  int64
}

// routes is the application's view of the catalog: read at start, updated
// at once on a NOTIFY of the catalog (catalog.NotifyChannel), and re-read
// every so often in case a notification was missed (a listener reconnects,
// or is held up).
type routes struct {
	cat *catalog.Catalog
	log *slog.Logger
	mu  sync.Mutex
	m   map[string]route
	// wake has a channel per tenant, closed (and replaced) when its route
	// changes: every goroutine waiting on it wakes.
	wake map[string]chan struct{}
}

func newRoutes(ctx context.Context, cat *catalog.Catalog, tenants []string, log *slog.Logger) (*routes, error) {
	r := &routes{cat: cat, log: log, m: map[string]route{}, wake: map[string]chan struct{}{}}
	for _, t := range tenants {
		r.wake[t] = make(chan struct{})
		if err := r.refresh(ctx, t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *routes) get(tenant string) route {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[tenant]
}

// changed is closed when the tenant's route next changes.
func (r *routes) changed(tenant string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wake[tenant]
}

// refresh reads the tenant's row again.
func (r *routes) refresh(ctx context.Context, tenant string) error {
	t, err := r.cat.Get(ctx, tenant)
	if err != nil {
		return err
	}
	next := route{Location: t.Location, Frozen: t.Frozen, Version: t.Version}
	r.mu.Lock()
	prev, known := r.m[tenant]
	if known && prev.Version > next.Version {
		r.mu.Unlock()
		return nil // an older read, overtaken by a newer one
	}
	r.m[tenant] = next
	if known && prev != next {
		close(r.wake[tenant])
		r.wake[tenant] = make(chan struct{})
	}
	r.mu.Unlock()
	if known && prev != next {
		r.log.Debug("route changed", "tenant", tenant, "location", next.Location, "frozen", next.Frozen)
	}
	return nil
}

func (r *routes) refreshAll(ctx context.Context) {
	for _, t := range r.tenants() {
		if err := r.refresh(ctx, t); err != nil && ctx.Err() == nil {
			r.log.Warn("reading the catalog", "tenant", t, "err", err)
		}
	}
}

// listen applies the catalog's notifications until ctx ends, reconnecting
// after a failure; each reconnect re-reads every route, as notifications
// sent meanwhile are gone.
func (r *routes) listen(ctx context.Context, dsn string) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, dsn)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("catalog notifications interrupted; reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (r *routes) listenOnce(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+catalog.NotifyChannel); err != nil {
		return err
	}
	r.refreshAll(ctx)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if r.has(n.Payload) {
			if err := r.refresh(ctx, n.Payload); err != nil && ctx.Err() == nil {
				r.log.Warn("reading the catalog", "tenant", n.Payload, "err", err)
			}
		}
	}
}

func (r *routes) tenants() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.m))
	for t := range r.m {
		out = append(out, t)
	}
	return out
}

func (r *routes) has(tenant string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.m[tenant]
	return ok
}

// poll re-reads every route at each interval until ctx ends.
func (r *routes) poll(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.refreshAll(ctx)
		}
	}
}
