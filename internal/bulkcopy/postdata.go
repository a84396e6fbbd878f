package bulkcopy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/migrawave/migrawave/internal/parallel"
	"github.com/migrawave/migrawave/internal/schema"
)

// indexBuilds is how many indexes of one table are built at once, each in a
// session of its own.
var indexBuilds = 3

// buildAfterData builds every table (keys, indexes, checks, sequences,
// triggers, statistics), several tables at once, then the foreign keys
// between them. Steps are idempotent, so a resumed copy simply runs them all
// again.
func buildAfterData(ctx context.Context, pool *pgxpool.Pool, tables []*schema.Table, parallelism int) error {
	sizes, err := tableSizes(ctx, pool)
	if err != nil {
		return err
	}
	// The largest first, so that none is left to build alone at the end.
	tables = slices.Clone(tables)
	sort.SliceStable(tables, func(i, j int) bool { return sizes[tables[i].Name] > sizes[tables[j].Name] })
	err = parallel.Each(ctx, tables, parallelism, func(ctx context.Context, t *schema.Table) error {
		return buildTable(ctx, pool, t, sizes[t.Name] >= vacuumFirstBytes)
	})
	if err != nil {
		return err
	}
	return buildForeignKeys(ctx, pool, tables, parallelism)
}

// vacuumFirstBytes is the size from which a table is vacuumed before its
// indexes are built; smaller ones are vacuumed by VacuumSmall, after the
// cutover. On the demo under its application's load, VACUUM (ANALYZE) of
// tables of 100 KB to 2 MB took 10 to 126 ms each, most of a small
// tenant's Indexing phase, during which the tenant is frozen; what it saves
// the index builds and the verification of such a table is less.
const vacuumFirstBytes = 8 << 20

// VacuumSmall vacuums and analyzes the tables that the build left to
// after the cutover (smaller than vacuumFirstBytes).
func VacuumSmall(ctx context.Context, pool *pgxpool.Pool) error {
	sizes, err := tableSizes(ctx, pool)
	if err != nil {
		return err
	}
	for table, size := range sizes {
		if size >= vacuumFirstBytes {
			continue
		}
		if err := vacuum(ctx, pool, table); err != nil {
			return err
		}
	}
	return nil
}

func vacuum(ctx context.Context, pool *pgxpool.Pool, table string) error {
	if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) "+schema.QuoteIdent(table)); err != nil {
		return fmt.Errorf("target: vacuuming %s: %w", table, err)
	}
	return nil
}

