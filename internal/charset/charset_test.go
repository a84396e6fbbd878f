package charset

import (
	"errors"
	"testing"
)

func TestDecodeThenEncodeGivesTheSourceBytesBack(t *testing.T) {
	cases := []struct {
		charset string
		raw     []byte
		text    string
	}{
		{"latin1", []byte{0x80, ' ', 0x96, ' ', 0x99, ' ', 0xe9}, "€ – ™ é"},
		{"latin1", []byte{0x81, 0x8d, 0x8f, 0x90, 0x9d}, "\u0081\u008d\u008f\u0090\u009d"},
		{"gbk", []byte{0xd6, 0xd0, 0xce, 0xc4}, "中文"},
		{"big5", []byte{0xa4, 0xa4}, "中"},
		{"sjis", []byte{0x82, 0xa0}, "あ"},
		{"cp1251", []byte{0xcf, 0xf0, 0xe8}, "При"},
		{"ascii", []byte("plain"), "plain"},
	}
	for _, c := range cases {
		cs, err := Lookup(c.charset)
		if err != nil || cs == nil {
			t.Fatalf("Lookup(%s) = %v, %v", c.charset, cs, err)
		}
		text, n, err := cs.Decode(nil, c.raw, false)
		if err != nil || string(text) != c.text || n != 0 {
			t.Errorf("%s: Decode(%x) = %q, %d, %v; want %q", c.charset, c.raw, text, n, err, c.text)
		}
		if back, ok := cs.Encode(nil, text); !ok || string(back) != string(c.raw) {
			t.Errorf("%s: Encode(%q) = %x, %v; want %x", c.charset, text, back, ok, c.raw)
		}
	}
}

func TestASequenceWithNoMappingIsRefusedOrReplacedAndCounted(t *testing.T) {
	for _, c := range []struct {
		charset string
		raw     []byte
	}{{"gbk", []byte{'a', 0xa3, 0x80, 'b'}}, {"ascii", []byte{'a', 0x80, 'b'}}, {"cp1251", []byte{'a', 0x98, 'b'}}} {
		cs, _ := Lookup(c.charset)
		_, _, err := cs.Decode(nil, c.raw, false)
		var ue *UnconvertibleError
		if !errors.As(err, &ue) || ue.Charset != c.charset {
			t.Errorf("%s %x: %v; want an UnconvertibleError", c.charset, c.raw, err)
		}
		text, n, err := cs.Decode(nil, c.raw, true)
		if err != nil || string(text) != "a\ufffdb" || n != 1 {
			t.Errorf("%s %x with replace: %q, %d, %v; want a\ufffdb, 1", c.charset, c.raw, text, n, err)
		}
		if _, ok := cs.Encode(nil, text); ok {
			t.Errorf("%s: U+FFFD encoded", c.charset)
		}
	}
	if err := (&UnconvertibleError{Charset: "gbk", Value: []byte{0xa3, 0x80}}).Error(); err != "gbk text 0xa380 holds a byte sequence with no Unicode mapping" {
		t.Errorf("message: %s", err)
	}
}

func TestUnicodeAndBinaryNeedNoConversionAndOthersAreNamed(t *testing.T) {
	for _, name := range []string{"", "binary", "utf8mb4", "utf8mb3", "utf16"} {
		if cs, err := Lookup(name); cs != nil || err != nil {
			t.Errorf("Lookup(%q) = %v, %v; want none", name, cs, err)
		}
	}
	if _, err := Lookup("armscii8"); err == nil || err.Error() != "character set armscii8 has no conversion in migrawave" {
		t.Errorf("armscii8: %v", err)
	}
}
