package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/bulkcopy"
	"github.com/migrawave/migrawave/internal/transfer"
)

// Error types the workflows treat as final: retrying cannot fix them.
const (
	errBadInput           = "BadInput"
	errDataError          = "DataError"
	errVerificationFailed = "VerificationFailed"
)

// ErrTypeConfigMismatch is the error type of an activity refused by a
// worker whose configuration differs from its workflow's; it is retried.
const ErrTypeConfigMismatch = "ConfigMismatch"

func badInput(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errBadInput, nil)
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
		return temporal.NewNonRetryableApplicationError(err.Error(), errDataError, nil)
	}
	if errors.Is(err, bulkcopy.ErrAlreadyCopied) {
		return badInput(err)
	}
	return err
}
