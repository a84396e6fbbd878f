package queues

// How a move works, and why it cannot lose a message
//
// For every tenant queue, the mover consumes from the source broker with
// manual acknowledgements and a prefetch of Batch messages, republishes each
// message to the queue of the same name on the destination broker (default
// exchange, persistent, mandatory) on a channel in confirm mode, waits until
// the destination confirmed the whole batch and checks that none came back
// as basic.return (unroutable: the queue is missing), and only then
// acknowledges the batch on the source. Whatever happens before that
// acknowledgement — a crash, a kill, a lost connection — the source still
// holds the messages: the broker requeues unacknowledged messages when the
// channel goes away, and a rerun moves them. Nothing is lost.
//
// How duplicates are detected and reported
//
// A message is duplicated when the destination confirmed it but the
// acknowledgement on the source did not happen (the process died in
// between, or the connection dropped before the broker read the ack). The
// source then requeues it with the redelivered flag set, and the next run
// moves it again. Two things let a run know that:
//
//   - A marker queue, migrawave.moving.<tenant> (a durable, empty classic
//     queue on the source broker, expiring after 14 days unused), is
//     declared before anything moves and deleted after everything moved. A
//     run that finds it knows a previous run was interrupted
//     (MoveReport.InterruptedBefore) and that duplicates are possible.
//   - In such a run, every message the source redelivers is a candidate
//     duplicate: it was delivered before, possibly to the interrupted run
//     (or to an application consumer that gave it back). Those are counted
//     (PossibleDuplicates), their message ids listed (up to 100), and their
//     copies on the destination carry the header
//     x-migrawave-possible-duplicate=true, so consumers that cannot
//     deduplicate every message by id can do it for these.
//
// The count is an upper bound of the duplicates the rerun creates, and it is
// exact in the common case: the source holds at most Batch unacknowledged
// messages per queue, so one interrupted run leaves at most Batch candidates
// per queue. A candidate that an application consumer received instead of
// the rerun is not counted; that is why DuplicatesPossible follows the
// marker and not the count.
//
// Every moved copy also carries x-migrawave-run (the run's id) and
// x-migrawave-moved-from (the source broker, without credentials).
//
// Two runs for the same tenant at once (a retried activity whose first
// attempt still runs) lose nothing either: the broker gives each message to
// one of them. The first to finish removes the marker, though, so a crash
// of the other is then not reported as an interruption; run one mover per
// tenant at a time (the migration workflow does).

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Directions of a move.
const (
	OldToNew = "old_to_new"
	NewToOld = "new_to_old"
)

// Headers the mover sets on every copy it publishes.
const (
	HeaderRun               = "x-migrawave-run"
	HeaderMovedFrom         = "x-migrawave-moved-from"
	HeaderPossibleDuplicate = "x-migrawave-possible-duplicate"
	// HeaderUserID keeps a message's user-id property, which RabbitMQ only
	// accepts from the user it names, when the mover cannot republish it.
	HeaderUserID = "x-migrawave-user-id"
)

// markerPrefix names the marker queue of a tenant; see above.
const markerPrefix = "migrawave.moving."

// markerExpiry lets the broker drop a marker nobody comes back for.
const markerExpiry = 14 * 24 * time.Hour

// maxListedIDs bounds the message ids a report lists.
const maxListedIDs = 100

// MoveOptions tune Move and Rollback; zero values take the defaults.
type MoveOptions struct {
	// Batch is how many messages of a queue are in flight at once: the
	// consumer prefetch, and how many publishes wait for their confirms
	// together (default 250). It is also the most one interrupted run can
	// duplicate per queue.
	Batch int
	// IdleWait is how long the mover waits for a delivery before it checks
	// whether the source queue is empty (default 200ms).
	IdleWait time.Duration
	// ConfirmTimeout bounds the wait for one batch's confirms (default 30s).
	ConfirmTimeout time.Duration
	// Progress is called after every batch and every idle check, for heartbeats.
	Progress func(MoveProgress)
}

// MoveProgress is the advance of a move.
type MoveProgress struct {
	Queue      string `json:"queue"`
	QueueMoved int64  `json:"queue_moved"`
	Moved      int64  `json:"moved"`
}

