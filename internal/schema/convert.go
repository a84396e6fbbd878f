package schema

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/migrawave/migrawave/internal/charset"
	"github.com/migrawave/migrawave/internal/source"
)

// Schema is the PostgreSQL schema of every tenant database.
type Schema struct {
	Tables []*Table
	// TimeZone is the source server's: tenant databases get it as their
	// default, so CURRENT_TIMESTAMP in a timestamp-without-zone default means
	// what it meant in MariaDB.
	TimeZone string
	Warnings []string
}

// Table is one target table and where its rows come from.
type Table struct {
	Name    string // target name, lower case
	Source  *source.TenantTable
	Columns []*Column
	// Key is the target names of the source row key, in order.
	Key         []string
	PrimaryKey  []string
	Indexes     []Index
	ForeignKeys []ForeignKey
	// Checks are the table's translated CHECK constraints.
	Checks []Check
	Notes  []string
}

// Check is a translated CHECK constraint.
type Check struct {
	Name   string // the target constraint's name
	Source string // the source constraint's name
	Expr   string
}

// Column is one target column.
type Column struct {
	Name    string // target name, lower case
	Source  source.Column
	Type    string
	Kind    Kind
	NotNull bool
	Default string // a PostgreSQL expression, or empty
	// Identity is set for AUTO_INCREMENT columns.
	Identity bool
	// Check is a CHECK expression (enum and set values), or empty.
	Check string
	// OnUpdateNow reproduces ON UPDATE CURRENT_TIMESTAMP with a trigger.
	OnUpdateNow bool
	// Generated is a PostgreSQL expression for a STORED generated column; the
	// column is then not copied.
	Generated string
	// ZeroDates is set when the source may hold zero dates here: they become NULL.
	ZeroDates bool
	StripNUL  bool
	// Charset converts the column's legacy text (read as bytes) to UTF-8;
	// nil for Unicode text and for everything else.
	Charset *charset.Charset
	// Replace writes U+FFFD for legacy text with no Unicode mapping, which
	// is otherwise refused.
	Replace bool
	Notes   []string
}

// Copied reports whether the column's values are copied from the source.
func (c *Column) Copied() bool { return c.Generated == "" }

// Index is a secondary index created after the data.
type Index struct {
	Name    string
	Source  string // the source index's name
	Unique  bool
	Columns []string
}

// ForeignKey between two tenant tables, created after the data.
type ForeignKey struct {
	Name       string
	Source     string // the source constraint's name
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   string
	OnUpdate   string
}

