package values

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/schema"
	"github.com/migrawave/migrawave/internal/source"
	"github.com/migrawave/migrawave/internal/testenv"
)

// TestAppendBinaryIsWhatPostgreSQLStores checks every kind's encoding against
// PostgreSQL itself: the value, cast from text to the target type and read
// back in binary, must be exactly what AppendBinary made of MariaDB's text.
// The verifier relies on it: it compares these bytes with the target's.
func TestAppendBinaryIsWhatPostgreSQLStores(t *testing.T) {
	conn := connectPG(t)

	cases := []struct {
		kind   schema.Kind
		pgType string
		raw    string // as MariaDB sends it
		pgText string // the same value as PostgreSQL reads it
	}{
		{schema.KindInt16, "smallint", "-32768", "-32768"},
		{schema.KindYear, "smallint", "2155", "2155"},
		{schema.KindInt32, "integer", "2147483647", "2147483647"},
		{schema.KindInt64, "bigint", "-9223372036854775808", "-9223372036854775808"},
		{schema.KindUint64Key, "bigint", "9223372036854775807", "9223372036854775807"},
		{schema.KindNumeric, "numeric(12,2)", "0.00", "0.00"},
		{schema.KindNumeric, "numeric(12,2)", "-1234.50", "-1234.50"},
		{schema.KindNumeric, "numeric(12,2)", "10000.00", "10000.00"},
		{schema.KindNumeric, "numeric(12,4)", "0.0001", "0.0001"},
		{schema.KindNumeric, "numeric(20,0)", "18446744073709551615", "18446744073709551615"},
		{schema.KindNumeric, "numeric(65,30)", "99999999999999999999999999999999999.999999999999999999999999999999", "99999999999999999999999999999999999.999999999999999999999999999999"},
		{schema.KindNumeric, "numeric(65,30)", "-0.000000000000000000000000000001", "-0.000000000000000000000000000001"},
		{schema.KindFloat32, "real", "3.4028235e38", "3.4028235e38"},
		{schema.KindFloat64, "double precision", "-1.7976931348623157e308", "-1.7976931348623157e308"},
		{schema.KindBool, "boolean", "1", "true"},
		{schema.KindBitBool, "boolean", "\x00", "false"},
		{schema.KindBits, "bit varying(10)", "\x02\x01", "1000000001"},
		{schema.KindText, "text", "Zürich 東京 👍 \"quoted\"", "Zürich 東京 👍 \"quoted\""},
		{schema.KindEnum, "text", "pro", "pro"},
		{schema.KindSet, "text[]", "vip,churn", "{vip,churn}"},
		{schema.KindSet, "text[]", "", "{}"},
		{schema.KindJSON, "jsonb", `{"a": 1}`, `{"a": 1}`},
		{schema.KindBytes, "bytea", "\x00\xff\x10", `\x00ff10`},
		{schema.KindDate, "date", "1000-01-01", "1000-01-01"},
		{schema.KindDate, "date", "2024-02-29", "2024-02-29"},
		{schema.KindTimestamp, "timestamp(6)", "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999"},
		{schema.KindTimestamp, "timestamp(0)", "1970-01-01 00:00:00", "1970-01-01 00:00:00"},
		{schema.KindTimestamptz, "timestamptz(3)", "1999-12-31 23:59:59.125", "1999-12-31 23:59:59.125+00"},
		{schema.KindInterval, "interval", "-838:59:59", "-838:59:59"},
		{schema.KindInterval, "interval", "100:00:00.5", "100:00:00.5"},
		{schema.KindUUID, "uuid", "0E984725-C51C-4BF4-9960-E1C80E27ABA0", "0e984725-c51c-4bf4-9960-e1c80e27aba0"},
		{schema.KindInet, "inet", "192.168.0.1", "192.168.0.1"},
		{schema.KindInet, "inet", "2001:db8::1", "2001:db8::1"},
	}
	for _, c := range cases {
		col := &schema.Column{Name: "c", Kind: c.kind, Type: c.pgType}
		col.Source.Precision = 10
		got, err := AppendBinary(nil, col, []byte(c.raw), Counts{})
		if err != nil {
			t.Errorf("%s %q: %v", c.pgType, c.raw, err)
			continue
		}
		want := storedBinary(t, conn, c.pgType, c.pgText)
		if n := binary.BigEndian.Uint32(got); int(n) != len(got)-4 {
			t.Errorf("%s %q: length prefix %d for %d bytes", c.pgType, c.raw, n, len(got)-4)
		}
		if c.kind == schema.KindJSON {
			// jsonb sends its own canonical text: Normalize makes both comparable.
			got, _ = Normalize(nil, col, got[4:])
			want, _ = Normalize(nil, col, want)
			got = append([]byte{0, 0, 0, 0}, got...)
		}
		if !bytes.Equal(got[4:], want) {
			t.Errorf("%s %q: AppendBinary gives %x, PostgreSQL stores %x", c.pgType, c.raw, got[4:], want)
		}
	}
}

