package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/migrawave/migrawave/internal/config"
)

const (
	// queueWorkers publish to this many queues at once, one channel each.
	queueWorkers = 4
	minMessages  = 5
	maxMessages  = 200
	dialTimeout  = 10 * time.Second
)

// messagesFor is how many messages each of a tenant's queues gets:
// proportional to the tenant's size, between minMessages and maxMessages.
func messagesFor(t *tenant) int {
	return min(max(t.companies/5, minMessages), maxMessages)
}

// queueJob is one tenant queue to fill.
type queueJob struct {
	t        *tenant
	template int // index in cfg.RabbitMQ.Queues
	name     string
	messages int
}

// eventMessage is the body of a demo message: what the legacy platform
// publishes about a tenant's business objects.
type eventMessage struct {
	Tenant     string `json:"tenant"`
	Seq        int    `json:"seq"`
	Type       string `json:"type"`
	EntityID   int    `json:"entity_id"`
	OccurredAt string `json:"occurred_at"`
	Note       string `json:"note,omitempty"`
}

var eventTypes = []string{"invoice.created", "invoice.sent", "invoice.paid", "payment.recorded", "contact.updated", "deal.won", "document.uploaded", "reminder.due"}

// seedQueues declares, purges and fills every tenant queue of every
// configured template on the old broker.
func seedQueues(ctx context.Context, cfg *config.Config, tenants []*tenant, seed int64, progress func(string)) (QueueReport, error) {
	if cfg.RabbitMQ.OldURL == "" || len(cfg.RabbitMQ.Queues) == 0 {
		reason := "rabbitmq.old_url or rabbitmq.queues is not configured"
		progress("queues: skipped, " + reason)
		return QueueReport{Skipped: reason}, nil
	}
	where := redactURL(cfg.RabbitMQ.OldURL)
	conn, err := amqp.DialConfig(cfg.RabbitMQ.OldURL, amqp.Config{
		Dial:       amqp.DefaultDial(dialTimeout),
		Properties: amqp.Table{"connection_name": "migrawave demo seed"},
	})
	if err != nil {
		return QueueReport{}, fmt.Errorf("demo: rabbitmq: connecting to %s: %w", where, err)
	}
	defer conn.Close()

	var jobs []queueJob
	for _, t := range tenants {
		for i, tmpl := range cfg.RabbitMQ.Queues {
			jobs = append(jobs, queueJob{t: t, template: i, name: strings.ReplaceAll(tmpl, "{tenant}", t.id), messages: messagesFor(t)})
		}
	}

	// Workers take jobs in order; results are written by job index so the
	// report's order does not depend on scheduling.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(queueWorkers, len(jobs)) {
		wg.Go(func() {
			ch, err := openConfirmChannel(conn)
			if err != nil {
				cancel(fmt.Errorf("demo: rabbitmq %s: %w", where, err))
				return
			}
			defer ch.Close()
			for i := range next {
				if err := fillQueue(ctx, ch, jobs[i], seed); err != nil {
					cancel(fmt.Errorf("demo: rabbitmq %s: queue %s: %w", where, jobs[i].name, err))
					return
				}
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return QueueReport{}, err
	}

	rep := QueueReport{Queues: make([]QueueCount, len(jobs))}
	for i, j := range jobs {
		rep.Queues[i] = QueueCount{Tenant: j.t.id, Queue: j.name, Messages: j.messages}
		rep.Messages += int64(j.messages)
	}
	progress(fmt.Sprintf("queues: %s queues, %s messages", thousands(int64(len(jobs))), thousands(rep.Messages)))
	return rep, nil
}

func openConfirmChannel(conn *amqp.Connection) (*amqp.Channel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("opening a channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		ch.Close()
		return nil, fmt.Errorf("enabling publisher confirms: %w", err)
	}
	return ch, nil
}

// fillQueue declares the queue, empties it and publishes the job's messages,
// returning once the broker has confirmed every one of them.
func fillQueue(ctx context.Context, ch *amqp.Channel, job queueJob, seed int64) error {
	args := amqp.Table{"x-queue-type": "classic"}
	if _, err := ch.QueueDeclare(job.name, true, false, false, false, args); err != nil {
		return fmt.Errorf("declaring: %w", err)
	}
	if _, err := ch.QueuePurge(job.name, false); err != nil {
		return fmt.Errorf("purging: %w", err)
	}
	// One random stream per queue: queues are filled concurrently and in any
	// order, and must come out the same every time.
	r := rand.New(rand.NewPCG(uint64(seed), uint64(streamMessages)<<32|uint64(job.t.index)<<8|uint64(job.template)))
	confirms := make([]*amqp.DeferredConfirmation, 0, job.messages)
	at := baseTime - int64(job.messages)*10*60*microsPerSecond
	for n := 1; n <= job.messages; n++ {
		at += r.Int64N(10 * 60 * microsPerSecond)
		body := mustJSON(eventMessage{
			Tenant:     job.t.id,
			Seq:        n,
			Type:       pick(r, eventTypes),
			EntityID:   1 + r.IntN(100_000),
			OccurredAt: time.UnixMicro(at).UTC().Format(time.RFC3339Nano),
			Note:       pick(r, []string{"", "", "", "🚀 priority", "Überfällig", "至急"}),
		})
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", job.name, false, false, amqp.Publishing{
			ContentType:  "application/json",
			DeliveryMode: amqp.Persistent,
			MessageId:    fmt.Sprintf("%s#%d", job.name, n),
			Timestamp:    time.UnixMicro(at).UTC().Truncate(time.Second),
			Type:         "demo.event",
			AppId:        "migrawave-demo",
			Headers:      amqp.Table{"tenant": job.t.id},
			Body:         []byte(body),
		})
		if err != nil {
			return fmt.Errorf("publishing message %d: %w", n, err)
		}
		confirms = append(confirms, dc)
	}
	for n, dc := range confirms {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the confirm of message %d: %w", n+1, err)
		}
		if !ok {
			return fmt.Errorf("the broker rejected message %d (nack)", n+1)
		}
	}
	return nil
}

// redactURL is the URL without its password, for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "rabbitmq.old_url (unparsable)"
	}
	return u.Redacted()
}