// buildTable builds everything of one table that does not depend on another
// table, once its data is in: VACUUM (ANALYZE) first if vacuumFirst; then
// its indexes, the primary key's among them, several at once; then its
// primary key and checks in one ALTER TABLE (one scan validates them all);
// identity restarts and triggers. It can run again after a crash.
//
// The VACUUM sets every freshly copied row's hint bits and the visibility
// map while the table has no index to clean up, once, instead of each index
// build setting the hint bits again; and it leaves autovacuum nothing to do,
// which would otherwise visit every new tenant database just as it is
// verified and switched over.
func buildTable(ctx context.Context, pool *pgxpool.Pool, t *schema.Table, vacuumFirst bool) error {
	b := t.Build()
	if vacuumFirst {
		if err := vacuum(ctx, pool, t.Name); err != nil {
			return err
		}
	}
	err := parallel.Each(ctx, b.Indexes, indexBuilds, func(ctx context.Context, st schema.Step) error {
		return execStep(ctx, pool, st.Table, st.SQL)
	})
	if err != nil {
		return err
	}
	if len(b.Constraints) > 0 {
		existing, err := constraints(ctx, pool, t.Name)
		if err != nil {
			return err
		}
		var missing []schema.Constraint
		for _, c := range b.Constraints {
			if _, ok := existing[constraintKey{t.Name, c.Name}]; !ok {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			if err := execStep(ctx, pool, t.Name, schema.AddConstraints(t.Name, missing)); err != nil {
				return err
			}
		}
	}
	for _, st := range slices.Concat(b.Sequences, b.Triggers) {
		if err := execStep(ctx, pool, st.Table, st.SQL); err != nil {
			return err
		}
	}
	return nil
}

// buildForeignKeys creates the foreign keys between the tables, once every
// table is built. Each is added NOT VALID first, one after the other: that
// only writes the catalog, but locks both tables in a mode that conflicts
// with itself. Then the tables validate their keys at once, parallelism at
// most, each table its own keys one after the other: validating locks the
// table in a mode that conflicts with itself, and the referenced table in
// one that conflicts with no other validation, so they neither wait for each
// other nor deadlock. A key left NOT VALID by a crash is validated on the
// next run.
func buildForeignKeys(ctx context.Context, pool *pgxpool.Pool, tables []*schema.Table, parallelism int) error {
	selected := map[string]bool{}
	for _, t := range tables {
		selected[t.Name] = true
	}
	var groups [][]schema.Step
	for _, t := range tables {
		var steps []schema.Step
		for _, st := range t.ForeignKeySteps() {
			// A copy of some of the tables may lack a referenced one (yet).
			if selected[st.RefTable] {
				steps = append(steps, st)
			}
		}
		if len(steps) > 0 {
			groups = append(groups, steps)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	existing, err := constraints(ctx, pool, "")
	if err != nil {
		return err
	}
	sizes, err := tableSizes(ctx, pool)
	if err != nil {
		return err
	}
	for _, steps := range groups {
		for _, st := range steps {
			if _, ok := existing[constraintKey{st.Table, st.Constraint}]; ok {
				continue
			}
			if err := execStep(ctx, pool, st.Table, st.SQL); err != nil {
				return err
			}
		}
	}
	// Validating reads the table and the referenced one: the tables with the
	// most to read first.
	work := func(steps []schema.Step) (n int64) {
		for _, st := range steps {
			n += sizes[st.Table] + sizes[st.RefTable]
		}
		return n
	}
	sort.SliceStable(groups, func(i, j int) bool { return work(groups[i]) > work(groups[j]) })
	return parallel.Each(ctx, groups, parallelism, func(ctx context.Context, steps []schema.Step) error {
		for _, st := range steps {
			if existing[constraintKey{st.Table, st.Constraint}] {
				continue // there and valid
			}
			if err := execStep(ctx, pool, st.Table, st.Validate); err != nil {
				return err
			}
		}
		return nil
	})
}

type constraintKey struct{ table, name string }

// constraints returns the constraints of the table, or of every table when
// table is empty, and whether each is valid.
func constraints(ctx context.Context, pool *pgxpool.Pool, table string) (map[constraintKey]bool, error) {
	rows, err := pool.Query(ctx, `SELECT r.relname, c.conname, c.convalidated FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
		WHERE r.relnamespace = 'public'::regnamespace AND ($1 = '' OR r.relname = $1)`, table)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	out := map[constraintKey]bool{}
	var k constraintKey
	var valid bool
	if _, err := pgx.ForEachRow(rows, []any{&k.table, &k.name, &valid}, func() error {
		out[k] = valid
		return nil
	}); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return out, nil
}

// tableSizes returns the size of every table, in bytes.
func tableSizes(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	rows, err := pool.Query(ctx, `SELECT relname, pg_relation_size(oid) FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	sizes := map[string]int64{}
	var name string
	var size int64
	if _, err := pgx.ForEachRow(rows, []any{&name, &size}, func() error {
		sizes[name] = size
		return nil
	}); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return sizes, nil
}

// execStep runs one statement of a table's, again when PostgreSQL chose it
// as the victim of a deadlock (which only others' sessions can cause).
func execStep(ctx context.Context, pool *pgxpool.Pool, table, sql string) error {
	for attempt := 1; ; attempt++ {
		_, err := pool.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if err != nil && attempt < 3 && errors.As(err, &pgErr) && pgErr.Code == "40P01" {
			continue
		}
		if err != nil {
			return fmt.Errorf("target: table %s: %w", table, err)
		}
		return nil
	}
}

// buildEmpty builds on the empty tables of a small tenant what its rows can
// be copied into: keys, indexes, checks and triggers (before update, which
// a copy does not fire), in one transaction sent as one batch. It leaves
// the identity restarts and foreign keys to buildRest, after the copy.
//
// A small tenant's copy into indexed tables costs little more than into
// bare ones, while the build after the copy was most of its freeze: on the
// loaded demo (400 to 30,000 rows), 500 ms at the median for about 60
// statements over several sessions.
func buildEmpty(ctx context.Context, pool *pgxpool.Pool, tables []*schema.Table) error {
	existing, err := constraints(ctx, pool, "")
	if err != nil {
		return err
	}
	var stmts []string
	for _, t := range tables {
		b := t.Build()
		for _, st := range b.Indexes {
			stmts = append(stmts, st.SQL)
		}
		var missing []schema.Constraint
		for _, c := range b.Constraints {
			if _, ok := existing[constraintKey{t.Name, c.Name}]; !ok {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			stmts = append(stmts, schema.AddConstraints(t.Name, missing))
		}
		for _, st := range b.Triggers {
			stmts = append(stmts, st.SQL)
		}
	}
	return execBatch(ctx, pool, stmts)
}

// buildRest builds what follows buildEmpty and the copy: the identity
// restarts, and the foreign keys between the tables (added valid, or
// validated if a crash left them NOT VALID), in one transaction.
func buildRest(ctx context.Context, pool *pgxpool.Pool, tables []*schema.Table) error {
	existing, err := constraints(ctx, pool, "")
	if err != nil {
		return err
	}
	selected := map[string]bool{}
	for _, t := range tables {
		selected[t.Name] = true
	}
	var stmts []string
	for _, t := range tables {
		for _, st := range t.Build().Sequences {
			stmts = append(stmts, st.SQL)
		}
	}
	for _, t := range tables {
		for _, st := range t.ForeignKeySteps() {
			valid, ok := existing[constraintKey{st.Table, st.Constraint}]
			switch {
			case !selected[st.RefTable] || valid:
			case ok:
				stmts = append(stmts, st.Validate)
			default:
				stmts = append(stmts, st.SQL, st.Validate)
			}
		}
	}
	return execBatch(ctx, pool, stmts)
}

// execBatch runs the statements as one batch: one round trip, and one
// transaction, so that a crash leaves all of them done or none.
func execBatch(ctx context.Context, pool *pgxpool.Pool, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	// Without arguments, pgx sends it with the simple protocol, which
	// runs several statements as one implicit transaction.
	if _, err := pool.Exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return fmt.Errorf("target: building the tables: %w", err)
	}
	return nil
}
