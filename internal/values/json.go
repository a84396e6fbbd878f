package values

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// appendJSON writes raw, one JSON document, in a canonical form: two
// documents jsonb holds equal give the same bytes and two it holds different
// give different bytes. Object members are sorted by key without
// insignificant space and with the last of duplicate keys kept, as jsonb
// does; strings are decoded and re-escaped one way; numbers are written by
// their value, as jsonb compares its numerics (1, 1.0, 10e-1 and 1e0 are one
// number, -0 is 0), exactly however many digits they have.
//
// The output is JSON itself: strings escape only '"', '\' and control
// characters (\b \f \n \r \t, else \u00xx), plus \udxxx for a lone UTF-16
// surrogate, which jsonb refuses but JSON's grammar allows; other bytes,
// valid UTF-8 or not, are kept as they are. Numbers are written plainly
// (123, 0.05, 12300) unless that takes more than 20 trailing zeros or 6
// zeros after the point, then in exponent form (1e22, 1.5e-8).
//
// It parses the bytes in one pass into a flat list of tokens, then writes
// them out; the scratch space is pooled, so a small document allocates
// nothing beyond the growth of buf.
func appendJSON(buf []byte, raw []byte) ([]byte, error) {
	err := parseJSON(raw, func(p *jsonParser) { buf = p.emit(slices.Grow(buf, len(raw))) })
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// validJSON reports whether raw is one JSON document, exactly as json.Valid
// would (FuzzAppendJSON holds them to it), in less than half its time.
func validJSON(raw []byte) error { return parseJSON(raw, nil) }

// parseJSON parses raw with a pooled parser and, if it is valid, calls use.
func parseJSON(raw []byte, use func(*jsonParser)) error {
	p := jsonParsers.Get().(*jsonParser)
	p.raw = raw
	err := p.parse()
	if err == nil && use != nil {
		use(p)
	}
	p.reset()
	jsonParsers.Put(p)
	return err
}

var jsonParsers = sync.Pool{New: func() any { return new(jsonParser) }}

// jsonKind is a token's kind.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonFalse
	jsonTrue
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonToken is one value or object key. A container's elements (for an
// object: key, value, key, value...) follow it; end is the index of the
// first token after them. A number's or string's canonical text (a string's
// without its quotes) is raw[start:end], or data[start:end] when inData.
type jsonToken struct {
	kind       jsonKind
	inData     bool
	start, end int
}

type jsonParser struct {
	raw     []byte
	tokens  []jsonToken
	data    []byte // canonical text that is not a slice of raw
	stack   []int  // the open containers' token indexes while parsing
	members []int  // objects' key token indexes while emitting
	frames  []jsonFrame
}

// jsonFrame is a container being written: for an array i and end are token
// indexes, for an object indexes into members, whose entries from base on
// are its own.
type jsonFrame struct {
	object       bool
	first        bool
	i, end, base int
}

func (p *jsonParser) reset() {
	p.raw = nil
	// Do not keep the scratch space of a huge document for the next ones.
	if cap(p.tokens) > 1<<14 || cap(p.data) > 1<<16 || cap(p.members) > 1<<14 || cap(p.stack) > 1<<12 || cap(p.frames) > 1<<12 {
		*p = jsonParser{}
		return
	}
	p.tokens = p.tokens[:0]
	p.data = p.data[:0]
	p.stack = p.stack[:0]
	p.members = p.members[:0]
	p.frames = p.frames[:0]
}

func (p *jsonParser) fail(pos int, what string) error {
	if pos >= len(p.raw) {
		return fmt.Errorf("invalid JSON: %s at the end of the document", what)
	}
	return fmt.Errorf("invalid JSON: %s at offset %d (%q)", what, pos, p.raw[pos])
}

func (p *jsonParser) skipSpace(pos int) int {
	for pos < len(p.raw) {
		switch p.raw[pos] {
		case ' ', '\t', '\n', '\r':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// parse fills tokens from raw, or says why raw is not one JSON document.
// It keeps its own stack of open containers, so deep nesting costs memory,
// not Go stack.
func (p *jsonParser) parse() error {
	raw := p.raw
	pos := p.skipSpace(0)
	var err error
	for {
		// A value starts at pos.
		if pos >= len(raw) {
			return p.fail(pos, "a value expected")
		}
		switch c := raw[pos]; {
		case c == '{' || c == '[':
			kind := jsonArray
			if c == '{' {
				kind = jsonObject
			}
			p.stack = append(p.stack, len(p.tokens))
			p.tokens = append(p.tokens, jsonToken{kind: kind})
			pos = p.skipSpace(pos + 1)
			if pos < len(raw) && raw[pos] == c+2 { // '}' or ']'
				break // empty; closed below
			}
			if kind == jsonObject {
				if pos, err = p.member(pos); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if pos, err = p.string(pos); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if pos, err = p.number(pos); err != nil {
				return err
			}
		case c == 't':
			if pos, err = p.literal(pos, "true", jsonTrue); err != nil {
				return err
			}
		case c == 'f':
			if pos, err = p.literal(pos, "false", jsonFalse); err != nil {
				return err
			}
		case c == 'n':
			if pos, err = p.literal(pos, "null", jsonNull); err != nil {
				return err
			}
		default:
			return p.fail(pos, "a value expected")
		}
		// After a value: close containers, or go on to the next element.
		for {
			pos = p.skipSpace(pos)
			top := len(p.stack) - 1
			if top < 0 {
				if pos != len(raw) {
					return p.fail(pos, "data after the document")
				}
				return nil
			}
			open := p.stack[top]
			object := p.tokens[open].kind == jsonObject
			if pos >= len(raw) {
				return p.fail(pos, "',' or a closing bracket expected")
			}
			c := raw[pos]
			if c == ',' {
				pos = p.skipSpace(pos + 1)
				if object {
					if pos, err = p.member(pos); err != nil {
						return err
					}
				}
				break
			}
			if (object && c == '}') || (!object && c == ']') {
				p.tokens[open].end = len(p.tokens)
				p.stack = p.stack[:top]
				pos++
				continue
			}
			return p.fail(pos, "',' or a closing bracket expected")
		}
	}
}

// member parses an object member's key and colon, returning where its value
// starts.
func (p *jsonParser) member(pos int) (int, error) {
	if pos >= len(p.raw) || p.raw[pos] != '"' {
		return pos, p.fail(pos, "a string key expected")
	}
	pos, err := p.string(pos)
	if err != nil {
		return pos, err
	}
	pos = p.skipSpace(pos)
	if pos >= len(p.raw) || p.raw[pos] != ':' {
		return pos, p.fail(pos, "':' expected")
	}
	return p.skipSpace(pos + 1), nil
}

func (p *jsonParser) literal(pos int, word string, kind jsonKind) (int, error) {
	if !bytes.HasPrefix(p.raw[pos:], []byte(word)) {
		return pos, p.fail(pos, "a value expected")
	}
	p.tokens = append(p.tokens, jsonToken{kind: kind})
	return pos + len(word), nil
}

// jsonPlain marks the bytes a string holds as they are: all but '"', '\'
// and the control characters.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// string parses the string whose opening quote is at pos and returns the
// position after its closing quote.
func (p *jsonParser) string(pos int) (int, error) {
	raw := p.raw
	start := pos + 1
	i := start
	for i < len(raw) && jsonPlain[raw[i]] {
		i++
	}
	if i < len(raw) && raw[i] == '"' { // no escapes: already canonical
		p.tokens = append(p.tokens, jsonToken{kind: jsonString, start: start, end: i})
		return i + 1, nil
	}
	from := len(p.data)
	p.data = append(p.data, raw[start:i]...)
	for {
		if i >= len(raw) {
			return i, p.fail(i, "unterminated string")
		}
		c := raw[i]
		switch {
		case c == '"':
			p.tokens = append(p.tokens, jsonToken{kind: jsonString, inData: true, start: from, end: len(p.data)})
			return i + 1, nil
		case c < 0x20:
			return i, p.fail(i, "control character in a string")
		case c != '\\':
			j := i + 1
			for j < len(raw) && jsonPlain[raw[j]] {
				j++
			}
			p.data = append(p.data, raw[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(raw) {
			return i, p.fail(i+1, "unterminated string")
		}
		switch e := raw[i+1]; e {
		case '"', '\\':
			p.data = append(p.data, '\\', e)
		case '/':
			p.data = append(p.data, '/')
		case 'b', 'f', 'n', 'r', 't':
			p.data = append(p.data, '\\', e)
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return i, p.fail(i, `invalid \u escape`)
			}
			i += 6
			if r >= 0xd800 && r < 0xdc00 { // a high surrogate: is a low one next?
				if lo, ok := hex4(raw, i+2); ok && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' && lo >= 0xdc00 && lo < 0xe000 {
					p.data = appendUTF8(p.data, 0x10000+(r-0xd800)<<10+(lo-0xdc00))
					i += 6
					continue
				}
			}
			p.data = appendEscapedRune(p.data, r)
			continue
		default:
			return i, p.fail(i+1, "invalid escape")
		}
		i += 2
	}
}

func hex4(raw []byte, pos int) (rune, bool) {
	if pos+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[pos : pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendEscapedRune writes r, from a \u escape, in its canonical form.
func appendEscapedRune(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	switch {
	case r == '"' || r == '\\':
		return append(dst, '\\', byte(r))
	case r == '\b':
		return append(dst, '\\', 'b')
	case r == '\f':
		return append(dst, '\\', 'f')
	case r == '\n':
		return append(dst, '\\', 'n')
	case r == '\r':
		return append(dst, '\\', 'r')
	case r == '\t':
		return append(dst, '\\', 't')
	case r < 0x20 || (r >= 0xd800 && r < 0xe000): // control character or lone surrogate
		return append(dst, '\\', 'u', hex[r>>12], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	return appendUTF8(dst, r)
}

// appendUTF8 is utf8.AppendRune for a valid rune, inlined.
func appendUTF8(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xc0|byte(r>>6), 0x80|byte(r)&0x3f)
	case r < 0x10000:
		return append(dst, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	}
	return append(dst, 0xf0|byte(r>>18), 0x80|byte(r>>12)&0x3f, 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
}

// number parses the number at pos and returns the position after it.
func (p *jsonParser) number(pos int) (int, error) {
	raw := p.raw
	i := pos
	neg := raw[i] == '-'
	if neg {
		i++
	}
	// Integer part: 0 or a digit string without a leading zero.
	intStart := i
	if i < len(raw) && raw[i] == '0' {
		i++
	} else {
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
		}
	}
	intEnd := i
	if intEnd == intStart {
		return i, p.fail(i, "a digit expected")
	}
	fracStart, fracEnd := i, i
	if i < len(raw) && raw[i] == '.' {
		i++
		fracStart = i
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			i++
		}
		fracEnd = i
		if fracEnd == fracStart {
			return i, p.fail(i, "a digit expected")
		}
	}
	var exp int64
	hasExp := false
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		hasExp = true
		i++
		expNeg := false
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			expNeg = raw[i] == '-'
			i++
		}
		digits := i
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			if exp < 1<<40 {
				exp = exp*10 + int64(raw[i]-'0')
			}
			i++
		}
		if i == digits {
			return i, p.fail(i, "a digit expected")
		}
		if expNeg {
			exp = -exp
		}
	}
	// Most numbers are integers already in canonical form.
	if !hasExp && fracStart == fracEnd && (!neg || raw[intStart] != '0') &&
		(intEnd-intStart <= 21 || raw[intEnd-1] != '0') {
		p.tokens = append(p.tokens, jsonToken{kind: jsonNumber, start: pos, end: i})
		return i, nil
	}

	// The value is sig × 10^e for the digits between the first and the last
	// non-zero one of the integer and fraction parts, taken together.
	nInt := intEnd - intStart
	n := nInt + fracEnd - fracStart
	digit := func(k int) byte {
		if k < nInt {
			return raw[intStart+k]
		}
		return raw[fracStart+k-nInt]
	}
	first, last := 0, n-1
	for first < n && digit(first) == '0' {
		first++
	}
	from := len(p.data)
	if first == n { // zero, whatever its sign and exponent
		p.data = append(p.data, '0')
		p.tokens = append(p.tokens, jsonToken{kind: jsonNumber, inData: true, start: from, end: len(p.data)})
		return i, nil
	}
	for digit(last) == '0' {
		last--
	}
	sig := last - first + 1
	// point: how many of the significant digits precede the decimal point
	// (possibly negative or more than there are).
	point := int64(nInt-first) + exp
	if point > 1<<31 || point < -(1<<31) {
		return i, p.fail(pos, "number out of range")
	}
	if neg {
		p.data = append(p.data, '-')
	}
	appendDigits := func(from, to int) {
		for k := from; k < to; k++ {
			p.data = append(p.data, digit(k))
		}
	}
	switch pt := int(point); {
	case pt >= sig && pt-sig <= 20: // an integer: 12300
		appendDigits(first, last+1)
		for range pt - sig {
			p.data = append(p.data, '0')
		}
	case pt > 0 && pt < sig: // 12.3
		appendDigits(first, first+pt)
		p.data = append(p.data, '.')
		appendDigits(first+pt, last+1)
	case pt <= 0 && pt > -7: // 0.00123
		p.data = append(p.data, '0', '.')
		for range -pt {
			p.data = append(p.data, '0')
		}
		appendDigits(first, last+1)
	default: // 1.23e45, 1e-7
		p.data = append(p.data, digit(first))
		if sig > 1 {
			p.data = append(p.data, '.')
			appendDigits(first+1, last+1)
		}
		p.data = append(p.data, 'e')
		p.data = strconv.AppendInt(p.data, point-1, 10)
	}
	p.tokens = append(p.tokens, jsonToken{kind: jsonNumber, inData: true, start: from, end: len(p.data)})
	return i, nil
}

func (p *jsonParser) text(t int) []byte {
	tok := &p.tokens[t]
	if tok.inData {
		return p.data[tok.start:tok.end]
	}
	return p.raw[tok.start:tok.end]
}

// next is the index of the token after value t and its elements.
func (p *jsonParser) next(t int) int {
	if k := p.tokens[t].kind; k == jsonArray || k == jsonObject {
		return p.tokens[t].end
	}
	return t + 1
}

// emit writes the parsed document to buf.
func (p *jsonParser) emit(buf []byte) []byte {
	buf = p.open(buf, 0)
	for len(p.frames) > 0 {
		f := &p.frames[len(p.frames)-1]
		if f.i == f.end {
			if f.object {
				buf = append(buf, '}')
				p.members = p.members[:f.base]
			} else {
				buf = append(buf, ']')
			}
			p.frames = p.frames[:len(p.frames)-1]
			continue
		}
		if !f.first {
			buf = append(buf, ',')
		}
		f.first = false
		var t int
		if f.object {
			k := p.members[f.i]
			f.i++
			buf = append(buf, '"')
			buf = append(buf, p.text(k)...)
			buf = append(buf, '"', ':')
			t = k + 1
		} else {
			t = f.i
			f.i = p.next(t)
		}
		buf = p.open(buf, t) // may grow frames: f is stale from here
	}
	return buf
}

// open writes scalar t, or the opening of container t, pushing its frame.
func (p *jsonParser) open(buf []byte, t int) []byte {
	tok := p.tokens[t]
	switch tok.kind {
	case jsonNull:
		return append(buf, "null"...)
	case jsonFalse:
		return append(buf, "false"...)
	case jsonTrue:
		return append(buf, "true"...)
	case jsonNumber:
		return append(buf, p.text(t)...)
	case jsonString:
		buf = append(buf, '"')
		buf = append(buf, p.text(t)...)
		return append(buf, '"')
	case jsonArray:
		p.frames = append(p.frames, jsonFrame{i: t + 1, end: tok.end, first: true})
		return append(buf, '[')
	}
	// An object: its keys, sorted, the last of equal ones kept.
	base := len(p.members)
	for k := t + 1; k < tok.end; k = p.next(k + 1) {
		p.members = append(p.members, k)
	}
	m := p.members[base:]
	if len(m) <= 12 {
		for i := 1; i < len(m); i++ { // insertion sort: stable
			for j := i; j > 0 && bytes.Compare(p.text(m[j-1]), p.text(m[j])) > 0; j-- {
				m[j-1], m[j] = m[j], m[j-1]
			}
		}
	} else {
		slices.SortStableFunc(m, func(a, b int) int { return bytes.Compare(p.text(a), p.text(b)) })
	}
	// Drop all but the last of each run of equal keys.
	n := 0
	for i := range m {
		if i+1 < len(m) && bytes.Equal(p.text(m[i]), p.text(m[i+1])) {
			continue
		}
		m[n] = m[i]
		n++
	}
	p.members = p.members[:base+n]
	p.frames = append(p.frames, jsonFrame{object: true, first: true, i: base, end: base + n, base: base})
	return append(buf, '{')
}