// TestFormatBinaryPrintsWhatPostgreSQLPrints: keys named in a verification
// report read as PostgreSQL's own text of them, not as hex.
func TestFormatBinaryPrintsWhatPostgreSQLPrints(t *testing.T) {
	ctx := context.Background()
	conn := connectPG(t)

	cases := []struct {
		kind   schema.Kind
		pgType string
		text   string
	}{
		{schema.KindInt16, "smallint", "-32768"},
		{schema.KindInt32, "integer", "2147483647"},
		{schema.KindInt64, "bigint", "-9223372036854775808"},
		{schema.KindNumeric, "numeric(12,2)", "0.00"},
		{schema.KindNumeric, "numeric(12,2)", "-1234.50"},
		{schema.KindNumeric, "numeric(12,2)", "10000.00"},
		{schema.KindNumeric, "numeric(20,0)", "18446744073709551615"},
		{schema.KindNumeric, "numeric(20,0)", "100000000"},
		{schema.KindNumeric, "numeric(12,4)", "0.0001"},
		{schema.KindNumeric, "numeric(12,5)", "-0.12345"},
		{schema.KindNumeric, "numeric(65,30)", "99999999999999999999999999999999999.999999999999999999999999999999"},
		{schema.KindNumeric, "numeric(65,30)", "-0.000000000000000000000000000001"},
		{schema.KindNumeric, "numeric", "NaN"},
		{schema.KindText, "varchar(20)", "Zürich 👍"},
		{schema.KindDate, "date", "2024-02-29"},
		{schema.KindTimestamp, "timestamp(6)", "9999-12-31 23:59:59.999999"},
		{schema.KindUUID, "uuid", "0e984725-c51c-4bf4-9960-e1c80e27aba0"},
		{schema.KindBytes, "bytea", `\x00ff10`},
	}
	for _, c := range cases {
		col := &schema.Column{Name: "c", Kind: c.kind, Type: c.pgType}
		var want string
		if err := conn.QueryRow(ctx, "SELECT $1::text::"+c.pgType+"::text", c.text).Scan(&want); err != nil {
			t.Fatalf("%s %q: %v", c.pgType, c.text, err)
		}
		if got := FormatBinary(col, storedBinary(t, conn, c.pgType, c.text)); got != want {
			t.Errorf("%s: FormatBinary prints %q, PostgreSQL %q", c.pgType, got, want)
		}
	}
}

