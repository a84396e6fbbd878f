package queues

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// appConsumer plays the old platform's application: it consumes the
// tenant's queues and acknowledges each message after delay.
type appConsumer struct {
	ch       *amqp.Channel
	wg       sync.WaitGroup
	mu       sync.Mutex // held while acknowledging, so stop waits for an ack under way
	stopping bool
	acked    map[string]bool
	once     sync.Once
}

func startConsumer(t *testing.T, url string, queues []string, prefetch int, delay time.Duration) *appConsumer {
	t.Helper()
	ch, err := dial(t, url).Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		t.Fatal(err)
	}
	c := &appConsumer{ch: ch, acked: map[string]bool{}}
	for _, q := range queues {
		deliveries, err := ch.Consume(q, "", false, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.wg.Go(func() {
			for d := range deliveries {
				time.Sleep(delay)
				c.mu.Lock()
				// An ack written before stop closes the channel reaches the
				// broker; one written after the channel.close frame would be
				// discarded by it, so none is sent once stopping.
				if !c.stopping && d.Ack(false) == nil {
					c.acked[d.MessageId] = true
				}
				c.mu.Unlock()
			}
		})
	}
	t.Cleanup(c.stop)
	return c
}

// stop closes the consumer's channel: what it holds unacknowledged goes
// back to the queue, as when the application shuts down.
func (c *appConsumer) stop() {
	c.once.Do(func() {
		c.mu.Lock()
		c.stopping = true
		c.mu.Unlock()
		c.ch.Close()
		c.wg.Wait()
	})
}

func (c *appConsumer) consumed() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]bool, len(c.acked))
	for id := range c.acked {
		out[id] = true
	}
	return out
}

func TestDrainMissingQueues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep, err := f.eng.Drain(context.Background(), f.tenant, DrainOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Drained || rep.TimedOut || rep.Duration > 2*time.Second {
		t.Errorf("drain of queues that do not exist: %+v", rep)
	}
	for _, q := range rep.Queues {
		if q.Exists {
			t.Errorf("%s exists", q.Queue)
		}
	}
}

func TestDrainWaitsForConsumers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	names := f.names(t)
	seed(t, f.cfg.OldURL, names[0], 200)
	app := startConsumer(t, f.cfg.OldURL, names[:1], 20, 10*time.Millisecond)

	var looks int
	rep, err := f.eng.Drain(context.Background(), f.tenant, DrainOptions{
		Timeout:  30 * time.Second,
		Interval: 200 * time.Millisecond,
		Progress: func(DrainSample) { looks++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(rep)
	t.Logf("report: %s", out)
	if !rep.Drained || rep.TimedOut || rep.NoConsumers {
		t.Fatalf("not drained: %+v", rep)
	}
	if n := len(app.consumed()); n != 200 {
		t.Errorf("drained while the consumer had acknowledged %d of 200", n)
	}
	// The consumer stays attached, so Drain waited out the statistics interval.
	if rep.Duration < 6*time.Second {
		t.Errorf("drained after %v, before the settle time", rep.Duration)
	}
	last := rep.Samples[len(rep.Samples)-1]
	if last.Ready != 0 || last.Unacked == nil || *last.Unacked != 0 || last.Consumers != 1 {
		t.Errorf("last sample %+v", last)
	}
	if looks < len(rep.Samples) || rep.Queues[1].Exists {
		t.Errorf("%d progress calls for %d samples; queues %+v", looks, len(rep.Samples), rep.Queues)
	}
}

func TestDrainStopsWhenNobodyConsumes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seed(t, f.cfg.OldURL, f.names(t)[1], 5)
	rep, err := f.eng.Drain(context.Background(), f.tenant, DrainOptions{Timeout: 20 * time.Second, Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody attached: the counts are exact, so the first look decides.
	if rep.Drained || rep.TimedOut || !rep.NoConsumers || len(rep.Samples) != 1 {
		t.Errorf("report %+v; want NoConsumers at the first look", rep)
	}
	if q := rep.Queues[1]; q.Ready != 5 || q.Consumers != 0 || q.Unacked == nil || *q.Unacked != 0 {
		t.Errorf("queue state %+v", q)
	}
}
