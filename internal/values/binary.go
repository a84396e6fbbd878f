package values

import (
	"bytes"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/migrawave/migrawave/internal/schema"
)

// AppendBinary appends a raw source value (nil for NULL) of col as one field
// of PostgreSQL's binary COPY format: a 4-byte length (-1 for NULL), then the
// value exactly as the target column's binary send function returns it once
// stored. The copy streams these bytes into the target and the verifier
// hashes them against what the target sends back, so both go through this
// one function.
//
// It encodes straight from MariaDB's text form, without an intermediate Go
// value: this is the copy's inner loop.
func AppendBinary(dst []byte, col *schema.Column, raw []byte, counts Counts) ([]byte, error) {
	if raw == nil {
		return binary.BigEndian.AppendUint32(dst, math.MaxUint32), nil
	}
	if col.Charset != nil {
		text, replaced, err := col.Charset.Decode(nil, raw, col.Replace)
		if err != nil {
			return nil, unconvertible(err)
		}
		if replaced > 0 {
			counts.AddN(col.Name, Replaced, int64(replaced))
		}
		raw = text
	}
	switch col.Kind {
	case schema.KindInt16, schema.KindYear, schema.KindInt32, schema.KindInt64, schema.KindBool:
		n, err := parseInt(raw)
		if err != nil {
			return nil, err
		}
		out, _, err := appendInt64(dst, col, n)
		return out, err
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // the length, set below
	var err error
	switch col.Kind {
	case schema.KindUint64Key:
		var u uint64
		if u, err = strconv.ParseUint(string(raw), 10, 64); err == nil {
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("value %d of an unsigned bigint key does not fit PostgreSQL's bigint", u)
			}
			dst = binary.BigEndian.AppendUint64(dst, u)
		}
	case schema.KindNumeric:
		dst, err = appendNumericBinary(dst, raw)
	case schema.KindFloat32:
		var f float64
		if f, err = strconv.ParseFloat(string(raw), 32); err == nil {
			dst = binary.BigEndian.AppendUint32(dst, math.Float32bits(float32(f)))
		}
	case schema.KindFloat64:
		var f float64
		if f, err = strconv.ParseFloat(string(raw), 64); err == nil {
			dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(f))
		}
	case schema.KindBitBool:
		var bit byte
		if len(raw) > 0 {
			bit = raw[len(raw)-1] & 1
		}
		dst = append(dst, bit)
	case schema.KindBits:
		b := bitsFromSource(raw, int(col.Source.Precision))
		dst = binary.BigEndian.AppendUint32(dst, uint32(b.Len))
		dst = append(dst, b.Bytes...)
	case schema.KindText, schema.KindEnum:
		dst, err = appendText(dst, col, raw, counts)
	case schema.KindSet:
		dst, err = appendSet(dst, col, raw, counts)
	case schema.KindJSON:
		if err = checkJSON(raw); err == nil {
			dst = append(dst, 1) // jsonb's binary format version, then the text
			dst = append(dst, raw...)
		}
	case schema.KindBytes:
		dst = append(dst, raw...)
	case schema.KindDate, schema.KindTimestamp, schema.KindTimestamptz:
		var us int64
		var zero bool
		us, zero, err = parseMicros(raw)
		if zero {
			if col.NotNull {
				return nil, errors.New("zero date in a column the source schema declares without zero dates (its sql_mode changed?): make it nullable or fix the row")
			}
			counts.Add(col.Name, ZeroDateToNull)
			return binary.BigEndian.AppendUint32(dst[:start], math.MaxUint32), nil
		}
		if err == nil {
			if col.Kind == schema.KindDate {
				dst = binary.BigEndian.AppendUint32(dst, uint32(int32(floorDiv(us, 86_400_000_000))))
			} else {
				dst = binary.BigEndian.AppendUint64(dst, uint64(us))
			}
		}
	case schema.KindInterval:
		var iv pgtype.Interval
		if iv, err = parseTime(raw); err == nil {
			dst = binary.BigEndian.AppendUint64(dst, uint64(iv.Microseconds))
			dst = binary.BigEndian.AppendUint64(dst, 0) // days, months
		}
	case schema.KindUUID:
		dst, err = appendUUIDBinary(dst, raw)
	case schema.KindInet:
		var a netip.Addr
		if a, err = netip.ParseAddr(string(raw)); err == nil {
			family, size := byte(2), byte(4) // PostgreSQL's PGSQL_AF_INET
			if a.Is6() {
				family, size = 3, 16
			}
			dst = append(dst, family, byte(a.BitLen()), 0, size)
			dst = append(dst, a.AsSlice()...)
		}
	default:
		err = fmt.Errorf("no conversion for kind %v", col.Kind)
	}
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst, nil
}

