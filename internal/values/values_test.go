package values

import (
	"bytes"
	"database/sql/driver"
	"encoding/binary"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
)

func col(kind schema.Kind, typ string) *schema.Column {
	return &schema.Column{Name: "c", Kind: kind, Type: typ, Source: source.Column{Name: "c", Precision: 10}}
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
	var n pgtype.Numeric
	if err := n.Scan(s); err != nil {
		panic(err)
	}
	return n
}
