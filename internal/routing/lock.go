package routing

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Locker serializes work on a shared resource (a tunnel configuration),
// across every process that uses the same Locker backend. Lock blocks until
// the lock is held or ctx ends; unlock releases it and may be called more
// than once.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// pgLockNamespace is the first half of the two-key advisory lock space
// (pg_advisory_lock(int, int)) that migrawave's routing locks use. The
// two-key space never collides with single bigint keys, and the namespace
// keeps our keys apart from other two-key users of the same database.
const pgLockNamespace int32 = 0x6d77_7274 // "mwrt"

// unlockTimeout bounds the unlock query, which runs even when the caller's
// context has ended.
const unlockTimeout = 10 * time.Second

// PGLocker is a Locker backed by PostgreSQL session advisory locks, so that
// every worker process connected to the same database (the catalog) shares
// the locks. A held lock pins one pool connection until it is released; if
// that connection dies the server releases the lock, which is why callers
// still read back what they wrote.
type PGLocker struct {
	pool *pgxpool.Pool
}

// NewPGLocker returns a Locker using connections from pool.
func NewPGLocker(pool *pgxpool.Pool) *PGLocker { return &PGLocker{pool: pool} }

// Lock takes the session advisory lock for key (hashed with hashtext into
// the routing namespace; two keys sharing a hash merely wait for each other).
// Waiting happens in the server, in arrival order; cancelling ctx abandons
// the wait and the connection.
func (l *PGLocker) Lock(ctx context.Context, key string) (func(), error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: acquiring a PostgreSQL connection: %w", key, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, hashtext($2))", pgLockNamespace, key); err != nil {
		// The wait may still be queued in the server: closing the session
		// is the only sure way to withdraw it.
		_ = conn.Conn().Close(context.Background())
		conn.Release()
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var released bool
			err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", pgLockNamespace, key).Scan(&released)
			if err != nil || !released {
				// Never hand a connection that may still hold the lock back
				// to the pool: ending the session releases it.
				_ = conn.Conn().Close(ctx)
			}
			conn.Release()
		})
	}, nil
}

// LocalLocker is a Locker for one process (tests, single-worker tools): it
// does not protect against other processes.
type LocalLocker struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// NewLocalLocker returns an in-process Locker.
func NewLocalLocker() *LocalLocker { return &LocalLocker{locks: map[string]chan struct{}{}} }

// Lock takes the lock for key, waiting until it is free or ctx ends.
func (l *LocalLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	ch, ok := l.locks[key]
	if !ok {
		ch = make(chan struct{}, 1)
		l.locks[key] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-ch }) }, nil
}
