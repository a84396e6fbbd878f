package activities

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/queues"
	"github.com/migrawave/migrawave/internal/routing"
	"github.com/migrawave/migrawave/internal/target"
)

// Every engine's final error becomes a non-retryable application error of
// the right type in one place; every other error is left to the retry policy.
func TestTemporalErrorIsTheOneRetryRule(t *testing.T) {
	for _, c := range []struct {
		err      error
		wantType string // "" for left as it is
	}{
		{&routing.BadInputError{Op: "plan tenant t1", Reason: "no record"}, ErrTypeBadInput},
		{&routing.NotOwnedError{Hostname: "t1.example.com", Reason: "changed"}, ErrTypeBadInput},
		{&queues.Error{Kind: queues.KindRefused, Op: "move", Err: errors.New("403")}, ErrTypeBadInput},
		{&queues.Error{Kind: queues.KindTransient, Op: "move", Err: errors.New("connection reset")}, ""},
		{&target.ForeignDatabaseError{Database: "t_acme", Cluster: "pg-b"}, ErrTypeBadInput},
		{bulkcopy.ErrAlreadyCopied, ErrTypeBadInput},
		{&bulkcopy.DataError{Table: "invoices", Key: "(id=1)", Err: errors.New("bad date")}, ErrTypeDataError},
		{&routing.TransientError{Op: "edit", Err: errors.New("502")}, ""},
		{errors.New("anything else"), ""},
	} {
		got := temporalError(c.err)
		var appErr *temporal.ApplicationError
		switch {
		case c.wantType == "" && got != c.err:
			t.Errorf("%v became %v; want it left to the retry policy", c.err, got)
		case c.wantType != "" && (!errors.As(got, &appErr) || appErr.Type() != c.wantType || !appErr.NonRetryable() || appErr.Message() != c.err.Error()):
			t.Errorf("%v became %v; want a non-retryable %s with the same message", c.err, got, c.wantType)
		}
	}
	if temporalError(nil) != nil {
		t.Error("temporalError(nil) is not nil")
	}
}
