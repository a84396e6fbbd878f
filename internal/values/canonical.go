package values

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/migrawave/migrawave/internal/schema"
)

// AppendCanonical appends a normalized form of v, a value of col either as
// Convert produced it from the source or as pgx decoded it from the target,
// such that equal values give equal bytes.
func AppendCanonical(buf []byte, col *schema.Column, v any) ([]byte, error) {
	if v == nil {
		return append(buf, 0xff), nil
	}
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0) // length, filled in below
	var err error
	buf, err = appendValue(buf, col, v)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(buf[start:], uint32(len(buf)-start-4))
	return buf, nil
}

func appendValue(buf []byte, col *schema.Column, v any) ([]byte, error) {
	switch x := v.(type) {
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case float32:
		return strconv.AppendFloat(buf, float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.AppendFloat(buf, x, 'g', -1, 64), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case pgtype.Numeric:
		return appendNumeric(buf, x), nil
	case pgtype.Bits:
		buf = strconv.AppendInt(buf, int64(x.Len), 10)
		buf = append(buf, ':')
		return hex.AppendEncode(buf, x.Bytes), nil
	case pgtype.Interval:
		us := x.Microseconds + int64(x.Days)*86_400_000_000 + int64(x.Months)*30*86_400_000_000
		return strconv.AppendInt(buf, us, 10), nil
	case time.Time:
		switch col.Kind {
		case schema.KindDate:
			return x.AppendFormat(buf, "2006-01-02"), nil
		case schema.KindTimestamptz:
			return x.UTC().AppendFormat(buf, time.RFC3339Nano), nil
		}
		// timestamp without time zone: the wall clock, whatever location pgx gave it.
		return x.AppendFormat(buf, "2006-01-02T15:04:05.999999999"), nil
	case netip.Prefix:
		return x.AppendText(buf)
	case [16]uint8:
		return appendUUID(buf, x[:]), nil
	case []byte:
		if col.Kind == schema.KindJSON {
			return appendJSON(buf, x)
		}
		return append(buf, x...), nil
	case string:
		switch col.Kind {
		case schema.KindJSON:
			return appendJSON(buf, []byte(x))
		case schema.KindUUID:
			return append(buf, strings.ToLower(x)...), nil
		}
		if strings.HasPrefix(col.Type, "character(") {
			// CHAR(n): MariaDB strips the padding PostgreSQL keeps.
			x = strings.TrimRight(x, " ")
		}
		return append(buf, x...), nil
	case []string:
		return appendStrings(buf, x), nil
	case []any:
		s := make([]string, len(x))
		for i, e := range x {
			s[i] = fmt.Sprint(e)
		}
		return appendStrings(buf, s), nil
	}
	return nil, fmt.Errorf("column %s: cannot compare a value of type %T", col.Name, v)
}

func appendStrings(buf []byte, s []string) []byte {
	for _, e := range s {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(e)))
		buf = append(buf, e...)
	}
	return buf
}

func appendUUID(buf []byte, b []byte) []byte {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return append(buf, s[:]...)
}

// appendNumeric writes the value without trailing zeros, so 1.50 (scale 2)
// and 1.5 compare equal; PostgreSQL keeps the column's scale anyway.
func appendNumeric(buf []byte, n pgtype.Numeric) []byte {
	if n.NaN {
		return append(buf, "NaN"...)
	}
	if n.Int == nil || n.Int.Sign() == 0 {
		return append(buf, '0')
	}
	i := new(big.Int).Set(n.Int)
	exp := n.Exp
	ten := big.NewInt(10)
	q, r := new(big.Int), new(big.Int)
	for {
		q.QuoRem(i, ten, r)
		if r.Sign() != 0 {
			break
		}
		i.Set(q)
		exp++
	}
	buf = i.Append(buf, 10)
	buf = append(buf, 'e')
	return strconv.AppendInt(buf, int64(exp), 10)
}

// appendJSON writes JSON with sorted keys, no insignificant space and numbers
// in one form, as jsonb would store them.
func appendJSON(buf []byte, raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return appendJSONValue(buf, v), nil
}

func appendJSONValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendQuote(buf, k)
			buf = append(buf, ':')
			buf = appendJSONValue(buf, x[k])
		}
		return append(buf, '}')
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONValue(buf, e)
		}
		return append(buf, ']')
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			return append(buf, r.RatString()...)
		}
		return append(buf, x...)
	case string:
		return strconv.AppendQuote(buf, x)
	case bool:
		return strconv.AppendBool(buf, x)
	case nil:
		return append(buf, "null"...)
	}
	return fmt.Appendf(buf, "%v", v)
}
