// Package pgconnerr words PostgreSQL connection failures for people.
package pgconnerr

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Reason shortens a pgx connection error to its cause: the server's message,
// else the last part of pgx's, which before it repeats the host and could
// carry the user name.
func Reason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