// AppendValue is AppendBinary for a value as the MariaDB driver decodes it
// (see source.Rows): integers and floating point numbers go straight into
// their binary form, anything else through AppendBinary.
func AppendValue(dst []byte, col *schema.Column, v driver.Value, counts Counts) ([]byte, error) {
	switch v := v.(type) {
	case []byte:
		return AppendBinary(dst, col, v, counts)
	case nil:
		return binary.BigEndian.AppendUint32(dst, math.MaxUint32), nil
	case int64:
		if out, ok, err := appendInt64(dst, col, v); ok || err != nil {
			return out, err
		}
	case float64:
		if col.Kind == schema.KindFloat64 {
			dst = binary.BigEndian.AppendUint32(dst, 8)
			return binary.BigEndian.AppendUint64(dst, math.Float64bits(v)), nil
		}
	case float32:
		if col.Kind == schema.KindFloat32 {
			dst = binary.BigEndian.AppendUint32(dst, 4)
			return binary.BigEndian.AppendUint32(dst, math.Float32bits(v)), nil
		}
	}
	var text [64]byte
	return AppendBinary(dst, col, AppendText(text[:0], v), counts)
}

// appendInt64 encodes an integer for the integer and boolean kinds, and
// reports false for the kinds that take it as text.
func appendInt64(dst []byte, col *schema.Column, n int64) ([]byte, bool, error) {
	size := 0
	switch col.Kind {
	case schema.KindInt16, schema.KindYear:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, true, fmt.Errorf("value %d does not fit PostgreSQL's smallint", n)
		}
		size = 2
	case schema.KindInt32:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, true, fmt.Errorf("value %d does not fit PostgreSQL's integer", n)
		}
		size = 4
	case schema.KindInt64, schema.KindUint64Key:
		size = 8
	case schema.KindBool:
		if n != 0 && n != 1 {
			return nil, true, fmt.Errorf("tinyint(1) value %d is not 0 or 1: set source.tables.<table>.columns.%s.type to smallint", n, col.Source.Name)
		}
		return append(binary.BigEndian.AppendUint32(dst, 1), byte(n)), true, nil
	default:
		return dst, false, nil
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	switch size {
	case 2:
		return binary.BigEndian.AppendUint16(dst, uint16(n)), true, nil
	case 4:
		return binary.BigEndian.AppendUint32(dst, uint32(n)), true, nil
	}
	return binary.BigEndian.AppendUint64(dst, uint64(n)), true, nil
}

// AppendKey appends a key value of col as the bound of later queries on
// both sides takes it: MariaDB's text form, legacy text decoded exactly.
func AppendKey(dst []byte, col *schema.Column, v driver.Value) ([]byte, error) {
	if col.Charset == nil {
		return AppendText(dst, v), nil
	}
	raw, _ := v.([]byte)
	return col.Charset.DecodeKey(dst, raw)
}

// unconvertible words a legacy text value with no Unicode mapping, with
// the setting that lets it through.
func unconvertible(err error) error {
	return fmt.Errorf("%w (set on_unconvertible: replace on source.tables.<table> or source to write U+FFFD and count it)", err)
}

// AppendText appends a driver value in MariaDB's text form, as database/sql
// would scan it into bytes; nil appends nothing.
func AppendText(dst []byte, v driver.Value) []byte {
	switch v := v.(type) {
	case []byte:
		return append(dst, v...)
	case string:
		return append(dst, v...)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case float64:
		return strconv.AppendFloat(dst, v, 'g', -1, 64)
	case float32:
		return strconv.AppendFloat(dst, float64(v), 'g', -1, 32)
	case nil:
		return dst
	}
	return fmt.Append(dst, v)
}

