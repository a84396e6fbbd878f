// Package charset converts text in MariaDB's legacy character sets to
// UTF-8 and back, in migrawave rather than in the server: MariaDB turns a
// byte sequence with no Unicode mapping into '?' with only a warning, so
// text read through its conversion can change without an error.
package charset

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Charset is one of MariaDB's character sets other than Unicode.
type Charset struct {
	Name string // MariaDB's name, e.g. gbk
	codec
}

// codec converts one character set: decode writes U+FFFD for a sequence
// with no mapping, encode reports false for a character with no encoding.
type codec interface {
	decode(raw []byte) []byte
	encode(dst, text []byte) ([]byte, bool)
}

// unicode are the character sets MariaDB converts to utf8mb4 without loss:
// their text is read through the server.
var unicode = map[string]bool{
	"utf8mb4": true, "utf8mb3": true, "utf8": true, "ucs2": true, "utf16": true, "utf16le": true, "utf32": true,
}

var legacy = map[string]codec{
	"ascii": newSingleByte(func(b byte) rune {
		if b < utf8.RuneSelf {
			return rune(b)
		}
		return utf8.RuneError
	}),
	// MariaDB's latin1 is cp1252, with the five bytes cp1252 leaves
	// undefined mapped to the C1 controls of the same number.
	"latin1": newSingleByte(func(b byte) rune {
		switch b {
		case 0x81, 0x8d, 0x8f, 0x90, 0x9d:
			return rune(b)
		}
		return charmap.Windows1252.DecodeByte(b)
	}),
	"latin2": table(charmap.ISO8859_2), "latin5": table(charmap.ISO8859_9), "latin7": table(charmap.ISO8859_13),
	"greek": table(charmap.ISO8859_7), "hebrew": table(charmap.ISO8859_8),
	"cp1250": table(charmap.Windows1250), "cp1251": table(charmap.Windows1251), "cp1256": table(charmap.Windows1256), "cp1257": table(charmap.Windows1257),
	"cp850": table(charmap.CodePage850), "cp852": table(charmap.CodePage852), "cp866": table(charmap.CodePage866),
	"koi8r": table(charmap.KOI8R), "koi8u": table(charmap.KOI8U), "macroman": table(charmap.Macintosh),
	// gb2312 is EUC-CN, a subset of GBK.
	"gbk": multiByte{simplifiedchinese.GBK}, "gb2312": multiByte{simplifiedchinese.GBK},
	"big5": multiByte{traditionalchinese.Big5},
	"sjis": multiByte{japanese.ShiftJIS}, "cp932": multiByte{japanese.ShiftJIS},
	"ujis": multiByte{japanese.EUCJP}, "eucjpms": multiByte{japanese.EUCJP},
	"euckr": multiByte{korean.EUCKR},
}

// Lookup returns the converter for a MariaDB character set, nil for one the
// server converts to utf8mb4 without loss (the Unicode ones) and for no
// character set (binary data). A legacy set it has no table for is an
// *UnsupportedError.
func Lookup(name string) (*Charset, error) {
	if name == "" || name == "binary" || unicode[name] {
		return nil, nil
	}
	c, ok := legacy[name]
	if !ok {
		return nil, &UnsupportedError{Name: name}
	}
	return &Charset{Name: name, codec: c}, nil
}

// UnsupportedError is a character set migrawave has no conversion for.
type UnsupportedError struct{ Name string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("character set %s has no conversion in migrawave", e.Name)
}

// UnconvertibleError is a value holding a byte sequence with no Unicode
// mapping in its character set.
type UnconvertibleError struct {
	Charset string
	Value   []byte
}

func (e *UnconvertibleError) Error() string {
	v := e.Value
	more := ""
	if len(v) > 32 {
		v, more = v[:32], "…"
	}
	return fmt.Sprintf("%s text 0x%s%s holds a byte sequence with no Unicode mapping", e.Charset, hex.EncodeToString(v), more)
}

// Decode appends raw, text in c, to dst as UTF-8. A sequence with no
// Unicode mapping is an *UnconvertibleError, or with replace becomes
// U+FFFD and is counted in replaced.
func (c *Charset) Decode(dst, raw []byte, replace bool) (out []byte, replaced int, err error) {
	if isASCII(raw) { // the same bytes in every supported set
		return append(dst, raw...), 0, nil
	}
	text := c.decode(raw)
	// No supported set maps a sequence to U+FFFD itself: each one is a
	// sequence with no mapping.
	replaced = bytes.Count(text, []byte(string(utf8.RuneError)))
	if replaced > 0 && !replace {
		return nil, 0, &UnconvertibleError{Charset: c.Name, Value: raw}
	}
	return append(dst, text...), replaced, nil
}

// DecodeKey decodes a key value, which later queries on both sides are
// bounded by: it must be exact, so a sequence with no mapping is an error
// even where values are replaced.
func (c *Charset) DecodeKey(dst, raw []byte) ([]byte, error) {
	text, _, err := c.Decode(dst, raw, false)
	if err != nil {
		return nil, fmt.Errorf("%w (a key cannot be replaced)", err)
	}
	return text, nil
}

// Encode appends UTF-8 text to dst in c, and reports false if some
// character has no encoding in c. It is the reverse of Decode, through
// the other direction of the tables: the verifier compares text a copy
// decoded against the source's own bytes with it.
func (c *Charset) Encode(dst, text []byte) ([]byte, bool) {
	if isASCII(text) {
		return append(dst, text...), true
	}
	return c.encode(dst, text)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// singleByte is a character set of one byte per character.
type singleByte struct {
	dec [256]rune
	enc map[rune]byte
}

func newSingleByte(decode func(byte) rune) *singleByte {
	s := &singleByte{enc: map[rune]byte{}}
	for i := range 256 {
		r := decode(byte(i))
		s.dec[i] = r
		if r != utf8.RuneError {
			s.enc[r] = byte(i)
		}
	}
	return s
}

func table(m *charmap.Charmap) *singleByte { return newSingleByte(m.DecodeByte) }

func (s *singleByte) decode(raw []byte) []byte {
	out := make([]byte, 0, len(raw)+len(raw)/2)
	for _, b := range raw {
		out = utf8.AppendRune(out, s.dec[b])
	}
	return out
}

func (s *singleByte) encode(dst, text []byte) ([]byte, bool) {
	for _, r := range string(text) {
		b, ok := s.enc[r]
		if !ok {
			return dst, false
		}
		dst = append(dst, b)
	}
	return dst, true
}

// multiByte is a character set of x/text's.
type multiByte struct{ enc encoding.Encoding }

func (m multiByte) decode(raw []byte) []byte {
	out, err := m.enc.NewDecoder().Bytes(raw)
	if err != nil { // x/text's decoders write U+FFFD rather than fail
		return []byte(string(utf8.RuneError))
	}
	return out
}

func (m multiByte) encode(dst, text []byte) ([]byte, bool) {
	out, err := m.enc.NewEncoder().Bytes(text)
	if err != nil {
		return dst, false
	}
	return append(dst, out...), true
}
