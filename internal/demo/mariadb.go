package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
)

const (
	// maxRowsPerInsert keeps one multi-row INSERT well under the 65,535
	// placeholders a prepared statement may have.
	maxRowsPerInsert = 500
	// maxBytesPerInsert keeps an INSERT far below max_allowed_packet (16 MiB
	// by default) when rows carry documents.
	maxBytesPerInsert = 4 << 20
	// commitEvery bounds a transaction's size: big enough that commits cost
	// nothing, small enough that undo logs stay small on big seeds.
	commitEvery = 50_000
)

// sessionSetup makes the load independent of the server's defaults: zero
// dates are allowed (the demo has them on purpose; strict modes with
// NO_ZERO_DATE would reject them) and timestamps are written in UTC, so the
// stored instants do not depend on the server's time zone.
var sessionSetup = []string{
	"SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'",
	"SET SESSION time_zone = '+00:00'",
}

// loader writes generated rows into the source database on one connection,
// in transactions of about commitEvery rows.
type loader struct {
	ctx         context.Context
	conn        *sql.Conn
	tx          *sql.Tx
	inserters   map[string]*inserter
	sinceCommit int
}

// recreateTables drops the demo's tables (only those, only when this
// package created them) and creates them empty.
func recreateTables(ctx context.Context, conn *sql.Conn, dbName, tenantColumn string) error {
	if err := checkOwnership(ctx, conn, dbName); err != nil {
		return err
	}
	for _, table := range slices.Backward(Tables) {
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(table)); err != nil {
			return fmt.Errorf("dropping %s.%s: %s", dbName, table, sqlReason(err))
		}
	}
	for _, table := range Tables {
		if _, err := conn.ExecContext(ctx, createStatement(table, tenantColumn)); err != nil {
			return fmt.Errorf("creating %s.%s: %s", dbName, table, sqlReason(err))
		}
	}
	return nil
}

// checkOwnership refuses to go on when a table of a demo name exists that
// this package did not create: re-seeding must never drop real data.
func checkOwnership(ctx context.Context, conn *sql.Conn, dbName string) error {
	query := "SELECT TABLE_NAME, TABLE_TYPE, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?" + strings.Repeat(",?", len(Tables)-1) + ")"
	args := []any{dbName}
	for _, t := range Tables {
		args = append(args, t)
	}
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("listing existing tables in %s: %s", dbName, sqlReason(err))
	}
	defer rows.Close()
	var foreign []string
	for rows.Next() {
		var name, kind, comment string
		if err := rows.Scan(&name, &kind, &comment); err != nil {
			return fmt.Errorf("listing existing tables in %s: %w", dbName, err)
		}
		if kind != "BASE TABLE" || comment != tableComment {
			foreign = append(foreign, name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("listing existing tables in %s: %s", dbName, sqlReason(err))
	}
	if len(foreign) > 0 {
		slices.Sort(foreign)
		return fmt.Errorf("database %s already has %s, not created by the demo seeder (no %q comment); refusing to drop them — use an empty database",
			dbName, strings.Join(foreign, ", "), tableComment)
	}
	return nil
}

func newLoader(ctx context.Context, conn *sql.Conn, tenantColumn string) *loader {
	l := &loader{ctx: ctx, conn: conn, inserters: map[string]*inserter{}}
	for _, table := range Tables {
		cols := make([]string, len(columns[table]))
		for i, c := range columns[table] {
			if c == tenantColumnToken {
				c = tenantColumn
			}
			cols[i] = quoteIdent(c)
		}
		l.inserters[table] = &inserter{
			l:      l,
			table:  table,
			prefix: "INSERT INTO " + quoteIdent(table) + " (" + strings.Join(cols, ", ") + ") VALUES ",
			ncols:  len(cols),
			stmts:  map[int]*sql.Stmt{},
		}
	}
	// Lines reference their invoice: an invoice batch must be written before
	// the lines that follow it.
	l.inserters[tInvoiceLines].parent = l.inserters[tInvoices]
	return l
}

// add implements sink.
func (l *loader) add(table string, row []any) error {
	return l.inserters[table].add(row)
}

// finish writes what is buffered for table (and its children).
func (l *loader) finish(table string) error {
	if err := l.inserters[table].flush(); err != nil {
		return err
	}
	if table == tInvoices {
		return l.inserters[tInvoiceLines].flush()
	}
	return nil
}

// begin starts a transaction if none is open.
func (l *loader) begin() error {
	if l.tx != nil {
		return nil
	}
	tx, err := l.conn.BeginTx(l.ctx, nil)
	if err != nil {
		return fmt.Errorf("starting a transaction: %s", sqlReason(err))
	}
	l.tx = tx
	return nil
}

// commit ends the open transaction; prepared statements die with it.
func (l *loader) commit() error {
	if l.tx == nil {
		return nil
	}
	err := l.tx.Commit()
	l.tx, l.sinceCommit = nil, 0
	for _, in := range l.inserters {
		clear(in.stmts)
	}
	if err != nil {
		return fmt.Errorf("committing: %s", sqlReason(err))
	}
	return nil
}

func (l *loader) rollback() {
	if l.tx != nil {
		l.tx.Rollback()
		l.tx = nil
	}
}

// inserter batches one table's rows into multi-row prepared INSERTs.
type inserter struct {
	l      *loader
	table  string
	prefix string // INSERT INTO t (cols) VALUES
	ncols  int
	parent *inserter

	args  []any
	rows  int
	bytes int
	stmts map[int]*sql.Stmt // by row count, valid in the current transaction

	total int64
}

func (in *inserter) add(row []any) error {
	if len(row) != in.ncols {
		return fmt.Errorf("demo: %s row has %d values for %d columns", in.table, len(row), in.ncols)
	}
	in.args = append(in.args, row...)
	in.rows++
	for _, v := range row {
		switch v := v.(type) {
		case []byte:
			in.bytes += len(v)
		case string:
			in.bytes += len(v)
		default:
			in.bytes += 8
		}
	}
	if in.rows >= maxRowsPerInsert || in.bytes >= maxBytesPerInsert {
		return in.flush()
	}
	return nil
}

func (in *inserter) flush() error {
	if in.rows == 0 {
		return nil
	}
	if in.parent != nil {
		if err := in.parent.flush(); err != nil {
			return err
		}
	}
	if err := in.l.begin(); err != nil {
		return err
	}
	stmt, err := in.statement(in.rows)
	if err != nil {
		return err
	}
	if _, err := stmt.ExecContext(in.l.ctx, in.args...); err != nil {
		return fmt.Errorf("inserting into %s: %s", in.table, sqlReason(err))
	}
	in.total += int64(in.rows)
	in.l.sinceCommit += in.rows
	clear(in.args) // let the documents' blobs go
	in.args, in.rows, in.bytes = in.args[:0], 0, 0
	if in.l.sinceCommit >= commitEvery {
		return in.l.commit()
	}
	return nil
}

// statement returns the INSERT for n rows, prepared once per transaction.
func (in *inserter) statement(n int) (*sql.Stmt, error) {
	if s, ok := in.stmts[n]; ok {
		return s, nil
	}
	var b strings.Builder
	b.WriteString(in.prefix)
	tuple := "(?" + strings.Repeat(",?", in.ncols-1) + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	s, err := in.l.tx.PrepareContext(in.l.ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("preparing the insert into %s: %s", in.table, sqlReason(err))
	}
	in.stmts[n] = s
	return s, nil
}

// sqlReason describes a driver error by its server code and message, which
// never contain the DSN.
func sqlReason(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return fmt.Sprintf("error %d: %s", me.Number, me.Message)
	}
	return err.Error()
}