// MoveReport is what Move or Rollback did.
type MoveReport struct {
	Tenant    string `json:"tenant"`
	Direction string `json:"direction"` // old_to_new or new_to_old
	From      string `json:"from"`      // brokers, without credentials
	To        string `json:"to"`
	Run       string `json:"run"` // the x-migrawave-run header of the copies
	// Moved counts the messages confirmed on the destination and
	// acknowledged on the source by this run.
	Moved  int64       `json:"moved"`
	Queues []QueueMove `json:"queues"`
	// InterruptedBefore: a previous run stopped before it finished, so some
	// messages it had copied may have been moved again by this run.
	InterruptedBefore bool `json:"interrupted_before"`
	// DuplicatesPossible: the destination may hold a message twice.
	DuplicatesPossible bool `json:"duplicates_possible"`
	// PossibleDuplicates counts the candidates (see the package notes in
	// move.go); PossibleDuplicateIDs lists the first of their message ids.
	PossibleDuplicates   int64         `json:"possible_duplicates"`
	PossibleDuplicateIDs []string      `json:"possible_duplicate_ids,omitempty"`
	Duration             time.Duration `json:"duration_ns"`
	Warnings             []string      `json:"warnings,omitempty"`
}

// QueueMove is one queue's part of a move.
type QueueMove struct {
	Queue string `json:"queue"`
	// Exists: the queue exists on the source broker; a missing one is
	// skipped (nothing to move).
	Exists       bool  `json:"exists"`
	ReadyAtStart int   `json:"ready_at_start"`
	Moved        int64 `json:"moved"`
	// Redelivered counts moved messages the source had delivered before.
	Redelivered        int64 `json:"redelivered"`
	PossibleDuplicates int64 `json:"possible_duplicates"`
	// OtherConsumers are still attached to the source queue at the end:
	// what they hold unacknowledged and give back stays on the source.
	OtherConsumers int `json:"other_consumers"`
}

// testHookConfirmed, when set, runs after a batch was confirmed by the
// destination and before it is acknowledged on the source: the window in
// which a crash duplicates. Tests use it to kill a mover exactly there.
var testHookConfirmed func(queue string, batch int)

// Move transfers whatever is in the tenant's queues on the old broker to the
// same queues on the new one (which Prepare declared). Run it after Drain;
// it is safe to run again after any failure, and converges.
func (e *Engine) Move(ctx context.Context, tenant string, opts MoveOptions) (*MoveReport, error) {
	return e.move(ctx, "move", OldToNew, tenant, e.old, e.new, opts)
}

// Rollback transfers the tenant's messages back from the new broker to the
// old one, the same way Move does.
func (e *Engine) Rollback(ctx context.Context, tenant string, opts MoveOptions) (*MoveReport, error) {
	return e.move(ctx, "rollback", NewToOld, tenant, e.new, e.old, opts)
}

// mover is one run of Move or Rollback.
type mover struct {
	op        string
	from, to  *broker
	src, dst  *amqp.Connection
	srcIn     *inspector
	opts      MoveOptions
	run       string
	candidate bool // a previous run was interrupted: redeliveries are candidates
	rep       *MoveReport
}

func (e *Engine) move(ctx context.Context, op, direction, tenant string, from, to *broker, opts MoveOptions) (*MoveReport, error) {
	start := time.Now()
	names, err := e.queueNames(op, tenant)
	if err != nil {
		return nil, err
	}
	if opts.Batch <= 0 {
		opts.Batch = 250
	}
	if opts.Batch > 65535 {
		return nil, invalid(op, "batch %d is more than AMQP's prefetch limit 65535", opts.Batch)
	}
	if opts.IdleWait <= 0 {
		opts.IdleWait = 200 * time.Millisecond
	}
	if opts.ConfirmTimeout <= 0 {
		opts.ConfirmTimeout = 30 * time.Second
	}
	m := &mover{op: op, from: from, to: to, opts: opts, run: newRunID()}
	m.rep = &MoveReport{Tenant: tenant, Direction: direction, From: from.name, To: to.name, Run: m.run, Queues: []QueueMove{}}
	if len(names) == 0 {
		return m.rep, nil
	}

	if m.src, err = e.dial(from, op, tenant, "source"); err != nil {
		return nil, err
	}
	defer m.src.Close()
	if m.dst, err = e.dial(to, op, tenant, "destination"); err != nil {
		return nil, err
	}
	defer m.dst.Close()
	// AMQP calls take no context: closing the connections is how a
	// cancellation interrupts them, and closing requeues what is in flight.
	stop := context.AfterFunc(ctx, func() { m.src.Close(); m.dst.Close() })
	defer stop()
	m.srcIn = &inspector{conn: m.src}
	defer m.srcIn.close()

	if err := m.moveAll(ctx, tenant, names); err != nil {
		var qe *Error
		if !errors.As(err, &qe) {
			qe = brokerError(op, nil, "", err)
		}
		if ctx.Err() != nil {
			qe = &Error{Kind: KindTransient, Op: qe.Op, Broker: qe.Broker, Queue: qe.Queue, Err: context.Cause(ctx)}
		}
		if m.rep.Moved > 0 {
			qe.Err = fmt.Errorf("%w (after moving %d messages; nothing is lost, run %s again to finish)", qe.Err, m.rep.Moved, op)
		}
		return nil, qe
	}
	m.rep.Duration = time.Since(start)
	return m.rep, nil
}

