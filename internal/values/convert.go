// Package values converts source values for their target columns and
// normalizes values from either side for comparison. The copy and the
// verifier both go through here, so what is copied and what is checked
// cannot drift apart.
package values

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/migrawave/migrawave/internal/schema"
)

// Conversion names, as counted in reports.
const (
	ZeroDateToNull = "zero date → NULL"
	NULStripped    = "NUL bytes stripped"
)

// Counts counts conversions per column and kind, e.g. {"due_on": {"zero date → NULL": 3}}.
type Counts map[string]map[string]int64

// Add counts one conversion of column.
func (c Counts) Add(column, conversion string) {
	m := c[column]
	if m == nil {
		m = map[string]int64{}
		c[column] = m
	}
	m[conversion]++
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

// Convert turns a raw source value (nil for NULL), as database/sql hands it
// over from a prepared statement, into the Go value pgx encodes for the
// target column. Prepared statements use MariaDB's binary protocol, which
// keeps FLOAT exact where the text protocol would round it. The returned
// value may alias raw: encode it before raw is reused.
func Convert(col *schema.Column, raw []byte, counts Counts) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch col.Kind {
	case schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindYear:
		return parseInt(raw)
	case schema.KindUint64Key:
		u, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("value %d of an unsigned bigint key does not fit PostgreSQL's bigint", u)
		}
		return int64(u), nil
	case schema.KindNumeric:
		return parseNumeric(raw)
	case schema.KindFloat32:
		f, err := strconv.ParseFloat(string(raw), 32)
		return float32(f), err
	case schema.KindFloat64:
		return strconv.ParseFloat(string(raw), 64)
	case schema.KindBool:
		n, err := parseInt(raw)
		if err == nil && n != 0 && n != 1 {
			// A boolean would lose it, and no comparison could tell.
			return nil, fmt.Errorf("tinyint(1) value %d is not 0 or 1: set source.tables.<table>.columns.%s.type to smallint", n, col.Source.Name)
		}
		return n == 1, err
	case schema.KindBitBool:
		return len(raw) > 0 && raw[len(raw)-1]&1 == 1, nil
	case schema.KindBits:
		return bitsFromSource(raw, int(col.Source.Precision)), nil
	case schema.KindText, schema.KindEnum:
		return text(col, raw, counts)
	case schema.KindSet:
		s, err := text(col, raw, counts)
		if err != nil || s == "" {
			return []string{}, err
		}
		return strings.Split(s, ","), nil
	case schema.KindJSON:
		if !json.Valid(raw) {
			return nil, errors.New("invalid JSON")
		}
		if bytes.Contains(raw, []byte(`\u0000`)) {
			return nil, errors.New(`JSON holds \u0000, which PostgreSQL's jsonb cannot store`)
		}
		return raw, nil
	case schema.KindBytes:
		return raw, nil
	case schema.KindDate, schema.KindTimestamp, schema.KindTimestamptz:
		t, zero, err := parseDateTime(raw)
		if zero {
			if col.NotNull {
				return nil, errors.New("zero date in a column the source schema declares without zero dates (its sql_mode changed?): make it nullable or fix the row")
			}
			counts.Add(col.Name, ZeroDateToNull)
			return nil, nil
		}
		return t, err
	case schema.KindInterval:
		return parseTime(raw)
	case schema.KindUUID:
		return string(raw), nil
	case schema.KindInet:
		a, err := netip.ParseAddr(string(raw))
		if err != nil {
			return nil, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return nil, fmt.Errorf("no conversion for kind %v", col.Kind)
}

func text(col *schema.Column, raw []byte, counts Counts) (string, error) {
	if bytes.IndexByte(raw, 0) < 0 {
		return string(raw), nil
	}
	if !col.StripNUL {
		return "", fmt.Errorf("text holds a NUL byte, which PostgreSQL cannot store (set strip_nul: true on source.tables.<table>.columns.%s to strip it)", col.Source.Name)
	}
	counts.Add(col.Name, NULStripped)
	return string(bytes.ReplaceAll(raw, []byte{0}, nil)), nil
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

// parseNumeric reads a decimal literal like "-12.3400" into a Numeric that
// keeps its scale, so 12.30 stays 12.30.
func parseNumeric(raw []byte) (pgtype.Numeric, error) {
	s := string(raw)
	exp := int32(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		exp = -int32(len(s) - i - 1)
		s = s[:i] + s[i+1:]
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return pgtype.Numeric{}, fmt.Errorf("%q is not a decimal number", raw)
	}
	return pgtype.Numeric{Int: n, Exp: exp, Valid: true}, nil
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

// parseDateTime reads "2006-01-02" or "2006-01-02 15:04:05[.999999]" as UTC.
// zero reports a zero or partly zero date ("0000-00-00", "2020-00-15"),
// which PostgreSQL cannot store.
func parseDateTime(raw []byte) (t time.Time, zero bool, err error) {
	if len(raw) < 10 || raw[4] != '-' || raw[7] != '-' {
		return time.Time{}, false, fmt.Errorf("%q is not a date", raw)
	}
	year, err1 := parseInt(raw[0:4])
	month, err2 := parseInt(raw[5:7])
	day, err3 := parseInt(raw[8:10])
	if err := errors.Join(err1, err2, err3); err != nil {
		return time.Time{}, false, fmt.Errorf("%q is not a date", raw)
	}
	if year == 0 || month == 0 || day == 0 {
		return time.Time{}, true, nil
	}
	var hour, minute, sec, nsec int64
	if len(raw) >= 19 {
		hour, err1 = parseInt(raw[11:13])
		minute, err2 = parseInt(raw[14:16])
		sec, err3 = parseInt(raw[17:19])
		if err := errors.Join(err1, err2, err3); err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a date and time", raw)
		}
		if len(raw) > 20 && raw[19] == '.' {
			frac := raw[20:]
			f, err := parseInt(frac)
			if err != nil {
				return time.Time{}, false, fmt.Errorf("%q is not a date and time", raw)
			}
			for i := len(frac); i < 9; i++ {
				f *= 10
			}
			nsec = f
		}
	}
	t = time.Date(int(year), time.Month(month), int(day), int(hour), int(minute), int(sec), int(nsec), time.UTC)
	if t.Day() != int(day) || t.Month() != time.Month(month) || t.Hour() != int(hour) || t.Minute() != int(minute) || t.Second() != int(sec) {
		// ALLOW_INVALID_DATES lets MariaDB keep 2020-02-31; time.Date would quietly roll it over.
		return time.Time{}, false, fmt.Errorf("%q is not a valid date", raw)
	}
	return t, false, nil
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
