package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/placement"
	"github.com/migrawave/migrawave/internal/source"
)

// Tenant end states recorded in the catalog after a rollback.
const (
	StateRolledBack = catalog.StateRolledBack
	StateFailed     = catalog.StateFailed
)

// TenantRef names a tenant and the workflow acting on it (for the catalog's events).
type TenantRef struct {
	TenantID   string `json:"tenant_id"`
	WorkflowID string `json:"workflow_id"`
}

// PrecheckInput asks whether a tenant can be migrated to a cluster (empty: placement decides).
type PrecheckInput struct {
	TenantRef
	Cluster string `json:"cluster,omitempty"`
}

// PrecheckResult is what the workflow needs to know of the tenant.
type PrecheckResult struct {
	Hostname    string `json:"hostname"`
	RowEstimate int64  `json:"row_estimate"`
}

// FreezeInput sets or lifts a tenant's write freeze.
type FreezeInput struct {
	TenantRef
	Frozen bool `json:"frozen"`
}

// CutOverInput points the catalog at the tenant's new database.
type CutOverInput struct {
	TenantRef
	Cluster  string `json:"cluster"`
	Database string `json:"database"`
	// Unfreeze lifts the freeze in the same catalog change.
	Unfreeze bool `json:"unfreeze,omitempty"`
}

