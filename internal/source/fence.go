package source

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FenceTable is migrawave's own table in the source database: one row per
// tenant, which every application transaction that writes a tenant's rows
// reads first with a shared lock (FenceQuery), and writes only if the row
// says FenceOpen. Freezing updates the row: the update waits for the
// transactions that read it open to end, and every later one reads it
// frozen. So once SetFence returns, no write of the tenant commits to the
// source, neither one in flight nor one from an application instance that
// saw the catalog late. It is never copied (Plan leaves it out).
const FenceTable = "migrawave_fence"

// Fence states.
const (
	// FenceOpen: the tenant lives in the source and takes writes there.
	FenceOpen = "open"
	// FenceFrozen: a migration has frozen the tenant's writes.
	FenceFrozen = "frozen"
	// FenceMoved: the tenant lives in its own database now; the source
	// must never take its writes again.
	FenceMoved = "moved"
)

// FenceQuery is what an application transaction runs first, with the tenant
// id as its parameter: no row, or FenceOpen, lets it write the tenant.
const FenceQuery = "SELECT state FROM " + FenceTable + " WHERE tenant_id = ? LOCK IN SHARE MODE"

// fenceLockWait bounds how long freezing waits for the transactions in
// flight; an application transaction is short, so a longer wait means one
// that hangs, and the activity's retry tries again.
const fenceLockWait = 10 * time.Second

// CreateFence creates the fence table if it is missing. An application
// refuses a tenant's writes while it is missing: a fence created after a
// write read "no table" would not wait for that write.
func CreateFence(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+FenceTable+` (
		tenant_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
		state enum('open','frozen','moved') NOT NULL DEFAULT 'open',
		changed_at datetime(6) NOT NULL DEFAULT current_timestamp(6)
	) ENGINE=InnoDB COMMENT='migrawave: the write fence of every tenant (docs/application-contract.md)'`)
	if err != nil {
		return fmt.Errorf("source: creating the fence table %s: %w", FenceTable, err)
	}
	return nil
}

// SetFence puts the tenant's fence in state, creating the row as needed.
// Freezing returns only once every transaction that read the fence open
// has ended.
func SetFence(ctx context.Context, db *sql.DB, tenant, state string) error {
	if err := CreateFence(ctx, db); err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("source: fence of %s: %w", tenant, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION innodb_lock_wait_timeout = %d", int(fenceLockWait.Seconds()))); err != nil {
		return fmt.Errorf("source: fence of %s: %w", tenant, err)
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO `+FenceTable+` (tenant_id, state, changed_at) VALUES (?, ?, NOW(6))
		ON DUPLICATE KEY UPDATE changed_at = IF(state = VALUES(state), changed_at, NOW(6)), state = VALUES(state)`, tenant, state)
	if err != nil {
		return fmt.Errorf("source: setting the fence of %s to %s: %w", tenant, state, err)
	}
	return nil
}
