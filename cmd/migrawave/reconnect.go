package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/migrawave/migrawave/internal/temporalclient"
)

// defaultReconnectTimeout is how long watch and status wait for a Temporal
// server that went away (a restart takes the dev server about ten seconds).
const defaultReconnectTimeout = 5 * time.Minute

// reconnecting runs call until it succeeds, fails for a reason other than
// an unreachable Temporal server, or the server has been unreachable for
// longer than patience. It says once on out that it is reconnecting, and
// again when it is back.
func reconnecting(ctx context.Context, out io.Writer, address string, patience time.Duration, call func() error) error {
	var lost time.Time
	wait := time.Second
	for {
		err := call()
		if err == nil || !unreachable(err) || ctx.Err() != nil {
			if err == nil && !lost.IsZero() {
				fmt.Fprintf(out, "reconnected to the Temporal server at %s after %s\n", address, time.Since(lost).Round(time.Second))
			}
			return err
		}
		if lost.IsZero() {
			lost = time.Now()
			fmt.Fprintf(out, "lost the Temporal server at %s; reconnecting for up to %s\n", address, patience)
		}
		if time.Since(lost) >= patience {
			return fmt.Errorf("the Temporal server at %s has not answered for %s: %v", address, patience, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// unreachable says whether err means the server could not be reached or did
// not answer in time, which a retry can fix, as opposed to an answer.
func unreachable(err error) bool {
	var dial *temporalclient.UnreachableError
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &dial), errors.As(err, &unavailable), errors.As(err, &deadline),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	code := status.Code(err)
	return code == codes.Unavailable || code == codes.DeadlineExceeded
}
