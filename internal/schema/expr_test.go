package schema

import (
	"strings"
	"testing"
)

func TestTranslateExprKeepsWhatMeansTheSameAndRefusesTheRest(t *testing.T) {
	cols := map[string]*Column{
		"salary": {Name: "salary", Kind: KindNumeric}, "Name": {Name: "name", Kind: KindText},
		"flag": {Name: "flag", Kind: KindBool}, "tags": {Name: "tags", Kind: KindSet, Type: "text[]"},
		"d": {Name: "d", Kind: KindDate},
	}
	column := func(name string) *Column {
		for n, c := range cols {
			if strings.EqualFold(n, name) {
				return c
			}
		}
		return nil
	}
	ok := map[string]string{
		"`salary` > 0":                          `"salary" > 0`,
		"`salary` >= -1.5e3 and `salary` < 1e6": `"salary" >= -1.5e3 AND "salary" < 1e6`,
		"`name` <> '' and octet_length(`name`) < 10 or `name` in ('a','it''s')": `"name" <> '' AND octet_length("name") < 10 OR "name" IN ('a','it''s')`,
		"`NAME` like 'a\\%b%' escape '\\\\'":                                    `"name" LIKE 'a\%b%' ESCAPE '\'`,
		"`d` between '2000-01-01' and '2030-01-01'":                             `"d" BETWEEN '2000-01-01' AND '2030-01-01'`,
		"`flag` in (0,1)":            `("flag")::integer IN (0,1)`,
		"`name` is not null":         `"name" IS NOT NULL`,
		"ifnull(`salary`,0) % 2 = 0": `coalesce("salary",0) % 2 = 0`,
	}
	for in, want := range ok {
		got, err := translateExpr(in, column)
		if err != nil || got != want {
			t.Errorf("translateExpr(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	refused := map[string]string{
		"`name` regexp '^a'":           `"regexp"`,
		"json_length(`tags`) < 3":      "function json_length()",
		"`tags` <> ''":                 "column tags is text[]",
		"`salary` <=> 1":               `operator "<=>"`,
		"`gone` > 1":                   "no column gone",
		"`name` = _latin1'x'":          `"_latin1"`,
		"`name` = 'a\\0b'":             `escape \0`,
		"`salary` > 0 && `salary` < 9": `operator "&& "`,
	}
	for in, want := range refused {
		if got, err := translateExpr(in, column); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("translateExpr(%s) = %s, %v; want an error naming %s", in, got, err, want)
		}
	}
}
