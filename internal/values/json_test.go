package values

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/migrawave/migrawave/internal/testenv"
)

// jsonTestDSN is the local stack's PostgreSQL the jsonb tests ask.
const jsonTestDSN = "postgres://postgres@127.0.0.1:5434/postgres"

func deepJSON(depth int, leaf, sep string) string {
	return strings.Repeat(`{"a"`+sep+`:`+sep+`[`, depth) + leaf + strings.Repeat(`]}`, depth)
}

// manyKeys is an object of n keys (enough for the sort's larger path) in an
// order set by step, with key 0 given first a wrong value then its own.
func manyKeys(n, step int, dup bool) string {
	var b strings.Builder
	b.WriteByte('{')
	if dup {
		b.WriteString(`"k0":"stale",`)
	}
	for i := range n {
		k := i * step % n
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, k, k)
	}
	b.WriteByte('}')
	return b.String()
}

// jsonPairs are documents PostgreSQL accepts, with whether jsonb holds them
// equal.
var jsonPairs = []struct {
	a, b  string
	equal bool
}{
	// Scalars.
	{`null`, `null`, true},
	{`true`, `true`, true},
	{`true`, `false`, false},
	{`null`, `"null"`, false},
	{`true`, `1`, false},
	{`1`, `"1"`, false},
	{`null`, `false`, false},
	// Whitespace.
	{` { "a" : [ 1 , 2 ] , "b" : { } } ` + "\n\t\r", `{"a":[1,2],"b":{}}`, true},
	{"[\n1,\r\n2\t]", `[1,2]`, true},
	// Key order and duplicates: the last one wins.
	{`{"a":1,"b":2}`, `{"b":2,"a":1}`, true},
	{`{"a":1,"ab":2,"":3}`, `{"":3,"ab":2,"a":1}`, true},
	{`{"a":1,"a":2}`, `{"a":2}`, true},
	{`{"a":1,"a":2}`, `{"a":1}`, false},
	{`{"a":1,"b":0,"a":2}`, `{"b":0,"a":2}`, true},
	{`{"a":1,"\u0061":2}`, `{"a":2}`, true},
	{`{"a":{"x":1},"a":{"y":2}}`, `{"a":{"y":2}}`, true},
	{`{"a":null}`, `{}`, false},
	{`{"a":1}`, `{"A":1}`, false},
	{manyKeys(30, 7, true), manyKeys(30, 11, false), true},
	{manyKeys(30, 7, false), manyKeys(31, 7, false), false},
	// Arrays keep their order.
	{`[1,2]`, `[2,1]`, false},
	{`[1,[2,[3]]]`, `[1,[2,[3]]]`, true},
	{`[1,[2,[3]]]`, `[1,[2,3]]`, false},
	{`[[]]`, `[]`, false},
	{`[{}]`, `[[]]`, false},
	{`{}`, `[]`, false},
	{`{}`, `{ }`, true},
	{`[]`, `[ ]`, true},
	{`[null]`, `[]`, false},
	{`[{"b":1,"a":2},{"d":[true,false,null],"c":"x"}]`, `[{"a":2,"b":1},{"c":"x","d":[true,false,null]}]`, true},
	// Escapes and Unicode.
	{`"\u00e9"`, `"é"`, true},
	{`"\u00E9"`, `"é"`, true},
	{`"e\u0301"`, `"é"`, false},
	{`"\/"`, `"/"`, true},
	{`"\""`, `"\u0022"`, true},
	{`"\\"`, `"\u005c"`, true},
	{`"\n\t\r\b\f"`, `"\u000a\u0009\u000d\u0008\u000c"`, true},
	{`"\u001f"`, `"\u001F"`, true},
	{`"\u007f"`, "\"\x7f\"", true},
	{`"\ud83d\ude00"`, `"😀"`, true},
	{`"\uD83D\uDE00"`, `"😀"`, true},
	{`"😀"`, `"😁"`, false},
	{`"a\u0020b"`, `"a b"`, true},
	{`"a b"`, `"a  b"`, false},
	{`"\u4e2d\u6587"`, `"中文"`, true},
	{`{"\u00e9":1}`, `{"é":1}`, true},
	{`{"\"":1,"\\":2}`, `{"\\":2,"\u0022":1}`, true},
	{`""`, `" "`, false},
	{`"abc"`, `"ab"`, false},
	// Numbers compare as numerics.
	{`1`, `1.0`, true},
	{`1`, `1.00`, true},
	{`1`, `1e0`, true},
	{`1`, `10e-1`, true},
	{`1`, `0.1e1`, true},
	{`1`, `1E+0`, true},
	{`0`, `-0`, true},
	{`0`, `-0.0e5`, true},
	{`0`, `0.000`, true},
	{`0.1`, `0.10`, true},
	{`0.1`, `1e-1`, true},
	{`100`, `1e2`, true},
	{`100`, `1E2`, true},
	{`123456`, `123.456e3`, true},
	{`1.5`, `15e-1`, true},
	{`-1.5`, `-15e-1`, true},
	{`-1.5`, `1.5`, false},
	{`1`, `1.0000000000000000000001`, false},
	{`0.0000001`, `1e-7`, true},
	{`0.000000015`, `1.5e-8`, true},
	{`1000000000000000000000`, `1e21`, true},
	{`10000000000000000000000`, `1e22`, true},
	{`12345678901234567890123`, `12345678901234567890123.0`, true},
	{`12345678901234567890123`, `12345678901234567890124`, false},
	{`12345678901234567890123`, `1.2345678901234567890123e22`, true},
	{`9007199254740993`, `9007199254740992`, false},
	{`1e400`, `10e399`, true},
	{`1e-400`, `0.1e-399`, true},
	{`1e400`, `1e401`, false},
	{`[1,2.50,{"n":-3e2}]`, `[1.0,2.5,{"n":-300}]`, true},
	{`{"b": 1, "a": [1.50, 1e2]}`, `{"a": [1.50, 100], "b": 1}`, true},
	// Deep nesting.
	{deepJSON(500, `1`, ``), deepJSON(500, `1.0`, ` `), true},
	{deepJSON(500, `1`, ``), deepJSON(500, `2`, ``), false},
	{deepJSON(500, `1`, ``), deepJSON(499, `1`, ``), false},
	{`[` + strings.Repeat(`[`, 2000) + strings.Repeat(`]`, 2000) + `]`, strings.Repeat(`[`, 2001) + strings.Repeat(`]`, 2001), true},
	// Typical rows.
	{`{"path":"/app/orders/123","ms":1234,"ua":"Mozilla/5.0 (X11; Linux x86_64)","ok":true}`,
		`{"ok": true, "ms": 1234.0, "ua": "Mozilla\/5.0 (X11; Linux x86_64)", "path": "\/app\/orders\/123"}`, true},
	{`{"path":"/app/orders/123","ms":1234,"ok":true}`, `{"path":"/app/orders/124","ms":1234,"ok":true}`, false},
}

