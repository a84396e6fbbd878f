package queues

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv"
)

// fixture is one test's engine over queues nobody else uses: the templates
// carry a random prefix, and every queue they make for the fixture's tenant
// is deleted on both brokers when the test ends.
type fixture struct {
	cfg    config.RabbitMQ
	eng    *Engine
	prefix string
	tenant string
}

func newFixture(t *testing.T, mutate ...func(*config.RabbitMQ)) *fixture {
	t.Helper()
	// The tenant is unique too: the marker queue of a move is per tenant,
	// and tests run in parallel.
	f := &fixture{cfg: testenv.Config(t).RabbitMQ, prefix: "qtest-" + randHex(4), tenant: "acme-" + randHex(3)}
	f.cfg.Queues = []string{f.prefix + ".{tenant}.events", f.prefix + ".{tenant}.jobs"}
	for _, m := range mutate {
		m(&f.cfg)
	}
	conn, err := amqp.Dial(f.cfg.OldURL)
	if err != nil {
		testenv.Unavailable(t, "RabbitMQ", err)
	}
	conn.Close()
	f.eng, err = New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.eng.ConnectionName = f.prefix
	t.Cleanup(func() { f.deleteQueues(t) })
	return f
}

// names are the fixture tenant's queue names.
func (f *fixture) names(t *testing.T) []string {
	t.Helper()
	names, err := f.eng.Queues(f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// seedAndPrepare puts perQueue messages in each of the tenant's old queues,
// declares the new ones, and returns the queue names and every message id.
func (f *fixture) seedAndPrepare(t *testing.T, perQueue int) (names, ids []string) {
	t.Helper()
	names = f.names(t)
	for _, q := range names {
		ids = append(ids, seed(t, f.cfg.OldURL, q, perQueue)...)
	}
	if _, err := f.eng.Prepare(context.Background(), f.tenant); err != nil {
		t.Fatal(err)
	}
	return names, ids
}

func (f *fixture) deleteQueues(t *testing.T) {
	names := []string{markerName(f.tenant)}
	for _, tmpl := range f.cfg.Queues {
		names = append(names, strings.ReplaceAll(tmpl, TenantPlaceholder, f.tenant))
	}
	testenv.DeleteQueues(t, []string{f.cfg.OldURL, f.cfg.NewURL}, names)
}

func dial(t *testing.T, url string) *amqp.Connection {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		testenv.Unavailable(t, "RabbitMQ", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// seed declares queue on the broker at url as the demo seeder does (durable,
// classic) and publishes n persistent messages with ids "<queue>#<i>",
// returning once the broker confirmed them all.
func seed(t *testing.T, url, queue string, n int) []string {
	t.Helper()
	ch, err := dial(t, url).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(queue, true, false, false, false, amqp.Table{"x-queue-type": "classic"}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	confirms := make([]*amqp.DeferredConfirmation, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s#%d", queue, i+1)
		confirms[i], err = ch.PublishWithDeferredConfirm("", queue, false, false, amqp.Publishing{
			ContentType:  "application/json",
			DeliveryMode: amqp.Persistent,
			MessageId:    ids[i],
			Headers:      amqp.Table{"tenant": "acme"},
			Body:         fmt.Appendf(nil, `{"seq":%d}`, i+1),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, dc := range confirms {
		if !dc.Wait() {
			t.Fatalf("message %d nacked", i)
		}
	}
	return ids
}

// received is a message read back from a queue.
type received struct {
	id      string
	headers amqp.Table
	body    string
}

// takeAll empties queue on the broker at url and returns what it held.
func takeAll(t *testing.T, url, queue string) []received {
	t.Helper()
	ch, err := dial(t, url).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	var out []received
	for {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatalf("reading %s: %v", queue, err)
		}
		if !ok {
			return out
		}
		out = append(out, received{id: d.MessageId, headers: d.Headers, body: string(d.Body)})
	}
}

// ready is the queue's ready count, or -1 when it does not exist.
func ready(t *testing.T, url, queue string) int {
	t.Helper()
	ch, err := dial(t, url).Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if isNotFound(err) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return q.Messages
}

// checkConserved asserts that every id is on the new broker or consumed,
// never both, and returns how many ids the new broker holds twice or more.
func checkConserved(t *testing.T, all []string, onNew []received, consumed map[string]bool) (duplicated map[string]int) {
	t.Helper()
	count := map[string]int{}
	for _, m := range onNew {
		count[m.id]++
	}
	lost := 0
	for _, id := range all {
		switch {
		case count[id] == 0 && !consumed[id]:
			lost++
			if lost <= 5 {
				t.Errorf("%s was lost: neither consumed on the old broker nor on the new one", id)
			}
		case count[id] > 0 && consumed[id]:
			t.Errorf("%s was consumed on the old broker and moved too", id)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d messages lost", lost, len(all))
	}
	duplicated = map[string]int{}
	for id, n := range count {
		if n > 1 {
			duplicated[id] = n
		}
	}
	if len(count) > len(all) {
		t.Errorf("the new broker holds %d ids that were never published", len(count)-len(all))
	}
	return duplicated
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
