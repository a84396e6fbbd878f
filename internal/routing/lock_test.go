package routing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv"
)

// pgPool opens a pool on a throwaway database of the local stack's first
// PostgreSQL cluster. Advisory locks are per database, as the catalog's
// will be.
func pgPool(t *testing.T, cfg *config.Config, maxConns int32) *pgxpool.Pool {
	t.Helper()
	dsn := testenv.PostgresDatabase(t, cfg.Catalog.DSN)
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// switchConcurrently plans and switches n tenants on one tunnel, each in its
// own goroutine with its own Router (as separate worker processes would
// have), all sharing locker.
func switchConcurrently(t *testing.T, e *env, n int, locker Locker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		tenant := fmt.Sprintf("c%02d", i)
		wg.Go(func() {
			r, err := New(e.cfg, WithLocker(locker))
			if err != nil {
				errs <- err
				return
			}
			p, err := retryLikeTemporal(ctx, func() (Plan, error) { return r.Plan(ctx, tenant) })
			if err == nil {
				_, err = retryLikeTemporal(ctx, func() (Result, error) { return r.Switch(ctx, p) })
			}
			if err != nil {
				errs <- fmt.Errorf("%s: %w", tenant, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// concurrentEnv is a tunnel with one other hostname and n tenants to switch,
// with latency on every request to widen the window between a switch's read
// and its write, and a few server errors so that retries happen under the lock.
func concurrentEnv(t *testing.T, n int) *env {
	e := newEnv(t, config.ModeTunnel)
	for i := range n {
		e.seedTenant(fmt.Sprintf("c%02d", i))
	}
	e.seedTunnel(map[string]any{"ingress": []map[string]any{
		{"hostname": "static." + zoneName, "service": "http://static:8080"},
		{"service": catchAll},
	}})
	if err := e.emu.SetFaults(cfemu.Faults{Fail5xx: 0.05, Latency: 3 * time.Millisecond, RateLimit: -1, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestConcurrentTunnelSwitches(t *testing.T) {
	const n = 50
	e := concurrentEnv(t, n)
	// One pool, many connections: each lock holder has a session of its
	// own, so the advisory locks exclude each other exactly as they do
	// between worker processes.
	locker := NewPGLocker(pgPool(t, e.cfg, 8))
	switchConcurrently(t, e, n, locker)

	rules := e.ingress()
	if len(rules) != n+2 {
		t.Errorf("%d ingress rules, want %d (the other hostname, %d tenants, the catch-all)", len(rules), n+2, n)
	}
	if last := rules[len(rules)-1]; last.Service != catchAll || last.Hostname != "" {
		t.Errorf("last rule = %+v, want the catch-all", last)
	}
	if rules[0].Hostname != "static."+zoneName {
		t.Errorf("first rule = %+v, want the other hostname's, untouched", rules[0])
	}
	for i := range n {
		host := e.cfg.Hostname(fmt.Sprintf("c%02d", i))
		if c := countRules(rules, host, e.cfg.Cloudflare.TunnelService); c != 1 {
			t.Errorf("%s: %d rules, want 1", host, c)
		}
		if rec := e.record(host); rec.Content != TunnelTarget(e.cfg.Cloudflare.TunnelID) {
			t.Errorf("%s: CNAME content %s", host, rec.Content)
		}
	}
}

// TestConcurrentSwitchesNeedTheLock is the control: with a Locker that does
// nothing, the same run loses rules, which is what the lock is for (and shows
// the test above can fail).
func TestConcurrentSwitchesNeedTheLock(t *testing.T) {
	if testing.Short() {
		t.Skip("control experiment")
	}
	const n = 50
	e := concurrentEnv(t, n)
	switchConcurrently(t, e, n, noLock{})
	tenantRules := len(e.ingress()) - 2
	t.Logf("without a lock, %d of %d tenant rules survived", tenantRules, n)
	if tenantRules >= n {
		t.Errorf("all %d rules survived without a lock; the concurrency test would not catch a missing lock", n)
	}
}

type noLock struct{}

func (noLock) Lock(context.Context, string) (func(), error) { return func() {}, nil }

// TestPGLockerExcludesAcrossPools: two pools stand for two processes.
func TestPGLockerExcludesAcrossPools(t *testing.T) {
	cfg := testenv.Config(t)
	dsn := testenv.PostgresDatabase(t, cfg.Catalog.DSN)
	open := func() *PGLocker {
		pool, err := pgxpool.New(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return NewPGLocker(pool)
	}
	a, b := open(), open()
	ctx := context.Background()

	unlock, err := a.Lock(ctx, "tunnel:x")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = b.Lock(short, "tunnel:x")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second process took a held lock: err = %v", err)
	}
	// Another key is independent.
	other, err := b.Lock(ctx, "tunnel:y")
	if err != nil {
		t.Fatal(err)
	}
	other()

	unlock()
	unlock() // idempotent
	got, err := b.Lock(ctx, "tunnel:x")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	got()
}

func TestLocalLocker(t *testing.T) {
	l := NewLocalLocker()
	ctx := context.Background()
	unlock, err := l.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(short, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("held lock taken again: %v", err)
	}
	unlock()
	unlock()
	again, err := l.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	again()
}