// invalidJSON are documents both PostgreSQL and appendJSON refuse.
var invalidJSON = []string{
	``, ` `, `{`, `}`, `[`, `]`, `{"a":`, `{"a"}`, `{"a" 1}`, `{a:1}`, `{'a':1}`, `{"a":1,}`, `[1,]`, `[,1]`, `[1 2]`,
	`{"a":1}}`, `[1]]`, `{"a":1]`, `[1}`, `{} {}`, `1 2`, `{"a":1} x`, `nul`, `tru`, `True`, `NULL`, `nullx`,
	`01`, `-01`, `1.`, `.5`, `+1`, `-`, `1e`, `1e+`, `1.e5`, `0x10`, `NaN`, `Infinity`, `-Infinity`,
	`"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\`, "\"a\tb\"", "\"a\nb\"", `'a'`, "\ufeff{}",
	`[` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100), `{"a":[}`, `{,}`, `{"a":1 "b":2}`,
}

func canonicalJSON(t testing.TB, doc string) string {
	t.Helper()
	out, err := appendJSON(nil, []byte(doc))
	if err != nil {
		t.Fatalf("appendJSON(%.80q): %v", doc, err)
	}
	return string(out)
}

func TestJSONCanonicalForms(t *testing.T) {
	for _, p := range jsonPairs {
		a, b := canonicalJSON(t, p.a), canonicalJSON(t, p.b)
		if (a == b) != p.equal {
			t.Errorf("%.80q vs %.80q: canonical forms %.80q and %.80q; want equal=%v", p.a, p.b, a, b, p.equal)
		}
		// The former implementation held the same documents equal.
		oa, err1 := appendJSONOld(nil, []byte(p.a))
		ob, err2 := appendJSONOld(nil, []byte(p.b))
		if err1 == nil && err2 == nil && bytes.Equal(oa, ob) != p.equal {
			t.Errorf("%.80q vs %.80q: the former implementation says equal=%v", p.a, p.b, !p.equal)
		}
		for _, c := range []string{a, b} {
			if !json.Valid([]byte(c)) {
				t.Errorf("canonical form %.80q is not JSON", c)
			}
			if again := canonicalJSON(t, c); again != c {
				t.Errorf("canonical form %.80q canonicalizes to %.80q", c, again)
			}
		}
	}
}

func TestJSONCanonicalText(t *testing.T) {
	for doc, want := range map[string]string{
		` { "b" : [ 1 , 2.50 ] , "a" : null, "a": "x" } `: `{"a":"x","b":[1,2.5]}`,
		`"\u00e9\/\"\\\n\u0001\ud83d\ude00"`:              `"é/\"\\\n\u0001😀"`,
		`-0`:                                              `0`,
		`-1.50e1`:                                         `-15`,
		`1e22`:                                            `1e22`,
		`1e21`:                                            `1e21`, `1e20`: `100000000000000000000`,
		`1.5e-8`:                  `1.5e-8`,
		`0.000000150`:             `0.00000015`,
		`12345678901234567890123`: `12345678901234567890123`,
		`1234.5678e-2`:            `12.345678`,
		`[{}, [], ""]`:            `[{},[],""]`,
	} {
		if got := canonicalJSON(t, doc); got != want {
			t.Errorf("%q: got %q, want %q", doc, got, want)
		}
	}
}

func TestJSONRefusesInvalidDocuments(t *testing.T) {
	for _, doc := range invalidJSON {
		out, err := appendJSON([]byte("prefix"), []byte(doc))
		if err == nil || out != nil || !strings.Contains(err.Error(), "invalid JSON") {
			t.Errorf("%.80q: got %q, %v; want an invalid JSON error", doc, out, err)
		}
	}
}

// JSON allows what jsonb refuses (\u0000, lone surrogates): such a document
// still gets a form of its own, distinct from its look-alikes.
func TestJSONOutsideJsonb(t *testing.T) {
	forms := map[string]string{}
	for _, doc := range []string{`"\u0000"`, `""`, `"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\ufffd"`, `"\ufffdA"`, "\"\xff\"", "\"\xfe\""} {
		c := canonicalJSON(t, doc)
		if prev, ok := forms[c]; ok {
			t.Errorf("%q and %q share the form %q", prev, doc, c)
		}
		forms[c] = doc
		if again := canonicalJSON(t, c); again != c {
			t.Errorf("canonical form %q canonicalizes to %q", c, again)
		}
	}
}

// Deeper than any Go-stack parser would like: appendJSON keeps its own stack.
func TestJSONVeryDeep(t *testing.T) {
	const depth = 200_000
	doc := strings.Repeat(`[{"a":`, depth) + `1.0` + strings.Repeat(`}]`, depth)
	want := strings.Repeat(`[{"a":`, depth) + `1` + strings.Repeat(`}]`, depth)
	if got := canonicalJSON(t, doc); got != want {
		t.Errorf("deep document canonicalized wrong (%d bytes, want %d)", len(got), len(want))
	}
}

func TestJSONAllocations(t *testing.T) {
	doc := []byte(benchJSONNested)
	buf := make([]byte, 0, 1024)
	appendJSON(buf, doc) // warm the pool
	if n := testing.AllocsPerRun(100, func() {
		if _, err := appendJSON(buf[:0], doc); err != nil {
			t.Fatal(err)
		}
	}); n > 0 {
		t.Errorf("%v allocations per document", n)
	}
}

// PostgreSQL itself must agree: equal canonical forms exactly for the pairs
// jsonb holds equal, each document's form that of jsonb's own text for it,
// and every invalid document refused.
func TestJSONAgreesWithPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, jsonTestDSN)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	defer conn.Close(context.Background())

	for _, p := range jsonPairs {
		var equal bool
		if err := conn.QueryRow(ctx, `SELECT $1::text::jsonb = $2::text::jsonb`, p.a, p.b).Scan(&equal); err != nil {
			t.Fatalf("%.80q = %.80q: %v", p.a, p.b, err)
		}
		if equal != p.equal {
			t.Errorf("%.80q vs %.80q: PostgreSQL says equal=%v, the table %v", p.a, p.b, equal, p.equal)
		}
		if mine := canonicalJSON(t, p.a) == canonicalJSON(t, p.b); mine != equal {
			t.Errorf("%.80q vs %.80q: PostgreSQL says equal=%v, the canonical forms %v", p.a, p.b, equal, mine)
		}
		for _, doc := range []string{p.a, p.b} {
			var text string
			if err := conn.QueryRow(ctx, `SELECT $1::text::jsonb::text`, doc).Scan(&text); err != nil {
				t.Fatalf("%.80q: %v", doc, err)
			}
			if mine, theirs := canonicalJSON(t, doc), canonicalJSON(t, text); mine != theirs {
				t.Errorf("%.80q: canonical form %.80q, of jsonb's text %.80q: %.80q", doc, mine, text, theirs)
			}
		}
	}
	for _, doc := range invalidJSON {
		if _, err := conn.Exec(ctx, `SELECT $1::text::jsonb`, doc); err == nil {
			t.Errorf("PostgreSQL accepts %.80q, which the table has invalid", doc)
		}
	}
}

// FuzzAppendJSON checks appendJSON against encoding/json: the same documents
// valid, canonical forms stable, and equal exactly when the former
// implementation's are.
func FuzzAppendJSON(f *testing.F) {
	for _, p := range jsonPairs {
		if len(p.a) < 1000 && len(p.b) < 1000 {
			f.Add([]byte(p.a), []byte(p.b))
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var forms [2][]byte
		for i, doc := range [][]byte{a, b} {
			out, err := appendJSON(nil, doc)
			if (err == nil) != json.Valid(doc) {
				t.Fatalf("%q: appendJSON says %v, json.Valid %v", doc, err, json.Valid(doc))
			}
			if err != nil {
				return
			}
			if again, err := appendJSON(nil, out); err != nil || !bytes.Equal(again, out) {
				t.Fatalf("%q: canonical form %q canonicalizes to %q, %v", doc, out, again, err)
			}
			forms[i] = out
			// The former implementation reads invalid UTF-8 and lone
			// surrogates as U+FFFD.
			if !utf8.Valid(doc) || bytes.Contains(bytes.ToLower(doc), []byte(`\ud`)) {
				return
			}
		}
		oa, err1 := appendJSONOld(nil, a)
		ob, err2 := appendJSONOld(nil, b)
		if err1 == nil && err2 == nil && bytes.Equal(oa, ob) != bytes.Equal(forms[0], forms[1]) {
			t.Fatalf("%q vs %q: forms %q and %q, formerly %q and %q", a, b, forms[0], forms[1], oa, ob)
		}
	})
}

const (
	benchJSONFlat   = `{"path":"/app/orders/123","ms":1234,"ua":"Mozilla/5.0 (X11; Linux x86_64)","ok":true,"ref":"https://example.com/?q=1"}`
	benchJSONNested = `{"user":{"id":4711,"name":"Zo\u00eb","tags":["a","b"]},"items":[{"sku":"X-1","qty":2,"price":9.90},{"sku":"Y-2","qty":1,"price":12.5}],"ok":true}`
)

func BenchmarkAppendJSON(b *testing.B) {
	for _, doc := range []struct{ name, json string }{{"flat", benchJSONFlat}, {"nested", benchJSONNested}} {
		for _, impl := range []struct {
			name string
			fn   func([]byte, []byte) ([]byte, error)
		}{{"old", appendJSONOld}, {"new", appendJSON}} {
			b.Run(doc.name+"/"+impl.name, func(b *testing.B) {
				raw := []byte(doc.json)
				buf := make([]byte, 0, 1024)
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.fn(buf[:0], raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// appendJSONOld is the former appendJSON, on encoding/json, kept as the
// benchmark's baseline and the fuzz test's reference.
func appendJSONOld(buf []byte, raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return appendJSONValueOld(buf, v), nil
}

func appendJSONValueOld(buf []byte, v any) []byte {
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
			buf = appendJSONValueOld(buf, x[k])
		}
		return append(buf, '}')
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONValueOld(buf, e)
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
