package queues

import (
	"context"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Queue types declared on the new broker.
const (
	TypeClassic = "classic"
	TypeQuorum  = "quorum"
)

// PrepareReport is what Prepare did.
type PrepareReport struct {
	Tenant    string          `json:"tenant"`
	Broker    string          `json:"broker"`
	QueueType string          `json:"queue_type"`
	Queues    []PreparedQueue `json:"queues"`
	// Created counts the queues this call created; 0 on a rerun.
	Created int `json:"created"`
}

// PreparedQueue is one queue on the new broker after Prepare.
type PreparedQueue struct {
	Queue string `json:"queue"`
	// Created is false when the queue already existed (with the same type).
	Created   bool `json:"created"`
	Ready     int  `json:"ready"`
	Consumers int  `json:"consumers"`
}

// Prepare declares the tenant's queues on the new broker: durable, of the
// configured type. Declaring is idempotent in AMQP, so a rerun changes
// nothing and reports Created=false. A queue that exists with other
// arguments (a classic queue where quorum is configured, say) is refused
// (KindRefused) rather than deleted: it may hold messages.
//
// No bindings are declared: the configuration names queues only, and the
// move publishes to them through the default exchange.
func (e *Engine) Prepare(ctx context.Context, tenant string) (*PrepareReport, error) {
	const op = "prepare"
	names, err := e.queueNames(op, tenant)
	if err != nil {
		return nil, err
	}
	qtype := TypeClassic
	if e.quorum {
		qtype = TypeQuorum
	}
	rep := &PrepareReport{Tenant: tenant, Broker: e.new.name, QueueType: qtype, Queues: []PreparedQueue{}}
	if len(names) == 0 {
		return rep, nil
	}
	conn, err := e.dial(e.new, op, tenant, "destination")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // AMQP calls take no context
	defer stop()

	in := &inspector{conn: conn}
	defer in.close()
	ch, err := conn.Channel()
	if err != nil {
		return nil, e.ctxOr(ctx, brokerError(op, e.new, "", fmt.Errorf("opening a channel: %w", err)))
	}
	defer ch.Close()
	args := amqp.Table{"x-queue-type": qtype}
	for _, name := range names {
		_, existed, err := in.inspect(name)
		if err != nil {
			return nil, e.ctxOr(ctx, brokerError(op, e.new, name, fmt.Errorf("checking whether it exists: %w", err)))
		}
		q, err := ch.QueueDeclare(name, true, false, false, false, args)
		if err != nil {
			if KindOf(brokerError(op, e.new, name, err)) == KindRefused && existed {
				err = fmt.Errorf("it exists with other arguments than a durable %s queue; delete it or change rabbitmq.quorum: %w", qtype, err)
			} else {
				err = fmt.Errorf("declaring: %w", err)
			}
			return nil, e.ctxOr(ctx, brokerError(op, e.new, name, err))
		}
		rep.Queues = append(rep.Queues, PreparedQueue{Queue: name, Created: !existed, Ready: q.Messages, Consumers: q.Consumers})
		if !existed {
			rep.Created++
		}
	}
	return rep, nil
}

// ctxOr returns the context's error, transient, when the context ended:
// closing the connection on cancellation makes the AMQP call fail with a
// confusing "connection closed".
func (e *Engine) ctxOr(ctx context.Context, err *Error) error {
	if ctx.Err() != nil {
		return &Error{Kind: KindTransient, Op: err.Op, Broker: err.Broker, Queue: err.Queue, Err: context.Cause(ctx)}
	}
	return err
}
