package source

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/migrawave/migrawave/internal/charset"
)

// Schema is the source database's structure as information_schema reports it.
type Schema struct {
	Database string
	Tables   map[string]*Table
	// TimeZone is the server's time zone. TIMESTAMP values are read in UTC
	// (see Open); this is what the application's sessions used.
	TimeZone string
	// AllowsZeroDates is true when the server's sql_mode lets zero dates in.
	AllowsZeroDates bool
	// Objects are what the database holds besides tables: views, sequences,
	// triggers, events, procedures and functions. None has rows of a tenant.
	Objects []Object
}

// Object is a schema object other than a table.
type Object struct {
	Kind  string `json:"kind"` // view, sequence, trigger, event, procedure, function, fence
	Name  string `json:"name"`
	Table string `json:"table,omitempty"` // a trigger's table
	// Detail says what it does, e.g. "BEFORE INSERT" for a trigger.
	Detail string `json:"detail,omitempty"`
}

// Table is one source table.
type Table struct {
	Name string
	// Rows and AvgRowLength are the server's estimates for the whole table,
	// all tenants together: enough to weigh tables against each other.
	Rows         int64
	AvgRowLength int64
	Columns      []Column
	PrimaryKey   []string
	Indexes      []Index
	ForeignKeys  []ForeignKey
	// Checks are the CHECK constraints, but for the json_valid() checks
	// that mark JSON columns.
	Checks []Check
	// Partitioning is the partitioning method (RANGE, LIST, HASH, KEY…),
	// empty when the table is not partitioned.
	Partitioning string
	// Versioned is set for a system-versioned table: it reads its current rows.
	Versioned bool
}

// Check is a CHECK constraint. MariaDB names a column-level check after its
// column, and reports its clause normalized: lower-case keywords and
// functions, backquoted names.
type Check struct {
	Name   string
	Column bool // declared with a column rather than the table
	Clause string
}

// Column is one source column.
type Column struct {
	Name       string
	DataType   string // e.g. "int", "varchar", "enum", lower case
	ColumnType string // e.g. "int(10) unsigned", "enum('a','b')"
	Nullable   bool
	// Default is COLUMN_DEFAULT as MariaDB reports it: NULL for none, "NULL"
	// for an explicit NULL default, quoted literals, or an expression.
	Default    sql.NullString
	Extra      string // e.g. "auto_increment", "on update current_timestamp()", "STORED GENERATED"
	Generation string // the expression of a generated column
	CharMaxLen int64
	Precision  int64
	Scale      int64
	// DatetimePrecision is the fractional seconds digits of time types.
	DatetimePrecision int64
	// JSON is set for MariaDB's JSON: a LONGTEXT with a json_valid() check.
	JSON bool
	// Charset is the character set of a text column, e.g. utf8mb4 or gbk.
	Charset string
}

// Legacy reports whether the column holds text in a character set other
// than Unicode. Its values are read as their bytes, for migrawave to
// convert (package charset): MariaDB's own conversion turns what has no
// Unicode mapping into '?' with only a warning.
func (c Column) Legacy() bool {
	cs, err := charset.Lookup(c.Charset)
	return cs != nil || err != nil
}

// Unsigned reports whether an integer or decimal column is unsigned.
func (c Column) Unsigned() bool { return strings.Contains(c.ColumnType, "unsigned") }

// AutoIncrement reports whether the column takes AUTO_INCREMENT values.
func (c Column) AutoIncrement() bool { return strings.Contains(c.Extra, "auto_increment") }

// Invisible reports whether SELECT * leaves the column out.
func (c Column) Invisible() bool { return strings.Contains(c.Extra, "INVISIBLE") }

// Generated reports whether the column is computed by the server.
func (c Column) Generated() bool { return c.Generation != "" || strings.Contains(c.Extra, "GENERATED") }

// Index is a secondary or unique index.
type Index struct {
	Name    string
	Unique  bool
	Type    string // BTREE, HASH, FULLTEXT, SPATIAL
	Columns []IndexColumn
}