// appendNumericBinary writes a decimal literal like "-1234.5600" in
// numeric's binary form: base-10000 digits aligned on the decimal point,
// without leading or trailing zero digits (as PostgreSQL stores them), and
// the display scale of the literal, which MariaDB gives as the column's.
func appendNumericBinary(dst, raw []byte) ([]byte, error) {
	s := raw
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac := s, []byte(nil)
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if len(intPart)+len(frac) == 0 || len(frac) > math.MaxInt16 {
		return nil, fmt.Errorf("%q is not a decimal number", raw)
	}
	// Digits, left-padded so the integer part fills whole groups of four.
	var digits [160]byte
	pad := (4 - len(intPart)%4) % 4
	n := pad + len(intPart) + len(frac)
	n += (4 - n%4) % 4
	if n > len(digits) {
		return nil, fmt.Errorf("%q has too many digits", raw)
	}
	for i := range n {
		digits[i] = '0'
	}
	copy(digits[pad:], intPart)
	copy(digits[pad+len(intPart):], frac)
	var groups [40]int16
	ng := n / 4
	for g := range ng {
		v := 0
		for _, c := range digits[g*4 : g*4+4] {
			if c < '0' || c > '9' {
				return nil, fmt.Errorf("%q is not a decimal number", raw)
			}
			v = v*10 + int(c-'0')
		}
		groups[g] = int16(v)
	}
	weight := (pad+len(intPart))/4 - 1
	first, last := 0, ng
	for first < last && groups[first] == 0 {
		first++
		weight--
	}
	for last > first && groups[last-1] == 0 {
		last--
	}
	sign := uint16(0)
	if first == last { // zero: no digits, weight 0, positive
		weight = 0
	} else if neg {
		sign = 0x4000
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(last-first))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(frac)))
	for _, g := range groups[first:last] {
		dst = binary.BigEndian.AppendUint16(dst, uint16(g))
	}
	return dst, nil
}

// appendText writes text, refusing NUL bytes (PostgreSQL cannot store
// them) unless the column is configured to strip them.
func appendText(dst []byte, col *schema.Column, raw []byte, counts Counts) ([]byte, error) {
	if bytes.IndexByte(raw, 0) < 0 {
		return append(dst, raw...), nil
	}
	if !col.StripNUL {
		return nil, fmt.Errorf("text holds a NUL byte, which PostgreSQL cannot store (set strip_nul: true on source.tables.<table>.columns.%s to strip it)", col.Source.Name)
	}
	counts.Add(col.Name, NULStripped)
	for _, b := range raw {
		if b != 0 {
			dst = append(dst, b)
		}
	}
	return dst, nil
}

// appendSet writes a SET value ("a,b") as a one-dimensional text[].
func appendSet(dst []byte, col *schema.Column, raw []byte, counts Counts) ([]byte, error) {
	const textOID = 25
	if len(raw) == 0 {
		dst = binary.BigEndian.AppendUint32(dst, 0) // no dimensions
		dst = binary.BigEndian.AppendUint32(dst, 0) // no NULLs
		return binary.BigEndian.AppendUint32(dst, textOID), nil
	}
	dst = binary.BigEndian.AppendUint32(dst, 1)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, textOID)
	dst = binary.BigEndian.AppendUint32(dst, uint32(bytes.Count(raw, []byte{','})+1))
	dst = binary.BigEndian.AppendUint32(dst, 1) // lower bound
	for elem := range bytes.SplitSeq(raw, []byte{','}) {
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		var err error
		if dst, err = appendText(dst, col, elem, counts); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst, nil
}

func checkJSON(raw []byte) error {
	if err := validJSON(raw); err != nil {
		return err
	}
	return checkJSONNul(raw)
}

func checkJSONNul(raw []byte) error {
	if bytes.Contains(raw, []byte(`\u0000`)) {
		return errors.New(`JSON holds \u0000, which PostgreSQL's jsonb cannot store`)
	}
	return nil
}

// pgEpochDays is 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01.
const pgEpochDays = 10_957

