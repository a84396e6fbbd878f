// Package schema maps a MariaDB tenant layout to the PostgreSQL schema every
// tenant database gets, and generates its DDL. The mapping depends on the
// source schema and the configuration only, never on one tenant's data: the
// application runs one schema against all tenant databases.
package schema

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/migrawave/migrawave/internal/source"
)

// Kind says how a source value is converted for its target column. The copy
// and the verifier share it, so they cannot drift apart.
type Kind int

// Value kinds.
const (
	KindInt16 Kind = iota + 1
	KindInt32
	KindInt64
	KindUint64Key // an unsigned BIGINT key stored as bigint: values past 2^63-1 are an error
	KindNumeric
	KindFloat32
	KindFloat64
	KindBool    // tinyint(1): 0 is false, anything else true
	KindBitBool // bit(1)
	KindBits    // bit(n)
	KindText
	KindEnum
	KindSet
	KindJSON
	KindBytes
	KindDate
	KindTimestamp   // datetime
	KindTimestamptz // timestamp, in the source server's time zone
	KindInterval    // time
	KindYear
	KindUUID
	KindInet
)

var kindNames = map[Kind]string{
	KindInt16: "int16", KindInt32: "int32", KindInt64: "int64", KindUint64Key: "uint64-key",
	KindNumeric: "numeric", KindFloat32: "float32", KindFloat64: "float64", KindBool: "bool",
	KindBitBool: "bit-bool", KindBits: "bits", KindText: "text", KindEnum: "enum", KindSet: "set",
	KindJSON: "json", KindBytes: "bytes", KindDate: "date", KindTimestamp: "timestamp",
	KindTimestamptz: "timestamptz", KindInterval: "interval", KindYear: "year", KindUUID: "uuid", KindInet: "inet",
}

func (k Kind) String() string { return kindNames[k] }

// overrideTypes are the target types a column may be given in the config.
var overrideTypes = map[string]Kind{
	"boolean": KindBool, "smallint": KindInt16, "integer": KindInt32, "bigint": KindInt64,
	"text": KindText, "bytea": KindBytes, "numeric": KindNumeric, "jsonb": KindJSON,
}

var enumValues = regexp.MustCompile(`'((?:[^']|'')*)'`)

// mapType gives the PostgreSQL type and value kind of a source column.
// isKey is true for AUTO_INCREMENT and primary key columns and the columns
// that reference them.
func mapType(c source.Column, isKey bool) (pgType string, kind Kind, err error) {
	unsigned := c.Unsigned()
	switch c.DataType {
	case "tinyint":
		if strings.HasPrefix(c.ColumnType, "tinyint(1)") && !unsigned {
			return "boolean", KindBool, nil
		}
		return "smallint", KindInt16, nil
	case "smallint":
		if unsigned {
			return "integer", KindInt32, nil
		}
		return "smallint", KindInt16, nil
	case "mediumint":
		return "integer", KindInt32, nil
	case "int", "integer":
		if unsigned {
			return "bigint", KindInt64, nil
		}
		return "integer", KindInt32, nil
	case "bigint":
		if !unsigned {
			return "bigint", KindInt64, nil
		}
		if isKey {
			return "bigint", KindUint64Key, nil
		}
		return "numeric(20,0)", KindNumeric, nil
	case "decimal", "numeric":
		return fmt.Sprintf("numeric(%d,%d)", c.Precision, c.Scale), KindNumeric, nil
	case "float":
		return "real", KindFloat32, nil
	case "double", "real":
		return "double precision", KindFloat64, nil
	case "bit":
		if c.Precision <= 1 {
			return "boolean", KindBitBool, nil
		}
		return fmt.Sprintf("bit varying(%d)", c.Precision), KindBits, nil
	case "year":
		return "smallint", KindYear, nil
	case "date":
		return "date", KindDate, nil
	case "datetime":
		return fmt.Sprintf("timestamp(%d)", c.DatetimePrecision), KindTimestamp, nil
	case "timestamp":
		return fmt.Sprintf("timestamptz(%d)", c.DatetimePrecision), KindTimestamptz, nil
	case "time":
		return "interval", KindInterval, nil
	case "char":
		return fmt.Sprintf("character(%d)", c.CharMaxLen), KindText, nil
	case "varchar":
		return fmt.Sprintf("character varying(%d)", c.CharMaxLen), KindText, nil
	case "tinytext", "text", "mediumtext", "longtext":
		if c.JSON {
			return "jsonb", KindJSON, nil
		}
		return "text", KindText, nil
	case "json":
		return "jsonb", KindJSON, nil
	case "enum":
		return "text", KindEnum, nil
	case "set":
		return "text[]", KindSet, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return "bytea", KindBytes, nil
	case "uuid":
		return "uuid", KindUUID, nil
	case "inet4", "inet6":
		return "inet", KindInet, nil
	}
	return "", 0, fmt.Errorf("unsupported column type %s", c.ColumnType)
}

// EnumValues returns the values listed in an enum(...) or set(...) column type.
func EnumValues(columnType string) []string {
	var out []string
	for _, m := range enumValues.FindAllStringSubmatch(columnType, -1) {
		out = append(out, strings.ReplaceAll(m[1], "''", "'"))
	}
	return out
}