// moveAll checks every queue, sets the marker, moves every queue and removes
// the marker.
func (m *mover) moveAll(ctx context.Context, tenant string, names []string) error {
	// Look before changing anything: a source queue with messages needs its
	// destination queue, or every message would come back unroutable.
	dstIn := &inspector{conn: m.dst}
	defer dstIn.close()
	var work []string // the queues to move, in configuration order
	for _, name := range names {
		q, exists, err := m.srcIn.inspect(name)
		if err != nil {
			return brokerError(m.op, m.from, name, fmt.Errorf("inspecting: %w", err))
		}
		m.rep.Queues = append(m.rep.Queues, QueueMove{Queue: name, Exists: exists, ReadyAtStart: q.Messages, OtherConsumers: q.Consumers})
		if !exists {
			continue
		}
		_, dstExists, err := dstIn.inspect(name)
		if err != nil {
			return brokerError(m.op, m.to, name, fmt.Errorf("inspecting: %w", err))
		}
		if !dstExists {
			if q.Messages > 0 {
				return &Error{Kind: KindRefused, Op: m.op, Broker: m.to.name, Queue: name,
					Err: fmt.Errorf("does not exist, and %d messages wait for it on %s (run Prepare first)", q.Messages, m.from.name)}
			}
			m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("queue %s does not exist on %s; skipped it, as it is empty on %s", name, m.to.name, m.from.name))
			continue
		}
		work = append(work, name)
	}

	marker := markerName(tenant)
	_, interrupted, err := m.srcIn.inspect(marker)
	if err != nil {
		return brokerError(m.op, m.from, marker, fmt.Errorf("looking for the marker of an interrupted run: %w", err))
	}
	m.candidate = interrupted
	m.rep.InterruptedBefore = interrupted
	m.rep.DuplicatesPossible = interrupted
	if len(work) == 0 && !interrupted {
		return nil
	}
	mch, err := m.src.Channel()
	if err != nil {
		return brokerError(m.op, m.from, "", fmt.Errorf("opening a channel: %w", err))
	}
	defer mch.Close()
	markerArgs := amqp.Table{"x-queue-type": TypeClassic, "x-expires": int64(markerExpiry / time.Millisecond)}
	if _, err := mch.QueueDeclare(marker, true, false, false, false, markerArgs); err != nil {
		return brokerError(m.op, m.from, marker, fmt.Errorf("declaring the marker queue: %w", err))
	}

	for i := range m.rep.Queues {
		qm := &m.rep.Queues[i]
		if !slices.Contains(work, qm.Queue) {
			continue
		}
		if err := m.moveQueue(ctx, qm); err != nil {
			return err
		}
	}

	// Everything moved: the next run has nothing of ours to redeliver.
	if _, err := mch.QueueDelete(marker, false, false, false); err != nil {
		m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("could not delete the marker queue %s on %s (%v): the next run will report possible duplicates it did not make", marker, m.from.name, err))
	}
	return nil
}