// Table returns the target table called name.
func (s *Schema) Table(name string) (*Table, bool) {
	for _, t := range s.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Select returns the named tables in the order given, or all of them when
// names is empty; an unknown name is an *UnknownTableError.
func (s *Schema) Select(names []string) ([]*Table, error) {
	if len(names) == 0 {
		return s.Tables, nil
	}
	out := make([]*Table, 0, len(names))
	for _, n := range names {
		t, ok := s.Table(n)
		if !ok {
			return nil, &UnknownTableError{Name: n, Known: s.Tables}
		}
		out = append(out, t)
	}
	return out, nil
}

// UnknownTableError is a table asked for that is not one of the tenant's.
type UnknownTableError struct {
	Name  string
	Known []*Table
}

func (e *UnknownTableError) Error() string {
	names := make([]string, len(e.Known))
	for i, t := range e.Known {
		names[i] = t.Name
	}
	return fmt.Sprintf("%q is not a tenant table (tenant tables: %s)", e.Name, strings.Join(names, ", "))
}

// CopiedColumns returns the columns whose values come from the source.
func (t *Table) CopiedColumns() []*Column {
	out := make([]*Column, 0, len(t.Columns))
	for _, c := range t.Columns {
		if c.Copied() {
			out = append(out, c)
		}
	}
	return out
}

// Column returns the target column called name.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Convert maps the tenant layout to the target schema. Every object is
// converted, noted, or refused: a refusal is an error naming the object and
// the setting that would let it through.
func Convert(l *source.Layout) (*Schema, error) {
	s, refused := Plan(l)
	if len(refused) > 0 {
		lines := make([]string, len(refused))
		for i, r := range refused {
			lines[i] = r.Reason
		}
		return nil, fmt.Errorf("schema: %s", strings.Join(lines, "; "))
	}
	return s, nil
}

// Refusal is a table that cannot be converted, and why.
type Refusal struct {
	Table  string `json:"table"`
	Reason string `json:"reason"`
}

// Plan maps what it can of the tenant layout to the target schema, and
// says what it refuses, one line per object: a review of every object
// before a campaign, where Convert stops at the first table refused.
func Plan(l *source.Layout) (*Schema, []Refusal) {
	s := &Schema{TimeZone: l.Schema.TimeZone}
	keys := keyColumns(l)
	names := map[string]string{}
	var refused []Refusal
	for _, st := range l.Tables {
		t, errs := convertTable(st, keys, l.Schema.AllowsZeroDates)
		for _, e := range errs {
			refused = append(refused, Refusal{Table: st.Name, Reason: e})
		}
		if len(errs) > 0 {
			continue
		}
		if other, dup := names[t.Name]; dup {
			refused = append(refused, Refusal{Table: st.Name, Reason: fmt.Sprintf("tables %s and %s both become %q in lower case", other, st.Name, t.Name)})
			continue
		}
		names[t.Name] = st.Name
		s.Tables = append(s.Tables, t)
	}
	for _, t := range s.Tables {
		s.addForeignKeys(t, l)
	}
	s.noteObjects(l)
	for _, t := range s.Tables {
		for _, n := range t.Notes {
			if strings.HasPrefix(n, "warning: ") {
				s.Warnings = append(s.Warnings, t.Name+": "+strings.TrimPrefix(n, "warning: "))
			}
		}
	}
	return s, refused
}

// noteObjects accounts for what the source holds besides tables, none of
// which has a tenant's rows: each is a warning (it is not converted), a
// trigger on a copied table a warning on that table.
func (s *Schema) noteObjects(l *source.Layout) {
	for _, o := range l.Schema.Objects {
		if o.Kind == "fence" {
			continue // migrawave's own: nothing to warn of
		}
		if t, ok := s.triggerTable(o); ok {
			t.Notes = append(t.Notes, fmt.Sprintf("warning: trigger %s (%s) %s", o.Name, o.Detail, objectOutcome(o, true)))
			continue
		}
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s %s %s", o.Kind, o.Name, objectOutcome(o, false)))
	}
}

// triggerTable is the copied table o is a trigger of, if it is one.
func (s *Schema) triggerTable(o source.Object) (*Table, bool) {
	if o.Kind != "trigger" {
		return nil, false
	}
	return s.Table(strings.ToLower(o.Table))
}

// objectOutcome says what becomes of an object other than a table;
// copied is set for a trigger of a copied table.
func objectOutcome(o source.Object, copied bool) string {
	switch {
	case o.Kind == "view":
		return "not converted: create it in the tenant databases if the application reads it"
	case o.Kind == "sequence":
		return "not copied: it is shared by every tenant"
	case o.Kind == "fence":
		return "migrawave's write fence: not copied"
	case copied:
		return "not converted: what it does, the application or a PostgreSQL trigger must do"
	case o.Kind == "trigger":
		return "not converted: its table " + o.Table + " is not copied per tenant"
	}
	return "not converted: it runs in MariaDB only" // event, procedure, function
}

type colRef struct{ table, column string }

// keyColumns finds the columns that must map as keys: AUTO_INCREMENT and
// primary key columns, and every column referencing one, so that a foreign
// key and the key it references always get the same type.
func keyColumns(l *source.Layout) map[colRef]bool {
	keys := map[colRef]bool{}
	for _, st := range l.Tables {
		for _, c := range st.Columns {
			if c.AutoIncrement() {
				keys[colRef{st.Name, c.Name}] = true
			}
		}
		for _, k := range st.PrimaryKey {
			keys[colRef{st.Name, k}] = true
		}
	}
	// Propagate along references until nothing changes (chains of keys).
	for changed := true; changed; {
		changed = false
		for _, st := range l.Tables {
			for _, fk := range st.ForeignKeys {
				for i, col := range fk.Columns {
					ref := colRef{fk.RefTable, fk.RefColumns[i]}
					self := colRef{st.Name, col}
					if keys[ref] && !keys[self] {
						keys[self] = true
						changed = true
					}
					if keys[self] && !keys[ref] {
						keys[ref] = true
						changed = true
					}
				}
			}
		}
	}
	return keys
}

var identifierLimit = 63

func targetName(name string) (string, error) {
	n := strings.ToLower(name)
	if len(n) > identifierLimit {
		return "", fmt.Errorf("identifier %q is longer than PostgreSQL's %d bytes", name, identifierLimit)
	}
	// The trigger bodies are quoted with this dollar tag.
	if n == "" || strings.ContainsRune(n, 0) || strings.Contains(n, "$migrawave$") {
		return "", fmt.Errorf("identifier %q cannot be used in PostgreSQL", name)
	}
	return n, nil
}

// convertTable converts one table, or says what in it is refused.
func convertTable(st *source.TenantTable, keys map[colRef]bool, zeroDatesAllowed bool) (*Table, []string) {
	name, err := targetName(st.Name)
	if err != nil {
		return nil, []string{fmt.Sprintf("table %s: %v", st.Name, err)}
	}
	t := &Table{Name: name, Source: st}
	seen := map[string]string{}
	var errs []string
	for _, sc := range st.Columns {
		c, err := convertColumn(st, sc, keys[colRef{st.Name, sc.Name}], zeroDatesAllowed)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s.%s: %v", st.Name, sc.Name, err))
			continue
		}
		if other, dup := seen[c.Name]; dup {
			errs = append(errs, fmt.Sprintf("%s: columns %s and %s both become %q", st.Name, other, sc.Name, c.Name))
			continue
		}
		seen[c.Name] = sc.Name
		t.Columns = append(t.Columns, c)
		for _, n := range c.Notes {
			t.Notes = append(t.Notes, c.Name+": "+n)
		}
	}
	for _, c := range t.Columns {
		if c.Source.Generated() {
			t.translateGenerated(c)
		}
	}
	errs = append(errs, t.convertChecks(st)...)
	if len(errs) > 0 {
		return nil, errs
	}
	if st.Partitioning != "" {
		t.Notes = append(t.Notes, fmt.Sprintf("partitioned by %s in MariaDB: one plain table here, as each tenant has its own database", st.Partitioning))
	}
	if st.Versioned {
		t.Notes = append(t.Notes, "warning: system-versioned in MariaDB: its current rows are copied, not its history")
	}
	lower := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	t.Key = lower(st.Key)
	t.PrimaryKey = lower(st.PrimaryKey)
	if len(t.PrimaryKey) == 0 {
		// The configured or unique key identifies rows; make it the primary key
		// so the target has the identity the copy and verifier rely on.
		t.PrimaryKey = t.Key
		t.Notes = append(t.Notes, fmt.Sprintf("primary key (%s) from the source's row key", strings.Join(t.Key, ", ")))
	}
	for _, ix := range st.Indexes {
		switch ix.Type {
		case "FULLTEXT", "SPATIAL":
			t.Notes = append(t.Notes, fmt.Sprintf("warning: %s index %s skipped", strings.ToLower(ix.Type), ix.Name))
			continue
		}
		out := Index{Name: strings.ToLower(t.Name + "_" + ix.Name), Source: ix.Name, Unique: ix.Unique}
		for _, c := range ix.Columns {
			out.Columns = append(out.Columns, strings.ToLower(c.Name))
			if c.SubPart > 0 {
				t.Notes = append(t.Notes, fmt.Sprintf("index %s: prefix of %d characters on %s becomes a full-column index", ix.Name, c.SubPart, c.Name))
			}
		}
		if len(out.Name) > identifierLimit {
			out.Name = out.Name[:identifierLimit]
		}
		t.Indexes = append(t.Indexes, out)
	}
	sort.Slice(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
	return t, nil
}

func convertColumn(st *source.TenantTable, sc source.Column, isKey, zeroDatesAllowed bool) (*Column, error) {
	name, err := targetName(sc.Name)
	if err != nil {
		return nil, err
	}
	override := st.Overrides[sc.Name]
	c := &Column{Name: name, Source: sc, NotNull: !sc.Nullable, StripNUL: override.StripNUL}
	c.Type, c.Kind, err = mapType(sc, isKey)
	if override.Type != "" {
		if err != nil {
			c.Type = sc.ColumnType
		}
		kind, ok := overrideTypes[override.Type]
		if !ok {
			return nil, fmt.Errorf("source.tables.%s.columns.%s.type: %q is not one of boolean, smallint, integer, bigint, numeric, text, bytea, jsonb", st.Name, sc.Name, override.Type)
		}
		if c.Type != override.Type {
			c.Notes = append(c.Notes, fmt.Sprintf("type %s instead of %s, as configured", override.Type, c.Type))
		}
		c.Type, c.Kind, err = override.Type, kind, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: set source.tables.%s.columns.%s.type or exclude the table", err, st.Name, sc.Name)
	}
	if sc.Legacy() && c.Kind != KindBytes {
		if c.Charset, err = charset.Lookup(sc.Charset); err != nil {
			return nil, fmt.Errorf("%w: set source.tables.%s.columns.%s.type: bytea to copy its bytes, or exclude the table", err, st.Name, sc.Name)
		}
		c.Replace = st.Replace
		if c.Replace {
			c.Notes = append(c.Notes, sc.Charset+" text converted by migrawave; a sequence with no Unicode mapping becomes U+FFFD, counted (on_unconvertible: replace)")
		} else {
			c.Notes = append(c.Notes, sc.Charset+" text converted by migrawave; a sequence with no Unicode mapping stops the copy")
		}
	}
	if c.Kind == KindUint64Key {
		c.Notes = append(c.Notes, "unsigned bigint key stored as bigint: a value past 2^63-1 stops the copy")
	}
	switch c.Kind {
	case KindEnum:
		c.Check = fmt.Sprintf("%s IN (%s)", quoteIdent(name), quoteLiterals(append(EnumValues(sc.ColumnType), "")))
		c.Notes = append(c.Notes, "enum as text with a CHECK of its values (and '', MariaDB's invalid-value marker)")
	case KindSet:
		c.Check = fmt.Sprintf("%s <@ ARRAY[%s]::text[]", quoteIdent(name), quoteLiterals(EnumValues(sc.ColumnType)))
		c.Notes = append(c.Notes, "set as text[]")
	case KindDate, KindTimestamp, KindTimestamptz:
		if zeroDatesAllowed || isZeroDefault(sc.Default.String) {
			c.ZeroDates = true
			if c.NotNull {
				c.NotNull = false
				c.Notes = append(c.Notes, "nullable: the source may hold zero dates, which become NULL")
			}
		}
	}
	if c.StripNUL {
		c.Notes = append(c.Notes, "NUL bytes stripped, as configured")
	}
	if sc.AutoIncrement() {
		c.Identity = true
		c.NotNull = true
	}
	if !sc.Generated() && !c.Identity {
		def, note := translateDefault(sc, c)
		c.Default = def
		if note != "" {
			c.Notes = append(c.Notes, note)
		}
	}
	if sc.Invisible() {
		c.Notes = append(c.Notes, "invisible in MariaDB: an ordinary column here, which SELECT * returns")
	}
	if strings.Contains(strings.ToLower(sc.Extra), "on update current_timestamp") {
		c.OnUpdateNow = true
		c.Notes = append(c.Notes, "ON UPDATE CURRENT_TIMESTAMP reproduced by a trigger")
	}
	return c, nil
}

// translateGenerated makes c a STORED generated column when its expression
// translates, once every column of the table is converted (the expression
// may name any of them); else c is copied as plain values.
func (t *Table) translateGenerated(c *Column) {
	expr, err := translateExpr(c.Source.Generation, t.sourceColumn)
	if err != nil {
		c.Notes = append(c.Notes, fmt.Sprintf("warning: generated column copied as plain values: expression %q not translated (%v)", c.Source.Generation, err))
		t.Notes = append(t.Notes, c.Name+": "+c.Notes[len(c.Notes)-1])
		return
	}
	c.Generated = expr
}

// sourceColumn finds a converted column by its source name, which MariaDB
// compares without regard to case.
func (t *Table) sourceColumn(name string) *Column {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Source.Name, name) {
			return c
		}
	}
	return nil
}

