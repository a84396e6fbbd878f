package routing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
)

// The engine's errors fall into three classes, so that the activities calling
// it can pick a retry policy without parsing messages:
//
//   - bad input (retry.IsFinal): the configuration, the tenant or the state
//     of the zone/tunnel makes the operation impossible, and retrying cannot
//     help (*BadInputError, *NotOwnedError). Activities return these as
//     non-retryable application errors.
//   - rate limited (*RateLimitedError, RetryAfter): the API answered 429 even
//     after the client's own retries; retry after RetryAfter, not sooner.
//   - transient (IsTransient, includes rate limited): 5xx, 408/409, network
//     failures, a read-back that did not show our write. Retry with backoff.
//
// Anything else (a cancelled context, an undecodable response) is left
// unclassified for the caller's default policy.
//
// No error carries the API token: messages are built from the operation, the
// API's status and its error codes, never from request headers.

// BadInputError reports a request that cannot succeed as given: an invalid
// hostname, a missing or incomplete setting, an unknown tunnel, a missing
// record, or a request the API refused as invalid.
type BadInputError struct {
	Op     string // what the engine was doing, e.g. "plan tenant t1"
	Reason string
	Err    error // the API error behind it, if any
}

func (e *BadInputError) Error() string {
	return "routing: " + e.Op + ": " + e.Reason
}

func (e *BadInputError) Unwrap() error { return e.Err }

// Final says that retrying cannot help (see package retry).
func (e *BadInputError) Final() bool { return true }

// NotOwnedError reports a DNS record or tunnel rule that migrawave does not
// own, or that someone else changed since the plan: it is left untouched.
type NotOwnedError struct {
	Hostname string
	Reason   string
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("routing: %s: not changed, it is not ours: %s", e.Hostname, e.Reason)
}

// Final says that retrying cannot help (see package retry).
func (e *NotOwnedError) Final() bool { return true }

// RateLimitedError reports a 429 that survived the client's retries.
// RetryAfter is the server's Retry-After (0 when it sent none); a caller
// should wait at least that long before trying again.
type RateLimitedError struct {
	Op         string
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitedError) Error() string {
	msg := "routing: " + e.Op + ": rate limited by the Cloudflare API"
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

func (e *RateLimitedError) Unwrap() error { return e.Err }

// TransientError reports a failure that a later retry may not meet: a server
// error, a network failure, or a write the read-back did not confirm.
type TransientError struct {
	Op  string
	Err error
}

func (e *TransientError) Error() string {
	return "routing: " + e.Op + ": " + describe(e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is worth retrying: server errors, network
// failures and rate limiting (see RetryAfter for how long to wait).
func IsTransient(err error) bool {
	var transient *TransientError
	var limited *RateLimitedError
	return errors.As(err, &transient) || errors.As(err, &limited)
}

// RetryAfter returns how long the API asked us to wait, when err is a
// *RateLimitedError.
func RetryAfter(err error) (time.Duration, bool) {
	var limited *RateLimitedError
	if errors.As(err, &limited) {
		return limited.RetryAfter, true
	}
	return 0, false
}

// apiError turns an error from the client into one of ours. op names the
// operation for the message.
func apiError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("routing: %s: %w", op, err)
	}
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		// No API answer: the connection failed or timed out (the client has
		// already retried). Not the request's fault.
		return &TransientError{Op: op, Err: err}
	}
	switch status := apiErr.StatusCode; {
	case status == http.StatusTooManyRequests:
		return &RateLimitedError{Op: op, RetryAfter: retryAfterHeader(apiErr.Response), Err: err}
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusConflict:
		return &TransientError{Op: op, Err: err}
	default:
		return &BadInputError{Op: op, Reason: "the Cloudflare API refused the request: " + describe(err), Err: err}
	}
}

// isAPIStatus reports whether err is an API answer with this HTTP status.
func isAPIStatus(err error, status int) bool {
	var apiErr *cloudflare.Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

// hasAPICode reports whether err is an API answer carrying this Cloudflare error code.
func hasAPICode(err error, code int64) bool {
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, e := range apiErr.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

// describe renders an API error as "404 Not Found: Record does not exist.
// (code 81044)", which is shorter than the client's own message (method,
// full URL, raw body) and carries what an operator needs.
func describe(err error) string {
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	msg := fmt.Sprintf("%d %s", apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	var parts []string
	for _, e := range apiErr.Errors {
		part := e.Message
		if e.Code != 0 {
			part += fmt.Sprintf(" (code %d)", e.Code)
		}
		parts = append(parts, part)
	}
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	return msg
}

// retryAfterHeader reads the delay a response asks for: Retry-After-Ms, or
// Retry-After in seconds or as an HTTP date (the forms the client itself
// understands). 0 means none was given.
func retryAfterHeader(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	if v := resp.Header.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return max(0, time.Duration(s*float64(time.Second)))
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(at))
	}
	return 0
}
