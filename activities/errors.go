package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/retry"
)

// The types of the application errors activities return. The first three
// are final (NonRetryable): retrying cannot fix them.
const (
	// ErrTypeBadInput is a request no retry can fix: an unknown tenant or
	// cluster, a refused input.
	ErrTypeBadInput = "BadInput"
	// ErrTypeDataError is a row the target cannot take as it is.
	ErrTypeDataError = "DataError"
	// ErrTypeVerificationFailed is a target that differs from its source.
	ErrTypeVerificationFailed = "VerificationFailed"
	// ErrTypeWriteAfterFreeze is a write that reached the source after the
	// tenant was frozen (the write-after-freeze alarm).
	ErrTypeWriteAfterFreeze = "WriteAfterFreeze"
	// ErrTypeRateLimited is a 429 from Cloudflare; its next retry waits
	// as long as the API asked.
	ErrTypeRateLimited = "RateLimited"
	// ErrTypeConfigMismatch is an activity refused by a worker whose
	// configuration differs from its workflow's; it is retried.
	ErrTypeConfigMismatch = "ConfigMismatch"
)

// badInput is the activity's own refusal of its input: final.
func badInput(err error) error { return temporalError(retry.Final(err)) }

// temporalError is the one place an engine's error meets Temporal's retry
// policy: an error no retry can fix (retry.IsFinal) becomes a non-retryable
// application error, DataError for a row the target cannot take and
// BadInput for the rest; everything else is left to the retry policy.
func temporalError(err error) error {
	if err == nil || !retry.IsFinal(err) {
		return err
	}
	errType := ErrTypeBadInput
	var data *bulkcopy.DataError
	if errors.As(err, &data) {
		errType = ErrTypeDataError
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, nil)
}