// IndexColumn is a column of an index; SubPart > 0 for a prefix index.
type IndexColumn struct {
	Name    string
	SubPart int64
}

// ForeignKey is a declared foreign key.
type ForeignKey struct {
	Name       string
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string
	OnUpdate   string
}

// Column returns the named column.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ReadSchema reads every base table of the connected database.
func ReadSchema(ctx context.Context, db *sql.DB) (*Schema, error) {
	s := &Schema{Tables: map[string]*Table{}}
	var sqlMode string
	err := db.QueryRowContext(ctx, `SELECT DATABASE(), @@session.time_zone, @@global.time_zone, @@system_time_zone, @@global.sql_mode`).
		Scan(&s.Database, new(string), &s.TimeZone, new(string), &sqlMode)
	if err != nil {
		return nil, fmt.Errorf("source: reading server settings: %w", err)
	}
	if s.TimeZone == "SYSTEM" {
		if err := db.QueryRowContext(ctx, `SELECT @@system_time_zone`).Scan(&s.TimeZone); err != nil {
			return nil, fmt.Errorf("source: reading the time zone: %w", err)
		}
	}
	s.AllowsZeroDates = !strings.Contains(sqlMode, "NO_ZERO_DATE") || !strings.Contains(sqlMode, "NO_ZERO_IN_DATE")
	steps := []func(context.Context, *sql.DB, *Schema) error{readTables, readColumns, readChecks, readIndexes, readForeignKeys, readPartitioning, readObjects}
	for _, step := range steps {
		if err := step(ctx, db, s); err != nil {
			return nil, fmt.Errorf("source: reading the schema of %s: %w", s.Database, err)
		}
	}
	return s, nil
}

// TableNames returns the table names in order.
func (s *Schema) TableNames() []string {
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// readTables reads the tables, and lists views and sequences as objects.
func readTables(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, TABLE_TYPE, coalesce(TABLE_ROWS, 0), coalesce(AVG_ROW_LENGTH, 0) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t := &Table{}
		var typ string
		if err := rows.Scan(&t.Name, &typ, &t.Rows, &t.AvgRowLength); err != nil {
			return err
		}
		switch {
		case t.Name == FenceTable:
			s.Objects = append(s.Objects, Object{Kind: "fence", Name: t.Name})
		case typ == "BASE TABLE" || typ == "SYSTEM VERSIONED":
			t.Versioned = typ == "SYSTEM VERSIONED"
			s.Tables[t.Name] = t
		case typ == "VIEW":
			s.Objects = append(s.Objects, Object{Kind: "view", Name: t.Name})
		case typ == "SEQUENCE":
			s.Objects = append(s.Objects, Object{Kind: "sequence", Name: t.Name})
		default:
			return fmt.Errorf("table %s is a %s, which migrawave does not know", t.Name, typ)
		}
	}
	return rows.Err()
}

func readPartitioning(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT TABLE_NAME, PARTITION_METHOD FROM information_schema.PARTITIONS
		WHERE TABLE_SCHEMA = DATABASE() AND PARTITION_METHOD IS NOT NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, method string
		if err := rows.Scan(&table, &method); err != nil {
			return err
		}
		if t := s.Tables[table]; t != nil {
			t.Partitioning = method
		}
	}
	return rows.Err()
}

