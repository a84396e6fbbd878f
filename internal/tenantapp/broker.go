package tenantapp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
)

// The two brokers: a tenant in the source uses the old platform's, a
// tenant in its own database the new platform's.
const (
	brokerOld = "old"
	brokerNew = "new"
)

func brokerFor(location string) string {
	if location == catalog.LocationSource {
		return brokerOld
	}
	return brokerNew
}

// brokers holds one connection per broker, dialled again when it closes.
type brokers struct {
	urls  map[string]string
	mu    sync.Mutex
	conns map[string]*amqp.Connection
}

func newBrokers(cfg config.RabbitMQ) *brokers {
	return &brokers{urls: map[string]string{brokerOld: cfg.OldURL, brokerNew: cfg.NewURL}, conns: map[string]*amqp.Connection{}}
}

func (b *brokers) channel(name string) (*amqp.Channel, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.conns[name]
	if c == nil || c.IsClosed() {
		var err error
		if c, err = amqp.Dial(b.urls[name]); err != nil {
			return nil, fmt.Errorf("the %s broker: %w", name, errors.Unwrap(err))
		}
		b.conns[name] = c
	}
	return c.Channel()
}

func (b *brokers) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
}

// publisher publishes a tenant's messages with confirms, on a channel per
// broker, opened again after a failure.
type publisher struct {
	b       *brokers
	chans   map[string]*amqp.Channel
	returns map[string]chan amqp.Return
}

func newPublisher(b *brokers) *publisher {
	return &publisher{b: b, chans: map[string]*amqp.Channel{}, returns: map[string]chan amqp.Return{}}
}

// publish sends one persistent message to queue on broker and returns once
// the broker has confirmed it. mandatory makes a queue that does not exist
// an error rather than a message dropped.
func (p *publisher) publish(ctx context.Context, broker, queue, messageID string) error {
	ch := p.chans[broker]
	if ch == nil || ch.IsClosed() {
		var err error
		if ch, err = p.b.channel(broker); err != nil {
			return err
		}
		if err := ch.Confirm(false); err != nil {
			ch.Close()
			return err
		}
		p.chans[broker] = ch
		p.returns[broker] = ch.NotifyReturn(make(chan amqp.Return, 1))
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, true, false, amqp.Publishing{
		MessageId: messageID, DeliveryMode: amqp.Persistent, ContentType: "text/plain", Body: []byte(messageID),
	})
	if err == nil {
		var ok bool
		if ok, err = dc.WaitContext(ctx); err == nil && !ok {
			err = fmt.Errorf("the %s broker refused message %s", broker, messageID)
		}
	}
	select {
	case r := <-p.returns[broker]: // returned before its confirm
		err = fmt.Errorf("queue %s on the %s broker: %s", queue, broker, r.ReplyText)
	default:
	}
	if err != nil {
		ch.Close()
		delete(p.chans, broker)
	}
	return err
}

func (p *publisher) close() {
	for _, ch := range p.chans {
		ch.Close()
	}
}