// moveQueue moves one queue until the source holds no ready message.
func (m *mover) moveQueue(ctx context.Context, qm *QueueMove) error {
	name := qm.Queue
	srcCh, err := m.src.Channel()
	if err != nil {
		return brokerError(m.op, m.from, name, fmt.Errorf("opening a channel: %w", err))
	}
	// Closing the channel hands back to the queue whatever it delivered to
	// us that we did not acknowledge: on any failure below, that is the
	// safety net.
	defer srcCh.Close()
	srcClosed := srcCh.NotifyClose(make(chan *amqp.Error, 1))
	if err := srcCh.Qos(m.opts.Batch, 0, false); err != nil {
		return brokerError(m.op, m.from, name, fmt.Errorf("setting the prefetch: %w", err))
	}
	dstCh, err := m.dst.Channel()
	if err != nil {
		return brokerError(m.op, m.to, name, fmt.Errorf("opening a channel: %w", err))
	}
	defer dstCh.Close()
	dstClosed := dstCh.NotifyClose(make(chan *amqp.Error, 1))
	if err := dstCh.Confirm(false); err != nil {
		return brokerError(m.op, m.to, name, fmt.Errorf("enabling publisher confirms: %w", err))
	}
	// Room for a whole batch: the library drops returns it cannot hand over.
	returns := dstCh.NotifyReturn(make(chan amqp.Return, m.opts.Batch))

	tag := "migrawave-" + m.op + "-" + m.run
	deliveries, err := srcCh.Consume(name, tag, false, false, false, false, nil)
	if err != nil {
		return brokerError(m.op, m.from, name, fmt.Errorf("consuming: %w", err))
	}
	cancelled := false
	for {
		batch, open, err := collect(ctx, deliveries, m.opts.Batch, m.opts.IdleWait)
		if err != nil {
			return brokerError(m.op, m.from, name, err)
		}
		if !open && !cancelled {
			// The channel or connection went away under us, or the broker
			// cancelled the consumer. Do not publish what we hold: its
			// acknowledgement may not reach the source.
			if !srcCh.IsClosed() {
				return brokerError(m.op, m.from, name, errors.New("the broker cancelled the consumer (was the queue deleted?)"))
			}
			return brokerError(m.op, m.from, name, fmt.Errorf("the source stopped delivering: %w", closeReason(srcClosed)))
		}
		if len(batch) > 0 {
			if err := m.transfer(ctx, srcCh, dstCh, returns, dstClosed, qm, batch); err != nil {
				return err
			}
			m.progress(qm)
		}
		if !open {
			break // cancelled, and every delivery before the cancel handled
		}
		if len(batch) > 0 || cancelled {
			continue
		}
		// Idle: is the queue empty, or do other consumers get the messages?
		q, exists, err := m.srcIn.inspect(name)
		if err != nil {
			return brokerError(m.op, m.from, name, fmt.Errorf("inspecting: %w", err))
		}
		m.progress(qm)
		if !exists || q.Messages == 0 {
			// Deliveries sent before the cancel still arrive; the channel
			// closes after the last of them, and the loop handles them.
			if err := srcCh.Cancel(tag, false); err != nil {
				return brokerError(m.op, m.from, name, fmt.Errorf("cancelling the consumer: %w", err))
			}
			cancelled = true
		}
	}
	if q, exists, err := m.srcIn.inspect(name); err == nil && exists {
		qm.OtherConsumers = q.Consumers
		if q.Messages > 0 {
			m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("queue %s on %s received %d messages after it was emptied: something still publishes there; run %s again", name, m.from.name, q.Messages, m.op))
		}
		if q.Consumers > 0 {
			m.rep.Warnings = append(m.rep.Warnings, fmt.Sprintf("queue %s on %s still has %d consumer(s): messages they hold unacknowledged and give back stay there; run %s again after they stop", name, m.from.name, q.Consumers, m.op))
		}
	}
	return nil
}

// transfer publishes a batch to the destination, waits for its confirms and
// only then acknowledges it on the source.
func (m *mover) transfer(ctx context.Context, srcCh, dstCh *amqp.Channel, returns <-chan amqp.Return, dstClosed <-chan *amqp.Error, qm *QueueMove, batch []amqp.Delivery) error {
	name := qm.Queue
	confirms := make([]*amqp.DeferredConfirmation, len(batch))
	for i, d := range batch {
		candidate := m.candidate && d.Redelivered
		dc, err := dstCh.PublishWithDeferredConfirmWithContext(ctx, "", name, true, false, m.republish(d, candidate))
		if err != nil {
			if dstCh.IsClosed() {
				err = closeReason(dstClosed)
			}
			return brokerError(m.op, m.to, name, fmt.Errorf("publishing: %w", err))
		}
		confirms[i] = dc
	}
	cctx, cancel := context.WithTimeout(ctx, m.opts.ConfirmTimeout)
	defer cancel()
	for _, dc := range confirms {
		ok, err := dc.WaitContext(cctx)
		if err != nil {
			return brokerError(m.op, m.to, name, fmt.Errorf("waiting for publisher confirms: %w", err))
		}
		if !ok {
			if dstCh.IsClosed() {
				// Pending confirms resolve as nacks when the channel closes.
				return brokerError(m.op, m.to, name, fmt.Errorf("the destination channel closed before confirming: %w", closeReason(dstClosed)))
			}
			return brokerError(m.op, m.to, name, errors.New("the broker refused a message (nack); run again"))
		}
	}
	// A basic.return precedes the confirm of the same message on the
	// channel, so every return of this batch is already in the channel.
	if n := len(returns); n > 0 {
		r := <-returns
		for range n - 1 {
			<-returns
		}
		return &Error{Kind: KindRefused, Op: m.op, Broker: m.to.name, Queue: name,
			Err: fmt.Errorf("%d messages came back unroutable (%d %s): the queue is missing there; run Prepare", n, r.ReplyCode, r.ReplyText)}
	}
	if testHookConfirmed != nil {
		testHookConfirmed(name, len(batch))
	}
	if err := srcCh.Ack(batch[len(batch)-1].DeliveryTag, true); err != nil {
		return brokerError(m.op, m.from, name, fmt.Errorf("acknowledging: %w", err))
	}
	for _, d := range batch {
		qm.Moved++
		m.rep.Moved++
		if d.Redelivered {
			qm.Redelivered++
		}
		if m.candidate && d.Redelivered {
			qm.PossibleDuplicates++
			m.rep.PossibleDuplicates++
			if d.MessageId != "" && len(m.rep.PossibleDuplicateIDs) < maxListedIDs {
				m.rep.PossibleDuplicateIDs = append(m.rep.PossibleDuplicateIDs, d.MessageId)
			}
		}
	}
	return nil
}

