package tenantapp

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/migrawave/migrawave/internal/ledger"
	"github.com/migrawave/migrawave/internal/queues"
)

// consumer processes one tenant's jobs from the broker the tenant is on,
// and consumes nothing while the tenant is frozen: a migration's drain then
// finds its queues without consumers and moves what is ready at once.
type consumer struct {
	app    *App
	tenant string
	// inFlight counts deliveries taken from the broker and not yet
	// acknowledged or given back: with a prefetch of one, what the broker
	// counts as ready plus this is everything still to process.
	inFlight atomic.Int64
}

func (c *consumer) run(ctx context.Context) {
	log := c.app.opts.Log.With("tenant", c.tenant)
	names, err := queues.Names(c.app.cfg.RabbitMQ.Queues, c.tenant)
	if err != nil {
		log.Error("tenant queues", "err", err)
		return
	}
	for ctx.Err() == nil {
		changed := c.app.routes.changed(c.tenant)
		rt := c.app.routes.get(c.tenant)
		if rt.Frozen {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		// Consume until the route changes; closing the channel gives back
		// what was delivered and not acknowledged.
		err := c.consume(ctx, brokerFor(rt.Location), names, changed)
		if err != nil && ctx.Err() == nil {
			log.Debug("consuming stopped; starting again", "err", err)
			select {
			case <-ctx.Done():
			case <-changed:
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// consume processes deliveries from the tenant's queues on broker until
// changed is closed, ctx ends, or the channel fails.
func (c *consumer) consume(ctx context.Context, broker string, names []string, changed <-chan struct{}) error {
	ch, err := c.app.brk.channel(broker)
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.Qos(1, 0, false); err != nil {
		return err
	}
	merged := make(chan amqp.Delivery)
	for _, q := range names {
		d, err := ch.Consume(q, "", false, false, false, false, nil)
		if err != nil {
			return err // e.g. not declared there yet
		}
		go func() {
			for m := range d {
				c.inFlight.Add(1)
				select {
				case merged <- m:
				case <-ctx.Done():
					c.inFlight.Add(-1) // given back as the channel closes
					return
				case <-changed:
					c.inFlight.Add(-1)
					return
				}
			}
		}()
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			return nil
		case e := <-closed:
			if e == nil {
				return errors.New("channel closed")
			}
			return e
		case d := <-merged:
			c.process(ctx, broker, d)
		}
	}
}

// process applies one job in the tenant's database, once per message id:
// the inbox row and the job's effect commit together, and a message
// delivered again finds its id there.
func (c *consumer) process(ctx context.Context, broker string, d amqp.Delivery) {
	defer c.inFlight.Add(-1)
	rt := c.app.routes.get(c.tenant)
	tx, err := c.app.stores.begin(ctx, c.tenant, rt.Location)
	if err != nil {
		if errors.Is(err, errFenced) {
			_ = c.app.routes.refresh(ctx, c.tenant)
		}
		d.Nack(false, true)
		return
	}
	defer tx.rollback()
	first, err := tx.inbox(ctx, d.MessageId)
	if err == nil {
		err = tx.commit(ctx)
	}
	if err != nil {
		d.Nack(false, true)
		return
	}
	event := ledger.Processed
	if !first {
		event = ledger.Duplicate
	}
	// Acknowledged after the commit: a failure in between delivers it
	// again, and the inbox recognizes it.
	if err := d.Ack(false); err != nil {
		return
	}
	c.app.rec.Message(ledger.Message{Tenant: c.tenant, MessageID: d.MessageId, Event: event, Broker: broker, At: time.Now()})
}

// waitEmpty waits until the tenant's queues on its current broker are empty
// and it is not frozen, or the deadline passes.
func (c *consumer) waitEmpty(ctx context.Context, deadline time.Time) {
	names, err := queues.Names(c.app.cfg.RabbitMQ.Queues, c.tenant)
	if err != nil {
		return
	}
	quiet := 0 // consecutive looks that found nothing left
	for time.Now().Before(deadline) && ctx.Err() == nil {
		rt := c.app.routes.get(c.tenant)
		if !rt.Frozen && c.inFlight.Load() == 0 && c.empty(brokerFor(rt.Location), names) {
			if quiet++; quiet == 2 {
				return
			}
		} else {
			quiet = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.app.opts.Log.Warn("queues not empty at the drain deadline", "tenant", c.tenant)
}

func (c *consumer) empty(broker string, names []string) bool {
	ch, err := c.app.brk.channel(broker)
	if err != nil {
		return false
	}
	defer ch.Close()
	for _, q := range names {
		st, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
		if err != nil || st.Messages > 0 {
			return false
		}
	}
	return true
}
