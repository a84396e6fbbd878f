package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// Rows are the rows of one query as the MariaDB driver decodes them:
// integers as int64, floating point as float32 or float64, everything else
// (decimals, dates, text, an unsigned bigint past 2^63-1) as its bytes, NULL
// as nil. They skip database/sql's conversion of every value, which would
// print integers as text only for the copy to parse them again.
type Rows struct {
	rows   driver.Rows
	values []driver.Value
	err    error
}

// Next reads the next row, and reports false at the end or on an error.
func (r *Rows) Next() bool {
	if r.err != nil {
		return false
	}
	if err := r.rows.Next(r.values); err != nil {
		if err != io.EOF {
			r.err = err
		}
		r.rows = nil
		return false
	}
	return true
}

// Values are the current row's values; bytes among them are valid until
// the next call to Next.
func (r *Rows) Values() []driver.Value { return r.values }

// Err is the error that ended the rows early, if any.
func (r *Rows) Err() error { return r.err }

// Query runs query with args on a connection of db and calls read with its
// rows, which are valid only while read runs. Errors of the query itself
// say "source: <what>: ..."; read's are returned as they are.
func Query(ctx context.Context, db *sql.DB, what, query string, args []any, read func(*Rows) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("source: %s: %w", what, err)
	}
	defer conn.Close()
	var readErr error
	err = conn.Raw(func(dc any) error {
		named, err := namedArgs(dc, args)
		if err != nil {
			return err
		}
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the MariaDB driver cannot prepare statements")
		}
		stmt, err := prep.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer stmt.Close()
		q, ok := stmt.(driver.StmtQueryContext)
		if !ok {
			return errors.New("the MariaDB driver cannot query with a context")
		}
		rows, err := q.QueryContext(ctx, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		r := &Rows{rows: rows, values: make([]driver.Value, len(rows.Columns()))}
		if readErr = read(r); readErr != nil {
			return readErr
		}
		return r.err
	})
	if err != nil && err != readErr {
		return fmt.Errorf("source: %s: %w", what, err)
	}
	return err
}

// namedArgs converts args as database/sql would, through the driver's own
// checker where it has one.
func namedArgs(dc any, args []any) ([]driver.NamedValue, error) {
	checker, _ := dc.(driver.NamedValueChecker)
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv := driver.NamedValue{Ordinal: i + 1, Value: a}
		var err error
		if checker != nil {
			err = checker.CheckNamedValue(&nv)
		} else {
			nv.Value, err = driver.DefaultParameterConverter.ConvertValue(a)
		}
		if err != nil {
			return nil, fmt.Errorf("query argument %d: %w", i+1, err)
		}
		named[i] = nv
	}
	return named, nil
}
