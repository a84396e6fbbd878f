package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/target"
	"github.com/migrawave/migrawave/internal/transfer"
	"github.com/migrawave/migrawave/internal/verify"
)

// DatabaseInput names a tenant and its target cluster.
type DatabaseInput struct {
	TenantRef
	Cluster string `json:"cluster"`
}

// CopyInput starts or resumes a tenant's copy.
type CopyInput struct {
	DatabaseInput
	// MaxRowsPerSecond caps what the copy reads from the source: 0 takes the
	// worker's migration.copy_max_rows_per_second, below 0 means no limit.
	MaxRowsPerSecond int64 `json:"max_rows_per_second,omitempty"`
}

// rowsPerSecond is the copy's limit for the engine (0: none).
func (in CopyInput) rowsPerSecond(cfg *config.Config) int64 {
	switch {
	case in.MaxRowsPerSecond > 0:
		return in.MaxRowsPerSecond
	case in.MaxRowsPerSecond < 0:
		return 0
	}
	return cfg.Migration.CopyMaxRowsPerSecond
}

// CreateDatabaseResult says which database the tenant got.
type CreateDatabaseResult struct {
	Database string `json:"database"`
}

// TableProgress is one table's copy outcome.
type TableProgress struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// CopyResult is what the copy moved.
type CopyResult struct {
	Tables []TableProgress `json:"tables"`
	Rows   int64           `json:"rows"`
	Bytes  int64           `json:"bytes"`
}

// Replacing is the copy with the tables of again, copied again, in place of
// their first copy.
func (c CopyResult) Replacing(again CopyResult) CopyResult {
	out := CopyResult{}
	for _, t := range c.Tables {
		if !slices.ContainsFunc(again.Tables, func(a TableProgress) bool { return a.Table == t.Table }) {
			out.Tables = append(out.Tables, t)
		}
	}
	out.Tables = append(out.Tables, again.Tables...)
	for _, t := range out.Tables {
		out.Rows += t.Rows
		out.Bytes += t.Bytes
	}
	return out
}

// MoveResult is what FreezeAndMove did: when the freeze began, what it
// copied, and the verification.
type MoveResult struct {
	Fenced   time.Time      `json:"fenced"`
	Copied   CopyResult     `json:"copied"`
	Verified *verify.Report `json:"verified"`
}

// CopyHeartbeat is the progress a copy reports; the checkpoint itself lives
// in the target database, committed with each chunk, which is what a retry
// resumes from.
type CopyHeartbeat struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// Data holds the activities that create, fill, check and drop tenant
// databases. They run on the data task queue.
type Data struct {
	cfg   *config.Config
	fence *fence
}

// NewData builds the data activities. The catalog is FreezeAndMove's, which
// freezes the tenant itself.
func NewData(cfg *config.Config, cat *catalog.Catalog) *Data {
	return &Data{cfg: cfg, fence: newFence(cfg, cat)}
}

