package bulkcopy

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/throttle"
	"github.com/migrawave/migrawave/internal/values"
)

// copyHeader starts PostgreSQL's binary COPY format: the signature, no flags
// and no header extension.
var copyHeader = []byte("PGCOPY\n\377\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// chunkSource is the binary COPY stream of one chunk, read by pgconn's
// CopyFrom straight from the source rows: each row is read and encoded only
// when the buffer before it has been sent, so memory stays flat whatever the
// table size.
type chunkSource struct {
	table  *schema.Table
	cols   []*schema.Column
	keyIdx []int
	counts values.Counts
	// limit paces the rows read (nil: no limit); allowance is what this
	// chunk has taken from it and not yet read.
	ctx       context.Context
	limit     *throttle.Limiter
	allowance int

	rows    *source.Rows
	buf     []byte
	off     int
	n       int64 // rows encoded
	lastKey [][]byte
	bytes   int64
	ended   bool
	err     error
}

// bufSize is how much is encoded ahead of the connection, about one pgconn
// CopyData message.
const bufSize = 64 << 10

func (s *chunkSource) Read(p []byte) (int, error) {
	if s.off == len(s.buf) {
		if s.ended {
			return 0, io.EOF
		}
		if err := s.fill(); err != nil {
			s.err = err
			return 0, err
		}
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

// fill encodes rows until the buffer holds about bufSize bytes or the rows end.
func (s *chunkSource) fill() error {
	if s.buf == nil {
		s.lastKey = make([][]byte, len(s.keyIdx))
		s.buf = append(make([]byte, 0, 2*bufSize), copyHeader...)
	} else {
		s.buf = s.buf[:0]
	}
	s.off = 0
	for len(s.buf) < bufSize {
		if s.allowance == 0 {
			n := s.limit.Batch()
			if err := s.limit.Take(s.ctx, n); err != nil {
				return err
			}
			s.allowance = n
		}
		if !s.rows.Next() {
			s.limit.Return(s.allowance)
			s.allowance = 0
			if err := s.rows.Err(); err != nil {
				return fmt.Errorf("source: reading %s: %w", s.table.Source.Name, err)
			}
			s.buf = binary.BigEndian.AppendUint16(s.buf, 0xffff) // the trailer
			s.ended = true
			return nil
		}
		s.allowance--
		row := s.rows.Values()
		start := len(s.buf)
		s.buf = binary.BigEndian.AppendUint16(s.buf, uint16(len(s.cols)))
		for i, col := range s.cols {
			out, err := values.AppendValue(s.buf, col, row[i], s.counts)
			if err != nil {
				return &DataError{Table: s.table.Source.Name, Key: s.keyString(row), Err: fmt.Errorf("column %s: %w", col.Source.Name, err)}
			}
			s.buf = out
		}
		s.bytes += int64(len(s.buf) - start)
		for i, idx := range s.keyIdx {
			key, err := values.AppendKey(s.lastKey[i][:0], s.cols[idx], row[idx])
			if err != nil {
				return &DataError{Table: s.table.Source.Name, Key: s.keyString(row), Err: err}
			}
			s.lastKey[i] = key
		}
		s.n++
	}
	return nil
}

// lastKeyOr returns the key of the last row read, or def if none was.
func (s *chunkSource) lastKeyOr(def [][]byte) [][]byte {
	if s.n == 0 {
		return def
	}
	return s.lastKey
}

// keyString names a row by its key, e.g. (id=42).
func (s *chunkSource) keyString(row []driver.Value) string {
	parts := make([]string, len(s.keyIdx))
	for i, idx := range s.keyIdx {
		key, err := values.AppendKey(nil, s.cols[idx], row[idx])
		if err != nil { // legacy text with no Unicode mapping: its bytes
			key = []byte(fmt.Sprintf("%q", values.AppendText(nil, row[idx])))
		}
		parts[i] = fmt.Sprintf("%s=%s", s.cols[idx].Source.Name, key)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// copySQL is the COPY statement the stream feeds.
func copySQL(t *schema.Table, cols []*schema.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = schema.QuoteIdent(c.Name)
	}
	return "COPY " + schema.QuoteIdent(t.Name) + " (" + strings.Join(names, ", ") + ") FROM STDIN WITH (FORMAT binary)"
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
