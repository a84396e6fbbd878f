package queues

import (
	"errors"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Kind says what a caller can do about an error. KindInvalid and
// KindRefused are final (retry.IsFinal), and the activities make them
// non-retryable; everything else is retried: every operation of this
// package converges when simply run again.
type Kind string

const (
	// KindInvalid is bad input (a queue template, a tenant id, a URL):
	// detected before anything was changed; retrying cannot help.
	KindInvalid Kind = "invalid"
	// KindRefused is a broker refusing what we ask for reasons a retry will
	// not fix: access refused, a queue that exists with other arguments, a
	// destination queue that is missing (Prepare was not run).
	KindRefused Kind = "refused"
	// KindTransient is a lost connection, an unreachable broker, a timeout or
	// a nack: run the operation again.
	KindTransient Kind = "transient"
)

// Error is every error this package returns. Its message names the broker
// without credentials, never the URL it was configured with.
type Error struct {
	Kind   Kind
	Op     string // prepare, drain, move, rollback, config
	Broker string // e.g. amqp://127.0.0.1:5672/legacy; empty when not about one broker
	Queue  string // empty when not about one queue
	Err    error
}

func (e *Error) Error() string {
	msg := "queues: " + e.Op
	if e.Broker != "" {
		msg += " on " + e.Broker
	}
	if e.Queue != "" {
		msg += ": queue " + e.Queue
	}
	return msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err; errors not from this package count as
// transient.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindTransient
}

// Final says whether running the operation again cannot help (see package
// retry): invalid and refused requests.
func (e *Error) Final() bool { return e.Kind != KindTransient }

// invalid is a bad-input error: nothing has been changed when it is returned.
func invalid(op, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Op: op, Err: fmt.Errorf(format, args...)}
}

// brokerError wraps err from talking to broker b, classifying it.
func brokerError(op string, b *broker, queue string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	name := ""
	if b != nil {
		name = b.name
	}
	return &Error{Kind: kindOf(err), Op: op, Broker: name, Queue: queue, Err: err}
}

// kindOf sorts AMQP and other errors into refused and transient.
func kindOf(err error) Kind {
	var ae *amqp.Error
	if errors.As(err, &ae) {
		switch ae.Code {
		case amqp.AccessRefused, amqp.NotFound, amqp.PreconditionFailed, amqp.NotAllowed, amqp.InvalidPath, amqp.CommandInvalid, amqp.SyntaxError, amqp.NotImplemented:
			// 403 also covers a wrong password at connection time
			// (amqp.ErrCredentials): configuration, not weather.
			return KindRefused
		}
	}
	// Closed channels and connections, network errors, timeouts, nacks:
	// every operation converges when run again.
	return KindTransient
}

// isNotFound reports whether err is the broker saying a queue does not exist.
func isNotFound(err error) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.NotFound
}
