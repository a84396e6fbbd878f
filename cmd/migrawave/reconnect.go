package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// defaultReconnectTimeout is how long watch and status wait for a Temporal
// server that stopped answering (a restart takes the dev server about ten
// seconds).
const defaultReconnectTimeout = 5 * time.Minute

// reconnecting runs call until it succeeds, fails for a reason other than
// Temporal not answering, or Temporal has not answered for longer than
// patience. It says once on out that it is retrying, and again when Temporal
// answers. The caller has reached Temporal once: a wrong address or a
// refused certificate fails at the dial, not here.
func reconnecting(ctx context.Context, out io.Writer, address string, patience time.Duration, call func() error) error {
	var lost time.Time
	wait := time.Second
	for {
		err := call()
		if err == nil || !unreachable(err) || ctx.Err() != nil {
			if err == nil && !lost.IsZero() {
				fmt.Fprintf(out, "Temporal at %s answers again, after %s\n", address, time.Since(lost).Round(time.Second))
			}
			return err
		}
		if lost.IsZero() {
			lost = time.Now()
			fmt.Fprintf(out, "no answer from Temporal at %s (%s); retrying for up to %s\n", address, status.Code(err), patience)
		}
		if time.Since(lost) >= patience {
			return fmt.Errorf("no answer from Temporal at %s for %s: %v", address, patience, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// unreachable says whether err is Temporal not answering (a restart, a
// network blip, a query no worker answered in time), which a retry can fix,
// as opposed to an answer.
func unreachable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// Just after a restart the server has seen no worker poll yet, and
	// answers a query with "no poller seen for task queue recently" until
	// the workers are back (seen in CI once, 2026-12-04).
	var precondition *serviceerror.FailedPrecondition
	code := status.Code(err)
	if (errors.As(err, &precondition) || code == codes.FailedPrecondition) && strings.Contains(err.Error(), "no poller seen") {
		return true
	}
	return code == codes.Unavailable || code == codes.DeadlineExceeded
}
