// Package retry is the one way migrawave's engines say that trying again
// cannot help, after pgx's SafeToRetry: an error says so itself, through a
// Final method anywhere in its chain (bad input, a refusal, a row the target
// cannot take); every other error may be retried. The activities turn a
// final error into Temporal's non-retryable one, in one place.
//
// The method is not called SafeToRetry: pgx's errors have that method with
// another meaning (whether the request was never sent), and a pgx error
// saying false must not make a lost connection final.
package retry

import "errors"

// IsFinal reports whether retrying err cannot help.
func IsFinal(err error) bool {
	var f interface{ Final() bool }
	return errors.As(err, &f) && f.Final()
}

// Final marks err as one no retry can fix; nil stays nil.
func Final(err error) error {
	if err == nil {
		return nil
	}
	return &finalError{err}
}

type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }
func (e *finalError) Final() bool   { return true }