// CreateDatabase creates the tenant's database on the cluster and marks it
// as this run's. A retry finds its own database and goes on; a database
// left by anything else is refused: a migration never adopts a copy it did
// not make.
func (a *Data) CreateDatabase(ctx context.Context, in DatabaseInput) (CreateDatabaseResult, error) {
	cl, err := a.cfg.Cluster(in.Cluster)
	if err != nil {
		return CreateDatabaseResult{}, badInput(err)
	}
	database := target.DatabaseName(a.cfg.Migration.DatabaseTemplate, in.TenantID)
	marker := target.RunMarker(activity.GetInfo(ctx).WorkflowExecution.RunID)
	conn, err := target.ConnectCluster(ctx, cl)
	if err != nil {
		return CreateDatabaseResult{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ours, err := conn.Claim(ctx, database, marker)
	if err != nil {
		return CreateDatabaseResult{}, temporalError(err)
	}
	if ours {
		return CreateDatabaseResult{Database: database}, nil // a retry, or an empty leftover
	}
	tr, err := transfer.Open(ctx, a.cfg, in.TenantID, in.Cluster, true)
	if err != nil {
		return CreateDatabaseResult{}, temporalError(err)
	}
	defer tr.Close()
	if err := conn.SetMarker(ctx, database, marker); err != nil {
		return CreateDatabaseResult{}, err
	}
	// Tables now, while the tenant still writes: less to do once frozen.
	// (A retry that finds the database its own leaves them to CopyData.)
	return CreateDatabaseResult{Database: database}, temporalError(tr.Copier().CreateTables(ctx))
}

// DropDatabase drops the tenant's database: the compensation of CreateDatabase.
func (a *Data) DropDatabase(ctx context.Context, in DatabaseInput) error {
	cl, err := a.cfg.Cluster(in.Cluster)
	if err != nil {
		return badInput(err)
	}
	conn, err := target.ConnectCluster(ctx, cl)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Drop(ctx, target.DatabaseName(a.cfg.Migration.DatabaseTemplate, in.TenantID))
}

// CopyData copies the tenant's rows, resuming from the checkpoints a
// previous attempt committed.
func (a *Data) CopyData(ctx context.Context, in CopyInput) (CopyResult, error) {
	tr, done, err := a.open(ctx, in.DatabaseInput)
	if err != nil {
		return CopyResult{}, err
	}
	defer done()
	return a.copy(ctx, tr, in)
}

func (a *Data) copy(ctx context.Context, tr *transfer.Transfer, in CopyInput) (CopyResult, error) {
	opts := a.copyOptions(ctx)
	opts.Resume, opts.MaxRowsPerSecond = true, in.rowsPerSecond(a.cfg)
	rep, err := tr.Copier().CopyData(ctx, opts)
	if err != nil {
		return CopyResult{}, temporalError(err)
	}
	return copyResult(rep), nil
}

// copyOptions are the copy's options with its progress reported, as
// heartbeats and metrics.
func (a *Data) copyOptions(ctx context.Context) bulkcopy.Options {
	metrics := activity.GetMetricsHandler(ctx)
	rowsCopied, bytesCopied := metrics.Counter("migrawave_rows_copied"), metrics.Counter("migrawave_bytes_copied")
	var mu sync.Mutex
	seen := map[string]bulkcopy.Progress{}
	return bulkcopy.Options{
		Parallelism: a.cfg.Migration.CopyParallelism,
		Progress: func(p bulkcopy.Progress) {
			activity.RecordHeartbeat(ctx, CopyHeartbeat{Table: p.Table, Rows: p.Rows, Bytes: p.Bytes})
			mu.Lock()
			last := seen[p.Table]
			seen[p.Table] = p
			mu.Unlock()
			rowsCopied.Inc(p.Rows - last.Rows)
			bytesCopied.Inc(p.Bytes - last.Bytes)
		},
	}
}

func copyResult(rep *bulkcopy.Report) CopyResult {
	out := CopyResult{Rows: rep.Rows, Bytes: rep.Bytes}
	for _, t := range rep.Tables {
		out.Tables = append(out.Tables, TableProgress{Table: t.Table, Rows: t.Rows, Bytes: t.Bytes})
	}
	return out
}

// BuildIndexes builds keys, indexes, constraints and sequences after the data.
func (a *Data) BuildIndexes(ctx context.Context, in DatabaseInput) error {
	tr, done, err := a.open(ctx, in)
	if err != nil {
		return err
	}
	defer done()
	return temporalError(tr.Copier().BuildAfterData(ctx, bulkcopy.Options{Parallelism: a.cfg.Migration.CopyParallelism}))
}

// Verify compares source and target; a difference is final: the saga rolls back.
func (a *Data) Verify(ctx context.Context, in DatabaseInput) (*verify.Report, error) {
	tr, done, err := a.open(ctx, in)
	if err != nil {
		return nil, err
	}
	defer done()
	return a.verifyMatch(ctx, tr)
}

// verifyMatch compares as migration.verify says, and fails for good on a
// difference.
func (a *Data) verifyMatch(ctx context.Context, tr *transfer.Transfer) (*verify.Report, error) {
	rep, err := a.compare(ctx, tr, a.cfg.Migration.Verify == config.VerifyCounts)
	if err == nil && !rep.Match {
		err = temporal.NewNonRetryableApplicationError("verification failed: "+rep.Summary(), ErrTypeVerificationFailed, nil, rep)
	}
	return rep, err
}

// FreezeAndMove moves a small tenant's data in one step, on connections
// opened before the freeze: it builds the empty tables' keys and indexes,
// freezes the tenant, copies, builds the foreign keys and verifies. Apart,
// those steps spent more time opening connections, building indexes and
// passing through Temporal than moving rows: on the loaded demo (400 to
// 30,000 rows), copy 334, build 494, verify 268 ms at the median, and about
// 45 ms between each two. The workflow registers the unfreeze before it.
// Migrations started before FreezeAndSync (short-freeze version 3) still
// call it.
func (a *Data) FreezeAndMove(ctx context.Context, in CopyInput) (MoveResult, error) {
	took := stopwatch()
	tr, done, err := a.open(ctx, in.DatabaseInput)
	if err != nil {
		return MoveResult{}, err
	}
	defer done()
	if err := tr.Warm(ctx, a.cfg.Migration.CopyParallelism); err != nil {
		return MoveResult{}, err
	}
	if err := tr.Copier().BuildEmpty(ctx); err != nil {
		return MoveResult{}, temporalError(err)
	}
	prepared := took()
	out, err := a.closeFence(ctx, in.TenantRef)
	if err != nil {
		return out, err
	}
	fenced := took()
	if out.Copied, err = a.copy(ctx, tr, in); err != nil {
		return out, err
	}
	copied := took()
	activity.RecordHeartbeat(ctx, "building the foreign keys")
	if err := tr.Copier().BuildRest(ctx); err != nil {
		return out, temporalError(err)
	}
	built := took()
	activity.RecordHeartbeat(ctx, "verifying")
	if out.Verified, err = a.verifyMatch(ctx, tr); err != nil {
		return out, err
	}
	activity.GetLogger(ctx).Info("frozen, copied, built and verified", "tenant", in.TenantID, "rows", out.Copied.Rows,
		"prepare_ms", prepared, "fence_ms", fenced, "copy_ms", copied, "build_ms", built, "verify_ms", took())
	return out, nil
}

// FreezeAndSync freezes a tenant whose rows were copied and built while it
// still took writes, and brings its database up to date: it compares every
// table by its digests, copies again, whole, the tables written since the
// copy (with those that reference them), and verifies those. The tenant is
// frozen for that, not for its whole copy: on the loaded demo (700 to
// 32,000 rows) copy, build and verify took 436 ms at the median and 1,720
// ms at most when all of them ran frozen. Its connections are open before
// the freeze. The workflow registers the unfreeze before it.
func (a *Data) FreezeAndSync(ctx context.Context, in DatabaseInput) (MoveResult, error) {
	took := stopwatch()
	tr, done, err := a.open(ctx, in)
	if err != nil {
		return MoveResult{}, err
	}
	defer done()
	if err := tr.Warm(ctx, a.cfg.Migration.CopyParallelism); err != nil {
		return MoveResult{}, err
	}
	prepared := took()
	out, err := a.closeFence(ctx, in.TenantRef)
	if err != nil {
		return out, err
	}
	fenced := took()
	activity.RecordHeartbeat(ctx, "comparing")
	first, err := tr.Verifier().Run(ctx, verify.Options{Parallelism: a.cfg.Migration.CopyParallelism, Shallow: true})
	if err != nil {
		return out, temporalError(err)
	}
	var written []string
	for _, t := range first.Tables {
		if !t.Match {
			written = append(written, t.Table)
		}
	}
	compared := took()
	if len(written) == 0 {
		out.Verified = first
	} else if out.Copied, out.Verified, err = a.recopyAndVerify(ctx, tr, first, written); err != nil {
		return out, err
	}
	activity.GetLogger(ctx).Info("frozen and synced", "tenant", in.TenantID, "written", written, "rows_copied_again", out.Copied.Rows,
		"prepare_ms", prepared, "fence_ms", fenced, "compare_ms", compared, "sync_ms", took())
	return out, nil
}

// closeFence freezes the tenant and says since when: now, or when an
// earlier attempt of the activity closed the fence.
func (a *Data) closeFence(ctx context.Context, ref TenantRef) (MoveResult, error) {
	if err := a.fence.set(ctx, FreezeInput{TenantRef: ref, Frozen: true}); err != nil {
		return MoveResult{}, err
	}
	out := MoveResult{Fenced: time.Now()}
	if activity.GetInfo(ctx).Attempt > 1 {
		var err error
		out.Fenced, err = a.fence.firstFenced(ctx, ref)
		return out, err
	}
	return out, nil
}

// recopyAndVerify copies the tables written since the copy again, with the
// tables that reference them, verifies those, and reports the whole tenant:
// the others matched in the first comparison, and nothing changed them
// since, as the tenant is frozen. It is not throttled: it runs frozen, and
// holds at most a small tenant's tables.
func (a *Data) recopyAndVerify(ctx context.Context, tr *transfer.Transfer, first *verify.Report, written []string) (CopyResult, *verify.Report, error) {
	rep, err := tr.Copier().Recopy(ctx, written, a.copyOptions(ctx))
	if err != nil {
		return CopyResult{}, nil, temporalError(err)
	}
	again := copyResult(rep)
	var tables []string
	for _, t := range again.Tables {
		tables = append(tables, t.Table)
	}
	activity.RecordHeartbeat(ctx, "verifying")
	last, err := a.compare(ctx, tr, a.cfg.Migration.Verify == config.VerifyCounts, tables...)
	if err != nil {
		return again, nil, err
	}
	out := *last
	out.Tables, out.Duration, out.Finished = nil, first.Duration+last.Duration, first.Finished
	for _, t := range first.Tables {
		if !slices.Contains(tables, t.Table) {
			out.Tables = append(out.Tables, t)
		}
	}
	out.Tables = append(out.Tables, last.Tables...)
	if !out.Match {
		return again, &out, temporal.NewNonRetryableApplicationError("verification failed: "+out.Summary(), ErrTypeVerificationFailed, nil, &out)
	}
	return again, &out, nil
}

// open opens the tenant's source and target, and heartbeats until done:
// chunks report progress as they commit, and the ticker covers a chunk of
// large rows, or a step, that takes longer than the heartbeat timeout.
func (a *Data) open(ctx context.Context, in DatabaseInput) (tr *transfer.Transfer, done func(), err error) {
	if tr, err = transfer.Open(ctx, a.cfg, in.TenantID, in.Cluster, false); err != nil {
		return nil, nil, temporalError(err)
	}
	stop := heartbeatWhile(ctx)
	return tr, func() { stop(); tr.Close() }, nil
}

// stopwatch returns a function that gives the milliseconds since its
// previous call (the first: since stopwatch).
func stopwatch() func() int64 {
	last := time.Now()
	return func() int64 {
		now := time.Now()
		d := now.Sub(last)
		last = now
		return d.Milliseconds()
	}
}

// CheckNoWriteAfterFreeze is the write-after-freeze alarm, run immediately
// before the cutover commits: it compares source and target again, row by
// row whatever migration.verify says. The target has taken no write since
// it was verified (the tenant is frozen and still routed to the source), so
// a difference is a write that reached the source after the freeze, from a
// writer that ignored the fence: cutting over would lose it. It is final,
// naming the table and key, and the saga rolls back.
func (a *Data) CheckNoWriteAfterFreeze(ctx context.Context, in DatabaseInput) error {
	tr, done, err := a.open(ctx, in)
	if err != nil {
		return err
	}
	defer done()
	rep, err := a.compare(ctx, tr, false)
	if err == nil && !rep.Match {
		err = temporal.NewNonRetryableApplicationError("written in the source after the freeze, which the cutover would lose: "+lateWrites(rep),
			ErrTypeWriteAfterFreeze, nil, rep)
	}
	return err
}

// lateWrites names the rows written in the source since the target was
// verified: inserted (missing in the target), updated (different) or
// deleted (extra in the target), by table and key.
func lateWrites(rep *verify.Report) string {
	var parts []string
	for _, t := range rep.Tables {
		for _, kind := range []struct {
			what string
			n    int64
			keys []string
		}{{"inserted", t.MissingCount, t.Missing}, {"updated", t.DifferentCount, t.Different}, {"deleted", t.ExtraCount, t.Extra}} {
			if kind.n > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d %s %s", t.Table, kind.n, kind.what, strings.Join(kind.keys, " ")))
			}
		}
	}
	return strings.Join(parts, "; ")
}

func (a *Data) compare(ctx context.Context, tr *transfer.Transfer, countsOnly bool, tables ...string) (*verify.Report, error) {
	rep, err := tr.Verifier().Run(ctx, verify.Options{Tables: tables, Parallelism: a.cfg.Migration.CopyParallelism, CountsOnly: countsOnly})
	return rep, temporalError(err)
}

// FinishTarget removes the copy's bookkeeping once the tenant is cut over,
// and vacuums the small tables the build left to after the freeze.
func (a *Data) FinishTarget(ctx context.Context, in DatabaseInput) error {
	cl, err := a.cfg.Cluster(in.Cluster)
	if err != nil {
		return badInput(err)
	}
	pool, err := target.Open(ctx, cl, target.DatabaseName(a.cfg.Migration.DatabaseTemplate, in.TenantID), 1)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := bulkcopy.DropBookkeeping(ctx, pool); err != nil {
		return err
	}
	return bulkcopy.VacuumSmall(ctx, pool)
}

// heartbeatWhile heartbeats every 10 seconds until the returned stop is
// called, for steps that report no progress of their own.
func heartbeatWhile(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done) }
}