// republish copies a delivery into a persistent publishing with our
// headers. A per-message TTL (expiration) starts again on the destination:
// AMQP has no way to carry what is left of it.
func (m *mover) republish(d amqp.Delivery, candidate bool) amqp.Publishing {
	headers := make(amqp.Table, len(d.Headers)+3)
	for k, v := range d.Headers {
		headers[k] = v
	}
	// The source quorum queue's count of delivery attempts: it describes
	// that queue, and the destination keeps its own.
	delete(headers, "x-delivery-count")
	headers[HeaderRun] = m.run
	headers[HeaderMovedFrom] = m.from.name
	if candidate {
		headers[HeaderPossibleDuplicate] = true
	} else {
		delete(headers, HeaderPossibleDuplicate) // from an earlier move, not this one
	}
	userID := d.UserId
	if userID != "" && userID != m.to.user {
		// RabbitMQ refuses a user-id that is not the publishing user's.
		headers[HeaderUserID] = userID
		userID = ""
	}
	return amqp.Publishing{
		Headers:         headers,
		ContentType:     d.ContentType,
		ContentEncoding: d.ContentEncoding,
		DeliveryMode:    amqp.Persistent,
		Priority:        d.Priority,
		CorrelationId:   d.CorrelationId,
		ReplyTo:         d.ReplyTo,
		Expiration:      d.Expiration,
		MessageId:       d.MessageId,
		Timestamp:       d.Timestamp,
		Type:            d.Type,
		UserId:          userID,
		AppId:           d.AppId,
		Body:            d.Body,
	}
}

func (m *mover) progress(qm *QueueMove) {
	if m.opts.Progress != nil {
		m.opts.Progress(MoveProgress{Queue: qm.Queue, QueueMoved: qm.Moved, Moved: m.rep.Moved})
	}
}

// collect waits up to wait for a first delivery, then gathers those that
// follow within a short linger, up to max. open is false once the channel
// is closed (after a cancel, or because the channel or connection died).
func collect(ctx context.Context, deliveries <-chan amqp.Delivery, max int, wait time.Duration) (batch []amqp.Delivery, open bool, err error) {
	const linger = 20 * time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case d, ok := <-deliveries:
		if !ok {
			return nil, false, nil
		}
		batch = append(batch, d)
	case <-timer.C:
		return nil, true, nil
	case <-ctx.Done():
		return nil, true, context.Cause(ctx)
	}
	timer.Reset(linger)
	for len(batch) < max {
		select {
		case d, ok := <-deliveries:
			if !ok {
				return batch, false, nil
			}
			batch = append(batch, d)
		case <-timer.C:
			return batch, true, nil
		case <-ctx.Done():
			return nil, true, context.Cause(ctx)
		}
	}
	return batch, true, nil
}

// closeReason is why a channel closed, if the library told us.
func closeReason(closed <-chan *amqp.Error) error {
	select {
	case e, ok := <-closed:
		if ok && e != nil {
			return e
		}
	case <-time.After(100 * time.Millisecond):
	}
	return amqp.ErrClosed
}

// markerName is the tenant's marker queue. Tenant ids too long for the name
// are hashed.
func markerName(tenant string) string {
	if name := markerPrefix + tenant; len(name) <= maxQueueName {
		return name
	}
	sum := sha256.Sum256([]byte(tenant))
	return markerPrefix + "sha256-" + hex.EncodeToString(sum[:])
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