// convertChecks translates the table's CHECK constraints, or names each one
// that does not translate and is not skipped by the config.
func (t *Table) convertChecks(st *source.TenantTable) []string {
	used := map[string]bool{truncate(t.Name + "_pkey"): true}
	for _, c := range t.Columns {
		if c.Check != "" {
			used[truncate(t.Name+"_"+c.Name+"_check")] = true
		}
	}
	var errs []string
	for _, ck := range st.Checks {
		if slices.Contains(st.SkipChecks, ck.Name) {
			t.Notes = append(t.Notes, fmt.Sprintf("warning: check %s (%s) skipped, as configured", ck.Name, ck.Clause))
			continue
		}
		expr, err := translateExpr(ck.Clause, t.sourceColumn)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: check %s (%s) cannot be translated to PostgreSQL (%v): set source.tables.%s.skip_checks: [%s] to create the table without it",
				st.Name, ck.Name, ck.Clause, err, st.Name, ck.Name))
			continue
		}
		name := t.Name + "_" + strings.ToLower(ck.Name)
		if ck.Column {
			name += "_check"
		}
		base := name
		name = truncate(base)
		for n := 2; used[name]; n++ {
			suffix := fmt.Sprintf("_%d", n)
			name = base[:min(len(base), identifierLimit-len(suffix))] + suffix
		}
		used[name] = true
		t.Checks = append(t.Checks, Check{Name: name, Source: ck.Name, Expr: expr})
	}
	return errs
}