func TestAppendBinaryRefuses(t *testing.T) {
	for _, c := range []struct {
		kind schema.Kind
		raw  string
		want string // in the message, when set
	}{
		{schema.KindInt16, "32768", ""},
		{schema.KindInt32, "2147483648", ""},
		{schema.KindUint64Key, "9223372036854775808", "does not fit PostgreSQL's bigint"},
		{schema.KindBool, "2", "is not 0 or 1"},
		{schema.KindNumeric, "12.3.4", ""},
		{schema.KindDate, "2020-02-30", ""},
		{schema.KindDate, "2020-02-31", ""},
		{schema.KindTimestamp, "2020-01-01 24:00:00", ""},
		{schema.KindJSON, `{"a":`, ""},
		{schema.KindJSON, `{"a":"\u0000"}`, `\u0000`},
		{schema.KindText, "a\x00b", "NUL byte"},
		{schema.KindUUID, "not-a-uuid", ""},
	} {
		col := &schema.Column{Name: "c", Kind: c.kind, NotNull: true, Source: source.Column{Name: "c"}}
		_, err := AppendBinary(nil, col, []byte(c.raw), Counts{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %q: %v; want an error about %q", c.kind, c.raw, err, c.want)
		}
	}
}

// TestAppendValueIsAppendBinary checks that a value as the MariaDB driver
// decodes it (an integer, a float) encodes exactly as its text does, and is
// refused where its text is.
func TestAppendValueIsAppendBinary(t *testing.T) {
	for _, c := range []struct {
		kind  schema.Kind
		value driver.Value
	}{
		{schema.KindInt16, int64(-32768)},
		{schema.KindInt16, int64(32768)},
		{schema.KindYear, int64(2155)},
		{schema.KindInt32, int64(2147483647)},
		{schema.KindInt32, int64(-2147483649)},
		{schema.KindInt64, int64(math.MinInt64)},
		{schema.KindUint64Key, int64(math.MaxInt64)},
		{schema.KindUint64Key, []byte("9223372036854775808")}, // the driver gives bytes past 2^63-1
		{schema.KindNumeric, "18446744073709551615"},
		{schema.KindNumeric, int64(-42)}, // an integer column mapped to numeric
		{schema.KindBool, int64(1)},
		{schema.KindBool, int64(0)},
		{schema.KindBool, int64(2)},
		{schema.KindText, int64(7)}, // an integer column overridden to text
		{schema.KindFloat32, float32(3.4028235e38)},
		{schema.KindFloat64, -1.7976931348623157e308},
		{schema.KindFloat64, 5e-324},
		{schema.KindNumeric, 0.1}, // a double overridden to numeric
		{schema.KindText, nil},
	} {
		col := &schema.Column{Name: "c", Kind: c.kind}
		want, wantErr := AppendBinary([]byte("x"), col, AppendText(nil, c.value), Counts{})
		if c.value == nil {
			want, wantErr = AppendBinary([]byte("x"), col, nil, Counts{})
		}
		got, err := AppendValue([]byte("x"), col, c.value, Counts{})
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%v %#v: got %x, %v; want %x, %v (as text)", c.kind, c.value, got, err, want, wantErr)
		}
	}
}

func TestAppendBinaryZeroDateIsNullAndCounted(t *testing.T) {
	counts := Counts{}
	col := &schema.Column{Name: "due", Kind: schema.KindDate}
	got, err := AppendBinary(nil, col, []byte("2020-00-15"), counts)
	if err != nil || !bytes.Equal(got, []byte{0xff, 0xff, 0xff, 0xff}) || counts["due"][ZeroDateToNull] != 1 {
		t.Fatalf("got %x, %v, counts %v; want NULL and one conversion counted", got, err, counts)
	}
}

// storedBinary is PostgreSQL's binary form of text read as pgType.
// connectPG connects to the local stack's first cluster for one test.
func connectPG(t *testing.T) *pgx.Conn {
	t.Helper()
	cl, _ := testenv.Config(t).Cluster("pg-a")
	conn, err := pgx.Connect(context.Background(), cl.DSN)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func storedBinary(t *testing.T, conn *pgx.Conn, pgType, text string) []byte {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT $1::text::"+pgType, pgx.QueryResultFormats{pgx.BinaryFormatCode}, text)
	if err != nil {
		t.Fatalf("%s %q: %v", pgType, text, err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s %q: no row: %v", pgType, text, rows.Err())
	}
	return bytes.Clone(rows.RawValues()[0])
}
