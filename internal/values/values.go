// Package values converts source values for their target columns and
// normalizes values from either side for comparison. The copy and the
// verifier both go through here, so what is copied and what is checked
// cannot drift apart. Each MariaDB type has one parser, the one the copy
// uses (AppendBinary).
package values

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// Conversion names, as counted in reports.
const (
	ZeroDateToNull = "zero date → NULL"
	NULStripped    = "NUL bytes stripped"
	// Replaced counts sequences of legacy text with no Unicode mapping
	// written as U+FFFD (on_unconvertible: replace).
	Replaced = "no Unicode mapping → U+FFFD"
)

// Counts counts conversions per column and kind, e.g. {"due_on": {"zero date → NULL": 3}}.
type Counts map[string]map[string]int64

// Add counts one conversion of column.
func (c Counts) Add(column, conversion string) { c.AddN(column, conversion, 1) }

// AddN counts n conversions of column.
func (c Counts) AddN(column, conversion string, n int64) {
	m := c[column]
	if m == nil {
		m = map[string]int64{}
		c[column] = m
	}
	m[conversion] += n
}

// Merge adds other's counts into c.
func (c Counts) Merge(other Counts) {
	for col, m := range other {
		for conv, n := range m {
			if c[col] == nil {
				c[col] = map[string]int64{}
			}
			c[col][conv] += n
		}
	}
}

func parseInt(raw []byte) (int64, error) {
	var n int64
	neg := false
	i := 0
	if len(raw) > 0 && raw[0] == '-' {
		neg, i = true, 1
	}
	if i == len(raw) || len(raw) > 19+i {
		return strconv.ParseInt(string(raw), 10, 64)
	}
	for ; i < len(raw); i++ {
		d := raw[i] - '0'
		if d > 9 {
			return 0, fmt.Errorf("%q is not an integer", raw)
		}
		n = n*10 + int64(d)
	}
	if n < 0 { // overflowed: let strconv say so
		return strconv.ParseInt(string(raw), 10, 64)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// bitsFromSource turns MariaDB's BIT(n) bytes (big-endian, right-aligned)
// into PostgreSQL's bit varying (left-aligned).
func bitsFromSource(raw []byte, n int) pgtype.Bits {
	var v uint64
	for _, b := range raw {
		v = v<<8 | uint64(b)
	}
	size := (n + 7) / 8
	v <<= uint(size*8 - n)
	out := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		out[i] = byte(v)
		v >>= 8
	}
	return pgtype.Bits{Bytes: out, Len: int32(n), Valid: true}
}

// parseTime reads MariaDB's TIME, which spans -838:59:59 to 838:59:59, as an interval.
func parseTime(raw []byte) (pgtype.Interval, error) {
	s := string(raw)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return pgtype.Interval{}, fmt.Errorf("%q is not a time", raw)
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	secs, err3 := strconv.ParseFloat(parts[2], 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return pgtype.Interval{}, fmt.Errorf("%q is not a time", raw)
	}
	us := (h*3600+m*60)*1_000_000 + int64(math.Round(secs*1_000_000))
	if neg {
		us = -us
	}
	return pgtype.Interval{Microseconds: us, Valid: true}, nil
}
