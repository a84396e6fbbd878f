package values

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
)

func col(kind schema.Kind, typ string) *schema.Column {
	return &schema.Column{Name: "c", Kind: kind, Type: typ, Source: source.Column{Name: "c", Precision: 10}}
}

func TestConvertBoundaries(t *testing.T) {
	counts := Counts{}
	cases := []struct {
		kind schema.Kind
		raw  string
		want string
	}{
		{schema.KindInt64, "-9223372036854775808", "-9223372036854775808"},
		{schema.KindUint64Key, "9223372036854775807", "9223372036854775807"},
		{schema.KindBool, "0", "false"},
		{schema.KindBool, "1", "true"},
		{schema.KindInterval, "-838:59:59", "-3020399000000"},
		{schema.KindInterval, "100:00:00.5", "360000500000"},
		{schema.KindSet, "vip,churn", "[vip churn]"},
		{schema.KindTimestamp, "2024-02-29 23:59:59.000001", "2024-02-29 23:59:59.000001 +0000 UTC"},
	}
	for _, c := range cases {
		v, err := Convert(col(c.kind, ""), []byte(c.raw), counts)
		if err != nil {
			t.Fatalf("%v %q: %v", c.kind, c.raw, err)
		}
		got := ""
		switch x := v.(type) {
		case pgtype.Interval:
			got = fmt.Sprint(x.Microseconds)
		default:
			got = fmt.Sprint(x)
		}
		if got != c.want {
			t.Errorf("%v %q = %s, want %s", c.kind, c.raw, got, c.want)
		}
	}
}

func TestZeroDatesBecomeNullAndAreCounted(t *testing.T) {
	counts := Counts{}
	for _, raw := range []string{"0000-00-00", "0000-00-00 00:00:00", "2020-00-15", "2020-05-00 10:00:00"} {
		v, err := Convert(col(schema.KindDate, "date"), []byte(raw), counts)
		if err != nil || v != nil {
			t.Errorf("%q = %v, %v; want NULL", raw, v, err)
		}
	}
	if counts["c"][ZeroDateToNull] != 4 {
		t.Errorf("counted %v", counts)
	}
}

func TestConvertRefusesWhatPostgresCannotStore(t *testing.T) {
	for _, c := range []struct {
		kind schema.Kind
		raw  string
		want string
	}{
		{schema.KindUint64Key, "9223372036854775808", "does not fit PostgreSQL's bigint"},
		{schema.KindText, "a\x00b", "NUL byte"},
		{schema.KindBool, "2", "is not 0 or 1"},
		{schema.KindDate, "2020-02-31", "not a valid date"},
		{schema.KindJSON, `{"a":`, "invalid JSON"},
		{schema.KindJSON, `{"a":"\u0000"}`, `\u0000`},
	} {
		_, err := Convert(col(c.kind, ""), []byte(c.raw), Counts{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %q: %v; want an error about %q", c.kind, c.raw, err, c.want)
		}
	}
}

func TestBitsAreLeftAligned(t *testing.T) {
	v, _ := Convert(col(schema.KindBits, "bit varying(10)"), []byte{0x02, 0xAA}, Counts{}) // b'1010101010'
	b := v.(pgtype.Bits)
	if b.Len != 10 || !bytes.Equal(b.Bytes, []byte{0xAA, 0x80}) {
		t.Fatalf("bits = %+v", b)
	}
}

// Source values as converted and target values as pgx decodes them must
// compare equal when they are the same value.
func TestCanonicalFormsAgreeAcrossSides(t *testing.T) {
	pairs := []struct {
		col         *schema.Column
		source, dst any
	}{
		{col(schema.KindNumeric, "numeric(12,2)"), mustNumeric("12.30"), mustNumeric("12.3")},
		{col(schema.KindInt32, "integer"), int64(42), int32(42)},
		{col(schema.KindJSON, "jsonb"), []byte(`{"b": 1, "a": [1.50, 1e2]}`), `{"a": [1.50, 100], "b": 1}`},
		{col(schema.KindText, "character(3)"), "ab", "ab "},
		{col(schema.KindTimestamptz, "timestamptz"), time.Date(2024, 3, 10, 2, 30, 0, 0, time.UTC), time.Date(2024, 3, 10, 3, 30, 0, 0, time.FixedZone("CET", 3600))},
		{col(schema.KindSet, "text[]"), []string{"a", "b"}, []any{"a", "b"}},
		{col(schema.KindUUID, "uuid"), "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}},
	}
	for _, p := range pairs {
		a, err1 := AppendCanonical(nil, p.col, p.source)
		b, err2 := AppendCanonical(nil, p.col, p.dst)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: %q vs %q (%v, %v)", p.col.Type, a, b, err1, err2)
		}
	}
	a, _ := AppendCanonical(nil, col(schema.KindNumeric, "numeric"), mustNumeric("12.31"))
	b, _ := AppendCanonical(nil, col(schema.KindNumeric, "numeric"), mustNumeric("12.3"))
	if bytes.Equal(a, b) {
		t.Error("12.31 and 12.3 compare equal")
	}
	n, _ := AppendCanonical(nil, col(schema.KindText, "text"), nil)
	e, _ := AppendCanonical(nil, col(schema.KindText, "text"), "")
	if bytes.Equal(n, e) {
		t.Error("NULL and the empty string compare equal")
	}
}

func mustNumeric(s string) pgtype.Numeric {
	n, err := parseNumeric([]byte(s))
	if err != nil {
		panic(err)
	}
	return n
}
