package copy

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/values"
)

// chunkSource feeds pgx's CopyFrom straight from the source rows: one row is
// read, converted and encoded before the next is read, so memory stays flat
// whatever the table size.
type chunkSource struct {
	table  *schema.Table
	cols   []*schema.Column
	keyIdx []int
	counts values.Counts

	rows    *sql.Rows
	raw     []sql.RawBytes
	dest    []any
	vals    []any
	lastKey [][]byte
	bytes   int64
	err     error
}

func (s *chunkSource) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	if s.raw == nil {
		s.raw = make([]sql.RawBytes, len(s.cols))
		s.dest = make([]any, len(s.cols))
		for i := range s.raw {
			s.dest[i] = &s.raw[i]
		}
		s.vals = make([]any, len(s.cols))
		s.lastKey = make([][]byte, len(s.keyIdx))
	}
	if err := s.rows.Scan(s.dest...); err != nil {
		s.err = fmt.Errorf("source: reading %s: %w", s.table.Source.Name, err)
		return false
	}
	for i, col := range s.cols {
		v, err := values.Convert(col, s.raw[i], s.counts)
		if err != nil {
			s.err = &DataError{Table: s.table.Source.Name, Key: s.keyString(), Err: fmt.Errorf("column %s: %w", col.Source.Name, err)}
			return false
		}
		s.vals[i] = v
		s.bytes += int64(len(s.raw[i]))
	}
	for i, idx := range s.keyIdx {
		s.lastKey[i] = append(s.lastKey[i][:0], s.raw[idx]...)
	}
	return true
}

func (s *chunkSource) Values() ([]any, error) { return s.vals, nil }

func (s *chunkSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// lastKeyOr returns the key of the last row read, or def if none was.
func (s *chunkSource) lastKeyOr(def [][]byte) [][]byte {
	if s.lastKey == nil {
		return def
	}
	return s.lastKey
}

// keyString names the current row by its key, e.g. (id=42).
func (s *chunkSource) keyString() string {
	parts := make([]string, len(s.keyIdx))
	for i, idx := range s.keyIdx {
		parts[i] = fmt.Sprintf("%s=%s", s.cols[idx].Source.Name, s.raw[idx])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// keyPositions finds the key columns among the copied columns.
func keyPositions(t *schema.Table, cols []*schema.Column) []int {
	idx := make([]int, len(t.Key))
	for i, k := range t.Key {
		for j, c := range cols {
			if c.Name == k {
				idx[i] = j
			}
		}
	}
	return idx
}
