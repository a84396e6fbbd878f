package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/transfer"
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
	// ErrTypeRateLimited is a 429 from Cloudflare; its next retry waits
	// as long as the API asked.
	ErrTypeRateLimited = "RateLimited"
	// ErrTypeConfigMismatch is an activity refused by a worker whose
	// configuration differs from its workflow's; it is retried.
	ErrTypeConfigMismatch = "ConfigMismatch"
)

func badInput(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadInput, nil)
}

// classify turns engine errors that no retry can fix into non-retryable
// application errors and leaves the rest to the retry policy.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var bad *transfer.BadInputError
	if errors.As(err, &bad) {
		return badInput(err)
	}
	var data *bulkcopy.DataError
	if errors.As(err, &data) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeDataError, nil)
	}
	if errors.Is(err, bulkcopy.ErrAlreadyCopied) {
		return badInput(err)
	}
	return err
}
