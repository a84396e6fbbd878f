package schema

import (
	"fmt"
	"strings"
	"unicode"
)

// exprFunctions are the MariaDB functions an expression may call, and their
// PostgreSQL names. MariaDB reports expressions normalized (length() reads
// octet_length(), NOT (a < b) reads a >= b), so these are the names it prints.
var exprFunctions = map[string]string{
	"octet_length": "octet_length", "char_length": "char_length", "character_length": "char_length",
	"lower": "lower", "lcase": "lower", "upper": "upper", "ucase": "upper",
	"abs": "abs", "coalesce": "coalesce", "ifnull": "coalesce",
	"trim": "trim", "ltrim": "ltrim", "rtrim": "rtrim",
}

// exprKeywords mean the same in both dialects.
var exprKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "is": true, "null": true, "in": true,
	"between": true, "like": true, "escape": true, "true": true, "false": true,
}

// exprOperators mean the same in both dialects, longest first.
var exprOperators = []string{"<>", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ","}

// translateExpr turns an expression as MariaDB reports it (a CHECK_CLAUSE,
// a GENERATION_EXPRESSION) into PostgreSQL: column names, numbers, string
// literals, comparisons, arithmetic, AND/OR/NOT, IS [NOT] NULL, IN, BETWEEN,
// LIKE and the functions in exprFunctions. Anything else is an error saying
// what: a guess at another dialect's meaning is worse than none. column
// finds a column by its source name.
func translateExpr(expr string, column func(string) *Column) (string, error) {
	var b strings.Builder
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
			b.WriteByte(' ')
		case c == '`':
			name, n, err := backquoted(expr[i:])
			if err != nil {
				return "", err
			}
			i += n
			col := column(name)
			if col == nil {
				return "", fmt.Errorf("no column %s", name)
			}
			switch col.Kind {
			case KindBool, KindBitBool:
				// MariaDB compares these as the integers they are.
				b.WriteString("(" + quoteIdent(col.Name) + ")::integer")
			case KindSet, KindJSON, KindBits:
				return "", fmt.Errorf("column %s is %s in PostgreSQL, which compares differently", name, col.Type)
			default:
				b.WriteString(quoteIdent(col.Name))
			}
		case c == '\'':
			lit, n, err := stringLiteral(expr[i:])
			if err != nil {
				return "", err
			}
			i += n
			b.WriteString(quoteLiteral(lit))
		case c >= '0' && c <= '9' || c == '.':
			n := numberLen(expr[i:])
			b.WriteString(expr[i : i+n])
			i += n
		case c == '_' || unicode.IsLetter(rune(c)):
			n := 0
			for i+n < len(expr) && (expr[i+n] == '_' || unicode.IsLetter(rune(expr[i+n])) || expr[i+n] >= '0' && expr[i+n] <= '9') {
				n++
			}
			word := strings.ToLower(expr[i : i+n])
			i += n
			if i < len(expr) && expr[i] == '(' {
				fn, ok := exprFunctions[word]
				if !ok {
					return "", fmt.Errorf("function %s()", word)
				}
				b.WriteString(fn)
				continue
			}
			if !exprKeywords[word] {
				return "", fmt.Errorf("%q", word)
			}
			b.WriteString(strings.ToUpper(word))
		default:
			op := ""
			for _, o := range exprOperators {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			if op == "" || strings.HasPrefix(expr[i:], "<=>") {
				return "", fmt.Errorf("operator %q", expr[i:min(i+3, len(expr))])
			}
			b.WriteString(op)
			i += len(op)
		}
	}
	return b.String(), nil
}

// backquoted reads a backquoted name at the start of s, in which two
// backquotes stand for one.
func backquoted(s string) (string, int, error) {
	var name strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			name.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			name.WriteByte('`')
			i++
			continue
		}
		return name.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("unterminated name in %s", s)
}

// stringLiteral reads a '...' literal at the start of s, with MariaDB's
// escapes: ” and \' for a quote, \\, \n, \t, \r; \% and \_ keep their
// backslash, as in MariaDB, for LIKE.
func stringLiteral(s string) (string, int, error) {
	var lit strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				lit.WriteByte('\'')
				i++
				continue
			}
			return lit.String(), i + 1, nil
		case '\\':
			if i+1 == len(s) {
				return "", 0, fmt.Errorf("unterminated string in %s", s)
			}
			i++
			switch e := s[i]; e {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case 'r':
				lit.WriteByte('\r')
			case '%', '_':
				lit.WriteByte('\\')
				lit.WriteByte(e)
			case '0', 'Z', 'b':
				return "", 0, fmt.Errorf("escape \\%c in a string", e)
			default:
				lit.WriteByte(e)
			}
		default:
			lit.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string in %s", s)
}

// numberLen is the length of the number at the start of s: digits, a
// decimal point and an exponent.
func numberLen(s string) int {
	n := 0
	for n < len(s) && (s[n] >= '0' && s[n] <= '9' || s[n] == '.') {
		n++
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		m := n + 1
		if m < len(s) && (s[m] == '+' || s[m] == '-') {
			m++
		}
		if m < len(s) && s[m] >= '0' && s[m] <= '9' {
			for m < len(s) && s[m] >= '0' && s[m] <= '9' {
				m++
			}
			n = m
		}
	}
	return n
}