// readObjects lists triggers, events, procedures and functions.
func readObjects(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `
		SELECT 'trigger', TRIGGER_NAME, EVENT_OBJECT_TABLE, CONCAT(ACTION_TIMING, ' ', EVENT_MANIPULATION) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
		UNION ALL SELECT 'event', EVENT_NAME, '', CONCAT(EVENT_TYPE, ' ', STATUS) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()
		UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, '', '' FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
		ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o Object
		if err := rows.Scan(&o.Kind, &o.Name, &o.Table, &o.Detail); err != nil {
			return err
		}
		s.Objects = append(s.Objects, o)
	}
	return rows.Err()
}

func readColumns(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, LOWER(DATA_TYPE), COLUMN_TYPE, IS_NULLABLE = 'YES',
			COLUMN_DEFAULT, EXTRA, COALESCE(GENERATION_EXPRESSION, ''), COALESCE(CHARACTER_MAXIMUM_LENGTH, 0),
			COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0), COALESCE(DATETIME_PRECISION, 0), COALESCE(CHARACTER_SET_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var c Column
		if err := rows.Scan(&table, &c.Name, &c.DataType, &c.ColumnType, &c.Nullable, &c.Default, &c.Extra, &c.Generation,
			&c.CharMaxLen, &c.Precision, &c.Scale, &c.DatetimePrecision, &c.Charset); err != nil {
			return err
		}
		t := s.Tables[table]
		if t == nil {
			continue // a view
		}
		t.Columns = append(t.Columns, c)
	}
	return rows.Err()
}

// readChecks reads the CHECK constraints. A json_valid() check of one
// column is how information_schema reports MariaDB's JSON type (a LONGTEXT
// with that check): it marks the column JSON instead, and jsonb then does
// what it did.
func readChecks(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, CONSTRAINT_NAME, LEVEL = 'Column', CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var c Check
		if err := rows.Scan(&table, &c.Name, &c.Column, &c.Clause); err != nil {
			return err
		}
		t := s.Tables[table]
		if t == nil {
			continue
		}
		if i := t.jsonColumn(c.Clause); i >= 0 {
			t.Columns[i].JSON = true
			continue
		}
		t.Checks = append(t.Checks, c)
	}
	return rows.Err()
}

// jsonColumn is the index of the column that clause checks to be valid
// JSON and nothing more, or -1.
func (t *Table) jsonColumn(clause string) int {
	for i, c := range t.Columns {
		if clause == "json_valid("+QuoteIdent(c.Name)+")" {
			return i
		}
	}
	return -1
}

func readIndexes(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, INDEX_TYPE, COLUMN_NAME, COALESCE(SUB_PART, 0)
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, typ, column string
		var unique bool
		var subPart int64
		if err := rows.Scan(&table, &name, &unique, &typ, &column, &subPart); err != nil {
			return err
		}
		t := s.Tables[table]
		if t == nil {
			continue
		}
		if name == "PRIMARY" {
			t.PrimaryKey = append(t.PrimaryKey, column)
			continue
		}
		if n := len(t.Indexes); n == 0 || t.Indexes[n-1].Name != name {
			t.Indexes = append(t.Indexes, Index{Name: name, Unique: unique, Type: typ})
		}
		ix := &t.Indexes[len(t.Indexes)-1]
		ix.Columns = append(ix.Columns, IndexColumn{Name: column, SubPart: subPart})
	}
	return rows.Err()
}

func readForeignKeys(ctx context.Context, db *sql.DB, s *Schema) error {
	rows, err := db.QueryContext(ctx, `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
			r.DELETE_RULE, r.UPDATE_RULE
		FROM information_schema.KEY_COLUMN_USAGE k
		JOIN information_schema.REFERENTIAL_CONSTRAINTS r
		  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
		WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
		ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, column, refTable, refColumn, onDelete, onUpdate string
		if err := rows.Scan(&table, &name, &column, &refTable, &refColumn, &onDelete, &onUpdate); err != nil {
			return err
		}
		t := s.Tables[table]
		if t == nil {
			continue
		}
		if n := len(t.ForeignKeys); n == 0 || t.ForeignKeys[n-1].Name != name {
			t.ForeignKeys = append(t.ForeignKeys, ForeignKey{Name: name, RefTable: refTable, OnDelete: onDelete, OnUpdate: onUpdate})
		}
		fk := &t.ForeignKeys[len(t.ForeignKeys)-1]
		fk.Columns = append(fk.Columns, column)
		fk.RefColumns = append(fk.RefColumns, refColumn)
	}
	return rows.Err()
}