// StateInput records how a migration ended.
type StateInput struct {
	TenantRef
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Catalog holds the activities that read and write the tenant catalog.
// Every write is a compare-and-set on the row's version that first checks
// whether the row is already as wanted, so a retry after a crash is a no-op.
type Catalog struct {
	cfg   *config.Config
	cat   *catalog.Catalog
	fence *fence
}

// NewCatalog builds the catalog activities.
func NewCatalog(cfg *config.Config, cat *catalog.Catalog) *Catalog {
	return &Catalog{cfg: cfg, cat: cat, fence: newFence(cfg, cat)}
}

// fence closes and opens a tenant's writes: the catalog's frozen flag, which
// the application obeys, and the fence row in the source, which holds the
// writers that do not. The catalog and the data activities both use it.
type fence struct {
	cfg *config.Config
	cat *catalog.Catalog

	mu  sync.Mutex
	src *sql.DB // the source, where the fence row lives; opened on first use
}

func newFence(cfg *config.Config, cat *catalog.Catalog) *fence {
	return &fence{cfg: cfg, cat: cat}
}

func (f *fence) source(ctx context.Context) (*sql.DB, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.src == nil {
		db, _, err := source.Open(ctx, f.cfg.Source.DSN)
		if err != nil {
			return nil, err
		}
		f.src = db
	}
	return f.src, nil
}

// ConfigFingerprint is this worker's configuration fingerprint, which a
// workflow started without one adopts (a local activity).
func (a *Catalog) ConfigFingerprint(context.Context) (string, error) {
	return a.cfg.Fingerprint(), nil
}

// Precheck refuses a tenant that is unknown, not in the source, frozen by
// someone else or bound for a cluster that does not exist or is draining.
func (a *Catalog) Precheck(ctx context.Context, in PrecheckInput) (PrecheckResult, error) {
	if err := catalog.ValidateTenantID(in.TenantID); err != nil {
		return PrecheckResult{}, badInput(err)
	}
	t, err := a.cat.Get(ctx, in.TenantID)
	if errors.Is(err, catalog.ErrNotFound) {
		return PrecheckResult{}, badInput(fmt.Errorf("%w: run `migrawave catalog import` first", err))
	}
	if err != nil {
		return PrecheckResult{}, err
	}
	if t.Location != catalog.LocationSource {
		return PrecheckResult{}, badInput(fmt.Errorf("tenant %s already lives in %s", t.ID, t.Location))
	}
	if in.Cluster != "" {
		cl, err := a.cfg.Cluster(in.Cluster)
		if err != nil {
			return PrecheckResult{}, badInput(err)
		}
		if cl.Draining {
			return PrecheckResult{}, badInput(fmt.Errorf("cluster %s is draining: it takes no new tenants", cl.Name))
		}
	}
	if t.State != catalog.StateMigrating {
		state := catalog.StateMigrating
		if _, err := a.cat.Update(ctx, t.ID, t.Version, catalog.Change{State: &state, Kind: "migration-started", WorkflowID: in.WorkflowID}); err != nil {
			return PrecheckResult{}, err
		}
	}
	return PrecheckResult{Hostname: t.Hostname, RowEstimate: t.RowEstimate}, nil
}

// Place picks the cluster with the most free capacity for the tenant and
// records it in the catalog.
func (a *Catalog) Place(ctx context.Context, ref TenantRef) (string, error) {
	t, err := a.cat.Get(ctx, ref.TenantID)
	if err != nil {
		return "", err
	}
	if t.Cluster != "" {
		return t.Cluster, nil // placed by an earlier attempt
	}
	usage, err := a.cat.ClusterUsage(ctx)
	if err != nil {
		return "", err
	}
	cluster, err := placement.Choose(usage, t.SizeBytes)
	if err != nil {
		return "", badInput(err)
	}
	if _, err := a.cat.Update(ctx, t.ID, t.Version, catalog.Change{Cluster: &cluster, Kind: "placed", WorkflowID: ref.WorkflowID}); err != nil {
		return "", err
	}
	return cluster, nil
}

// SetFrozen sets or lifts the tenant's write freeze, in both places the
// application honours it (docs/application-contract.md). Freezing sets the
// catalog's flag first, which tells the application at once (NOTIFY) to stop
// writing and consuming, then the source's fence, which waits for the
// transactions in flight and refuses every later one. Lifting it opens the
// fence again, or, once the tenant lives in its own database, leaves the
// source refusing its writes for good; then it clears the flag. Each step
// is idempotent, so a retry completes what a crash interrupted.
func (a *Catalog) SetFrozen(ctx context.Context, in FreezeInput) error {
	return a.fence.set(ctx, in)
}

// set freezes the tenant (the flag, then the fence) or unfreezes it (the
// fence, then the flag). A tenant that has moved keeps its source fence
// closed for good.
func (f *fence) set(ctx context.Context, in FreezeInput) error {
	t, err := f.cat.Get(ctx, in.TenantID)
	if err != nil {
		return err
	}
	fence := source.FenceFrozen
	if !in.Frozen {
		fence = source.FenceOpen
		if t.Location != catalog.LocationSource {
			fence = source.FenceMoved
		}
	}
	if in.Frozen {
		if t, err = f.setFlag(ctx, t, in); err != nil {
			return err
		}
	}
	db, err := f.source(ctx)
	if err != nil {
		return err
	}
	if err := source.SetFence(ctx, db, t.ID, fence); err != nil {
		return err
	}
	if in.Frozen {
		// From here on nothing commits for the tenant in the source: the
		// event is what the application's ledger check measures against.
		return f.cat.Note(ctx, t.ID, catalog.EventFenced, in.WorkflowID)
	}
	_, err = f.setFlag(ctx, t, in)
	return err
}

// firstFenced is when the tenant's current freeze closed its fence: the first
// "fenced" event since it was last unfrozen. A retried step notes the fence
// again.
func (f *fence) firstFenced(ctx context.Context, ref TenantRef) (time.Time, error) {
	events, err := f.cat.Events(ctx, ref.TenantID)
	if err != nil {
		return time.Time{}, err
	}
	var first string
	for _, e := range events {
		switch {
		case e.Kind == catalog.EventUnfrozen:
			first = ""
		case e.Kind == catalog.EventFenced && first == "":
			first = e.At
		}
	}
	if first == "" {
		return time.Time{}, fmt.Errorf("catalog: tenant %s is not fenced", ref.TenantID)
	}
	return time.Parse(time.RFC3339Nano, first)
}

// setFlag sets the catalog's frozen flag of t as in says.
func (f *fence) setFlag(ctx context.Context, t catalog.Tenant, in FreezeInput) (catalog.Tenant, error) {
	if t.Frozen == in.Frozen {
		return t, nil
	}
	kind := catalog.EventUnfrozen
	if in.Frozen {
		kind = "freeze"
	}
	return f.cat.Update(ctx, t.ID, t.Version, catalog.Change{Frozen: &in.Frozen, Kind: kind, WorkflowID: in.WorkflowID})
}

// CutOver makes the catalog route the tenant to its new database. With
// Unfreeze, the same compare-and-set lifts the freeze: the application sees
// one change (NOTIFY) and writes in the new database at once, and a failed
// cutover changed nothing. The source fence stays closed.
func (a *Catalog) CutOver(ctx context.Context, in CutOverInput) error {
	t, err := a.cat.Get(ctx, in.TenantID)
	if err != nil {
		return err
	}
	location := in.Cluster + "/" + in.Database
	if t.Location == location && !(in.Unfreeze && t.Frozen) {
		return nil
	}
	state := catalog.StateMigrated
	ch := catalog.Change{Location: &location, Cluster: &in.Cluster, Database: &in.Database, State: &state, Kind: "cutover", WorkflowID: in.WorkflowID}
	if in.Unfreeze {
		unfrozen := false
		ch.Frozen = &unfrozen
	}
	_, err = a.cat.Update(ctx, t.ID, t.Version, ch)
	return err
}

// RestoreSource routes the tenant back to the source.
func (a *Catalog) RestoreSource(ctx context.Context, ref TenantRef) error {
	t, err := a.cat.Get(ctx, ref.TenantID)
	if err != nil {
		return err
	}
	if t.Location == catalog.LocationSource {
		return nil
	}
	location, none := catalog.LocationSource, ""
	_, err = a.cat.Update(ctx, t.ID, t.Version, catalog.Change{Location: &location, Database: &none, Kind: "rollback", WorkflowID: ref.WorkflowID})
	return err
}

// SetState records how the migration ended; a rolled-back tenant also
// forgets its placement, so the next attempt places it afresh.
func (a *Catalog) SetState(ctx context.Context, in StateInput) error {
	t, err := a.cat.Get(ctx, in.TenantID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil // an unknown tenant never got further than the precheck
	}
	if err != nil {
		return err
	}
	if t.State == in.State {
		return nil
	}
	ch := catalog.Change{State: &in.State, Kind: in.State, WorkflowID: in.WorkflowID}
	if t.Location == catalog.LocationSource {
		none := ""
		ch.Cluster = &none
	}
	_, err = a.cat.Update(ctx, t.ID, t.Version, ch)
	return err
}