func (s *Schema) addForeignKeys(t *Table, l *source.Layout) {
	for _, fk := range t.Source.ForeignKeys {
		if _, ok := l.Table(fk.RefTable); !ok {
			t.Notes = append(t.Notes, fmt.Sprintf("warning: foreign key %s to %s skipped: that table is not copied per tenant", fk.Name, fk.RefTable))
			continue
		}
		out := ForeignKey{Name: strings.ToLower(t.Name + "_" + fk.Name), Source: fk.Name, RefTable: strings.ToLower(fk.RefTable), OnDelete: fk.OnDelete, OnUpdate: fk.OnUpdate}
		for i := range fk.Columns {
			out.Columns = append(out.Columns, strings.ToLower(fk.Columns[i]))
			out.RefColumns = append(out.RefColumns, strings.ToLower(fk.RefColumns[i]))
		}
		if len(out.Name) > identifierLimit {
			out.Name = out.Name[:identifierLimit]
		}
		t.ForeignKeys = append(t.ForeignKeys, out)
	}
}

func isZeroDefault(def string) bool {
	d := strings.Trim(def, "'")
	return strings.HasPrefix(d, "0000-00-00") || strings.Contains(d, "-00")
}

var (
	nowDefault  = regexp.MustCompile(`(?i)^(current_timestamp|now|localtimestamp|localtime)(\((\d?)\))?$`)
	dateDefault = regexp.MustCompile(`(?i)^(curdate\(\)|current_date(\(\))?)$`)
	numberLit   = regexp.MustCompile(`^-?\d+(\.\d+)?([eE][-+]?\d+)?$`)
	bitLit      = regexp.MustCompile(`^b'([01]+)'$`)
)

