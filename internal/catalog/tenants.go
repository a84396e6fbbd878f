package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const tenantColumns = `tenant_id, hostname, location, coalesce(cluster, ''), coalesce(database, ''),
	state, frozen, size_bytes, row_estimate, version, updated_at`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Hostname, &t.Location, &t.Cluster, &t.Database,
		&t.State, &t.Frozen, &t.SizeBytes, &t.RowEstimate, &t.Version, &t.UpdatedAt)
	return t, err
}

// Registration is what import knows of a tenant found in the source.
type Registration struct {
	ID          string
	Hostname    string
	SizeBytes   int64
	RowEstimate int64
}

// ImportResult counts what Register did.
type ImportResult struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Register adds tenants that are new and refreshes the estimates and hostname
// of those still in the source. A tenant that has moved keeps its row as it
// is: its size now lives in the target. The size estimate comes from table
// statistics that drift on their own, so it is refreshed only with a changed
// row count or hostname; a second import of unchanged data changes nothing.
func (c *Catalog) Register(ctx context.Context, regs []Registration) (ImportResult, error) {
	var res ImportResult
	for _, r := range regs {
		if err := ValidateTenantID(r.ID); err != nil {
			return res, err
		}
	}
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		for _, r := range regs {
			var inserted bool
			err := tx.QueryRow(ctx, `
				INSERT INTO tenants AS t (tenant_id, hostname, size_bytes, row_estimate)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (tenant_id) DO UPDATE
				SET hostname = excluded.hostname, size_bytes = excluded.size_bytes,
				    row_estimate = excluded.row_estimate, version = t.version + 1, updated_at = now()
				WHERE t.location = 'source'
				  AND (t.hostname, t.row_estimate) IS DISTINCT FROM (excluded.hostname, excluded.row_estimate)
				RETURNING (xmax = 0)`, r.ID, r.Hostname, r.SizeBytes, r.RowEstimate).Scan(&inserted)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				res.Unchanged++
			case err != nil:
				return fmt.Errorf("registering tenant %s: %w", r.ID, err)
			case inserted:
				res.Added++
			default:
				res.Updated++
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("catalog: %w", err)
	}
	return res, nil
}

// Get returns one tenant, or an error wrapping ErrNotFound.
func (c *Catalog) Get(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(c.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE tenant_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, fmt.Errorf("%w %q", ErrNotFound, id)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("catalog: reading tenant %s: %w", id, err)
	}
	return t, nil
}

// Unknown returns the ids the catalog does not hold, in the order given.
func (c *Catalog) Unknown(ctx context.Context, ids []string) ([]string, error) {
	rows, err := c.pool.Query(ctx, `SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)
		WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.tenant_id = u.id) ORDER BY u.n`, ids)
	if err != nil {
		return nil, fmt.Errorf("catalog: looking up tenants: %w", err)
	}
	unknown, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("catalog: looking up tenants: %w", err)
	}
	return unknown, nil
}

// Filter selects tenants in List; zero fields select everything.
type Filter struct {
	State   string
	Cluster string
	Limit   int
}

// List returns tenants ordered by id.
func (c *Catalog) List(ctx context.Context, f Filter) ([]Tenant, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := c.pool.Query(ctx, `SELECT `+tenantColumns+` FROM tenants
		WHERE ($1 = '' OR state = $1) AND ($2 = '' OR cluster = $2)
		ORDER BY tenant_id LIMIT $3`, f.State, f.Cluster, limit)
	if err != nil {
		return nil, fmt.Errorf("catalog: listing tenants: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Tenant, error) { return scanTenant(r) })
	if err != nil {
		return nil, fmt.Errorf("catalog: listing tenants: %w", err)
	}
	return tenants, nil
}

// Change is a compare-and-set update of one tenant. Nil fields are left as
// they are. Kind and WorkflowID describe the event recorded with it.
type Change struct {
	Location   *string
	Cluster    *string
	Database   *string
	State      *string
	Frozen     *bool
	Kind       string
	WorkflowID string
}

// Update applies ch to the tenant if its version is still expected, bumps the
// version and appends an event, in one transaction. It returns the new row,
// or a *VersionConflictError when someone else changed the row first.
func (c *Catalog) Update(ctx context.Context, id string, expected int64, ch Change) (Tenant, error) {
	if ch.Kind == "" {
		return Tenant{}, errors.New("catalog: a change needs a kind for its event")
	}
	var out Tenant
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		var fromLocation string
		var version int64
		err := tx.QueryRow(ctx, `SELECT location, version FROM tenants WHERE tenant_id = $1 FOR UPDATE`, id).Scan(&fromLocation, &version)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w %q", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if version != expected {
			return &VersionConflictError{TenantID: id, Expected: expected, Found: version}
		}
		out, err = scanTenant(tx.QueryRow(ctx, `
			UPDATE tenants SET
			    location = coalesce($2, location),
			    cluster  = CASE WHEN $3::text IS NULL THEN cluster ELSE nullif($3, '') END,
			    database = CASE WHEN $4::text IS NULL THEN database ELSE nullif($4, '') END,
			    state    = coalesce($5, state),
			    frozen   = coalesce($6, frozen),
			    version  = version + 1,
			    updated_at = now()
			WHERE tenant_id = $1
			RETURNING `+tenantColumns, id, ch.Location, ch.Cluster, ch.Database, ch.State, ch.Frozen))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tenant_events (tenant_id, from_location, to_location, workflow_id, kind)
			VALUES ($1, $2, $3, $4, $5)`, id, fromLocation, out.Location, ch.WorkflowID, ch.Kind)
		return err
	})
	var conflict *VersionConflictError
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.As(err, &conflict) {
		return Tenant{}, fmt.Errorf("catalog: updating tenant %s: %w", id, err)
	}
	return out, err
}

// Note appends an event to the tenant's history that changes nothing else,
// such as when its source fence closed.
func (c *Catalog) Note(ctx context.Context, id, kind, workflowID string) error {
	tag, err := c.pool.Exec(ctx, `INSERT INTO tenant_events (tenant_id, from_location, to_location, workflow_id, kind)
		SELECT tenant_id, location, location, $2, $3 FROM tenants WHERE tenant_id = $1`, id, workflowID, kind)
	if err != nil {
		return fmt.Errorf("catalog: noting %s of tenant %s: %w", kind, id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w %q", ErrNotFound, id)
	}
	return nil
}

// Event is one row of tenant_events.
type Event struct {
	TenantID     string `json:"tenant_id"`
	At           string `json:"at"`
	FromLocation string `json:"from_location"`
	ToLocation   string `json:"to_location"`
	WorkflowID   string `json:"workflow_id"`
	Kind         string `json:"kind"`
}

// Events returns a tenant's history, oldest first.
func (c *Catalog) Events(ctx context.Context, id string) ([]Event, error) {
	rows, err := c.pool.Query(ctx, `SELECT tenant_id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		from_location, to_location, workflow_id, kind FROM tenant_events WHERE tenant_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("catalog: reading events of %s: %w", id, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
}