// parseMicros reads "2006-01-02" or "2006-01-02 15:04:05[.999999]" as
// microseconds since PostgreSQL's epoch. zero reports a zero or partly zero
// date ("0000-00-00", "2020-00-15"), which PostgreSQL cannot store.
func parseMicros(raw []byte) (us int64, zero bool, err error) {
	bad := func() (int64, bool, error) { return 0, false, fmt.Errorf("%q is not a valid date and time", raw) }
	if len(raw) < 10 || raw[4] != '-' || raw[7] != '-' {
		return bad()
	}
	year, ok1 := digits(raw[0:4])
	month, ok2 := digits(raw[5:7])
	day, ok3 := digits(raw[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	if year == 0 || month == 0 || day == 0 {
		return 0, true, nil
	}
	// ALLOW_INVALID_DATES lets MariaDB keep 2020-02-31: refuse it rather than roll it over.
	if month > 12 || day > daysIn(year, month) {
		return bad()
	}
	var hour, minute, sec, frac int64
	if len(raw) > 10 {
		if len(raw) < 19 || raw[10] != ' ' || raw[13] != ':' || raw[16] != ':' {
			return bad()
		}
		var ok4, ok5, ok6 bool
		hour, ok4 = digits(raw[11:13])
		minute, ok5 = digits(raw[14:16])
		sec, ok6 = digits(raw[17:19])
		if !ok4 || !ok5 || !ok6 || hour > 23 || minute > 59 || sec > 59 {
			return bad()
		}
		if len(raw) > 19 {
			f := raw[20:]
			if raw[19] != '.' || len(f) == 0 || len(f) > 6 {
				return bad()
			}
			var ok bool
			if frac, ok = digits(f); !ok {
				return bad()
			}
			for i := len(f); i < 6; i++ {
				frac *= 10
			}
		}
	}
	days := daysFromCivil(year, month, day) - pgEpochDays
	return ((days*24+hour)*60+minute)*60_000_000 + sec*1_000_000 + frac, false, nil
}

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func daysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days since 1970-01-01 in the proleptic Gregorian
// calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func appendUUIDBinary(dst, raw []byte) ([]byte, error) {
	var h [32]byte
	n := 0
	for _, c := range raw {
		if c == '-' {
			continue
		}
		if n == len(h) {
			return nil, fmt.Errorf("%q is not a UUID", raw)
		}
		h[n] = c
		n++
	}
	var b [16]byte
	if _, err := hex.Decode(b[:], h[:n]); err != nil || n != len(h) {
		return nil, fmt.Errorf("%q is not a UUID", raw)
	}
	return append(dst, b[:]...), nil
}

// Normalized reports whether equal values of col may arrive in different
// binary forms from the two sides, so that Normalize must see them first:
// jsonb (the source's JSON text is not the target's canonical text) and
// character(n) (the target pads, MariaDB does not).
//
// Legacy text is compared in its own character set, so that the source
// side shares no conversion with the copy that could hide a change: the
// source's bytes as MariaDB stores them, against the target's text encoded
// back (see appendLegacySource).
func Normalized(col *schema.Column) bool {
	return col.Kind == schema.KindJSON || strings.HasPrefix(col.Type, "character(") || legacyText(col)
}

func legacyText(col *schema.Column) bool {
	return col.Charset != nil && (col.Kind == schema.KindText || col.Kind == schema.KindEnum)
}

// Tags of a normalized legacy text value.
const (
	legacyBytes byte = iota // then the bytes in the column's character set
	legacyUTF8              // then UTF-8 text that has no encoding there
)

// appendLegacySource appends a source value of legacy text as the verifier
// compares it: its own bytes, but for a value the copy replaced (with
// on_unconvertible: replace), which is compared as the copy wrote it.
func appendLegacySource(dst []byte, col *schema.Column, raw []byte) ([]byte, error) {
	if strings.HasPrefix(col.Type, "character(") {
		raw = bytes.TrimRight(raw, " ")
	}
	if bytes.IndexByte(raw, 0) >= 0 { // 0 is NUL alone in every legacy set
		if !col.StripNUL {
			return nil, errors.New("text holds a NUL byte")
		}
		raw = bytes.ReplaceAll(raw, []byte{0}, nil)
	}
	if col.Replace {
		if text, n, _ := col.Charset.Decode(nil, raw, true); n > 0 {
			return append(append(dst, legacyUTF8), text...), nil
		}
	}
	return append(append(dst, legacyBytes), raw...), nil
}

// Normalize appends one binary value of col (not NULL) in the form that
// compares equal for equal values.
func Normalize(dst []byte, col *schema.Column, v []byte) ([]byte, error) {
	if col.Kind == schema.KindJSON {
		if len(v) == 0 || v[0] != 1 {
			return nil, fmt.Errorf("column %s: not jsonb's binary format", col.Name)
		}
		return appendJSON(dst, v[1:])
	}
	if strings.HasPrefix(col.Type, "character(") {
		v = bytes.TrimRight(v, " ")
	}
	if legacyText(col) {
		if out, ok := col.Charset.Encode(append(dst, legacyBytes), v); ok {
			return out, nil
		}
		return append(append(dst, legacyUTF8), v...), nil
	}
	return append(dst, v...), nil
}

// AppendNormalized appends a source value of col as AppendValue encodes it
// and Normalize then puts it, after its length: the form that verification
// hashes. A JSON document is parsed once, where the two would parse it to
// check it and again to normalize it.
func AppendNormalized(dst []byte, col *schema.Column, v driver.Value, counts Counts) ([]byte, error) {
	if v == nil || !Normalized(col) {
		return AppendValue(dst, col, v, counts)
	}
	at := len(dst)
	var err error
	if legacyText(col) {
		raw, _ := v.([]byte)
		if dst, err = appendLegacySource(append(dst, 0, 0, 0, 0), col, raw); err != nil {
			return nil, err
		}
	} else if col.Kind == schema.KindJSON {
		raw, ok := v.([]byte)
		if !ok {
			raw = AppendText(nil, v)
		}
		if col.Charset != nil { // JSON in a legacy set: a document, compared as one
			if raw, _, err = col.Charset.Decode(nil, raw, col.Replace); err != nil {
				return nil, unconvertible(err)
			}
		}
		if err := checkJSONNul(raw); err != nil {
			return nil, err
		}
		if dst, err = appendJSON(append(dst, 0, 0, 0, 0), raw); err != nil {
			return nil, err
		}
	} else {
		if dst, err = AppendValue(dst, col, v, counts); err != nil {
			return nil, err
		}
		// Normalize only trims it, so it may write over the value it reads.
		if dst, err = Normalize(dst[:at+4], col, dst[at+4:]); err != nil {
			return nil, err
		}
	}
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst, nil
}

// FormatNormalized prints one value as Normalize puts it, for people.
func FormatNormalized(col *schema.Column, v []byte) string {
	if legacyText(col) && len(v) > 0 {
		if v[0] == legacyBytes {
			text, _, _ := col.Charset.Decode(nil, v[1:], true)
			return string(text)
		}
		return string(v[1:])
	}
	return FormatBinary(col, v)
}

// FormatBinary prints one binary value of col for people, e.g. a key in a
// verification report.
func FormatBinary(col *schema.Column, v []byte) string {
	if v == nil {
		return "NULL"
	}
	switch col.Kind {
	case schema.KindInt16, schema.KindYear, schema.KindInt32, schema.KindInt64, schema.KindUint64Key:
		switch len(v) {
		case 2:
			return strconv.Itoa(int(int16(binary.BigEndian.Uint16(v))))
		case 4:
			return strconv.Itoa(int(int32(binary.BigEndian.Uint32(v))))
		case 8:
			return strconv.FormatInt(int64(binary.BigEndian.Uint64(v)), 10)
		}
	case schema.KindNumeric:
		if s, ok := formatNumeric(v); ok {
			return s
		}
	case schema.KindText, schema.KindEnum:
		return string(bytes.TrimRight(v, " "))
	case schema.KindUUID:
		if len(v) == 16 {
			return string(appendUUID(nil, v))
		}
	case schema.KindDate:
		if len(v) == 4 {
			days := int64(int32(binary.BigEndian.Uint32(v)))
			return time.Unix((days+pgEpochDays)*86_400, 0).UTC().Format("2006-01-02")
		}
	case schema.KindTimestamp, schema.KindTimestamptz:
		if len(v) == 8 {
			us := int64(binary.BigEndian.Uint64(v))
			return time.UnixMicro(us + pgEpochDays*86_400_000_000).UTC().Format("2006-01-02 15:04:05.999999")
		}
	}
	return `\x` + hex.EncodeToString(v)
}

// formatNumeric prints numeric's binary form (digit count, weight of the
// first base-10000 digit, sign, display scale, digits) as numeric_out does,
// e.g. -1234.50; ok is false for a malformed value.
func formatNumeric(v []byte) (s string, ok bool) {
	if len(v) < 8 {
		return "", false
	}
	n := int(binary.BigEndian.Uint16(v))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	dscale := int(binary.BigEndian.Uint16(v[6:]))
	if sign == 0xC000 {
		return "NaN", true
	}
	// Anything but plus and minus (the infinities) MariaDB's decimals never hold.
	if (sign != 0 && sign != 0x4000) || len(v) != 8+2*n || dscale > math.MaxInt16 {
		return "", false
	}
	digit := func(i int) int { // the i-th base-10000 digit, 0 past the stored ones
		if i < 0 || i >= n {
			return 0
		}
		return int(binary.BigEndian.Uint16(v[8+2*i:]))
	}
	var b []byte
	if sign == 0x4000 {
		b = append(b, '-')
	}
	if weight < 0 {
		b = append(b, '0')
	}
	for i := 0; i <= weight; i++ {
		if i == 0 {
			b = strconv.AppendInt(b, int64(digit(0)), 10)
		} else {
			b = fmt.Appendf(b, "%04d", digit(i))
		}
	}
	if dscale > 0 {
		b = append(b, '.')
		for i, left := weight+1, dscale; left > 0; i, left = i+1, left-4 {
			at := len(b)
			b = fmt.Appendf(b, "%04d", digit(i))
			b = b[:at+min(4, left)]
		}
	}
	return string(b), true
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