// translateDefault turns MariaDB's COLUMN_DEFAULT into a PostgreSQL default.
func translateDefault(sc source.Column, c *Column) (string, string) {
	if !sc.Default.Valid || sc.Default.String == "NULL" {
		return "", ""
	}
	d := sc.Default.String
	switch {
	case nowDefault.MatchString(d):
		m := nowDefault.FindStringSubmatch(d)
		if m[3] != "" {
			return "CURRENT_TIMESTAMP(" + m[3] + ")", ""
		}
		return "CURRENT_TIMESTAMP", ""
	case dateDefault.MatchString(d):
		return "CURRENT_DATE", ""
	case bitLit.MatchString(d):
		bits := bitLit.FindStringSubmatch(d)[1]
		if c.Kind == KindBitBool {
			return fmt.Sprint(strings.Trim(bits, "0") != ""), ""
		}
		// MariaDB drops leading zeros (bit(8) DEFAULT 5 reads b'101'); pad to
		// the column's width so new rows match copied ones.
		if n := int(sc.Precision); len(bits) < n {
			bits = strings.Repeat("0", n-len(bits)) + bits
		}
		return "B'" + bits + "'", ""
	case numberLit.MatchString(d):
		if c.Kind == KindBool {
			return fmt.Sprint(d != "0"), ""
		}
		return d, ""
	case strings.HasPrefix(d, "'") && strings.HasSuffix(d, "'") && len(d) >= 2:
		lit := strings.ReplaceAll(d[1:len(d)-1], "''", "'")
		lit = strings.ReplaceAll(lit, `\\`, `\`)
		switch c.Kind {
		case KindDate, KindTimestamp, KindTimestamptz:
			if isZeroDefault(d) {
				return "", "zero-date default dropped: the column defaults to NULL"
			}
		case KindBool:
			return fmt.Sprint(lit != "0" && lit != ""), ""
		case KindSet:
			if lit == "" {
				return "'{}'::text[]", ""
			}
			return "ARRAY[" + quoteLiterals(strings.Split(lit, ",")) + "]::text[]", ""
		case KindBytes:
			return quoteLiteral(lit) + "::bytea", ""
		}
		return quoteLiteral(lit), ""
	}
	return "", fmt.Sprintf("warning: default %s not translated: the column has no default", d)
}
