package values

import (
	"bytes"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

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

// Equal values that reach the verifier in different binary forms compare
// equal once normalized, and different values stay different.
func TestNormalizeMakesEqualValuesEqual(t *testing.T) {
	jsonb := func(s string) []byte { return append([]byte{1}, s...) }
	cases := []struct {
		col         *schema.Column
		a, b        []byte
		shouldEqual bool
	}{
		{col(schema.KindJSON, "jsonb"), jsonb(`{"b": 1, "a": [1.50, 1e2]}`), jsonb(`{"a": [1.50, 100], "b": 1}`), true},
		{col(schema.KindJSON, "jsonb"), jsonb(`{"a": 1}`), jsonb(`{"a": 2}`), false},
		{col(schema.KindText, "character(3)"), []byte("ab"), []byte("ab "), true},
		{col(schema.KindText, "character(3)"), []byte("ab"), []byte("abc"), false},
	}
	for _, c := range cases {
		if !Normalized(c.col) {
			t.Fatalf("%s is not normalized", c.col.Type)
		}
		a, err1 := Normalize(nil, c.col, c.a)
		b, err2 := Normalize(nil, c.col, c.b)
		if err1 != nil || err2 != nil || bytes.Equal(a, b) != c.shouldEqual {
			t.Errorf("%s: %q vs %q: equal = %v, want %v (%v, %v)", c.col.Type, c.a, c.b, bytes.Equal(a, b), c.shouldEqual, err1, err2)
		}
	}
	if Normalized(col(schema.KindText, "character varying(3)")) {
		t.Error("varchar is normalized: trailing spaces are significant there")
	}
}

// AppendNormalized takes a shortcut for JSON: it must give exactly what
// AppendValue and then Normalize give, and refuse what they refuse.
func TestAppendNormalizedIsAppendValueThenNormalize(t *testing.T) {
	cases := []struct {
		col   *schema.Column
		value driver.Value
	}{
		{col(schema.KindJSON, "jsonb"), []byte(`{"b": 1, "a": [1.50, 1e2, "\u00e9"]}`)},
		{col(schema.KindJSON, "jsonb"), []byte(`"x"`)},
		{col(schema.KindJSON, "jsonb"), []byte(`{"a": 1`)},         // invalid
		{col(schema.KindJSON, "jsonb"), []byte(`{"a": "\u0000"}`)}, // jsonb cannot hold it
		{col(schema.KindJSON, "jsonb"), nil},
		{col(schema.KindText, "character(4)"), []byte("ab  ")},
		{col(schema.KindText, "character(4)"), []byte("")},
		{col(schema.KindText, "character varying(4)"), []byte("ab  ")},
		{col(schema.KindInt32, "integer"), int64(7)},
	}
	for _, c := range cases {
		want, wantErr := AppendValue([]byte("x"), c.col, c.value, Counts{})
		if wantErr == nil && c.value != nil && Normalized(c.col) {
			want, wantErr = Normalize(want[:5], c.col, bytes.Clone(want[5:]))
			if wantErr == nil {
				binary.BigEndian.PutUint32(want[1:], uint32(len(want)-5))
			}
		}
		got, err := AppendNormalized([]byte("x"), c.col, c.value, Counts{})
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%s %q: got %q, %v; want %q, %v", c.col.Type, c.value, got, err, want, wantErr)
		}
	}
}

func mustNumeric(s string) pgtype.Numeric {
	n, err := parseNumeric([]byte(s))
	if err != nil {
		panic(err)
	}
	return n
}
