package queues

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/config"
)

// queueInfo reads a queue's type and durability from the management API.
func queueInfo(t *testing.T, f *fixture, name string) (qtype string, durable bool) {
	t.Helper()
	m := f.eng.new.mgmt
	req, _ := http.NewRequest(http.MethodGet, m.base+"/api/queues/"+url.PathEscape(m.vhost)+"/"+url.PathEscape(name), nil)
	req.SetBasicAuth(m.user, m.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var q struct {
		Type    string `json:"type"`
		Durable bool   `json:"durable"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil {
		t.Fatalf("%s: %v", resp.Status, err)
	}
	return q.Type, q.Durable
}

func TestPrepareIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.eng.Prepare(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if first.Created != 2 || first.QueueType != TypeClassic || first.Broker != f.eng.NewBroker() {
		t.Errorf("first prepare: %+v", first)
	}
	second, err := f.eng.Prepare(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created != 0 || len(second.Queues) != 2 || second.Queues[0].Created {
		t.Errorf("second prepare: %+v", second)
	}
	for _, name := range f.names(t) {
		if typ, durable := queueInfo(t, f, name); typ != "classic" || !durable {
			t.Errorf("%s: type %q durable %v", name, typ, durable)
		}
		if ready(t, f.cfg.OldURL, name) != -1 {
			t.Errorf("%s was declared on the old broker", name)
		}
	}
	out, _ := json.Marshal(second)
	t.Logf("report: %s", out)
}

func TestPrepareQuorum(t *testing.T) {
	f := newFixture(t, func(c *config.RabbitMQ) { c.Quorum = true })
	ctx := context.Background()
	for range 2 {
		rep, err := f.eng.Prepare(ctx, f.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if rep.QueueType != TypeQuorum {
			t.Errorf("queue type %s", rep.QueueType)
		}
	}
	for _, name := range f.names(t) {
		if typ, durable := queueInfo(t, f, name); typ != "quorum" || !durable {
			t.Errorf("%s: type %q durable %v", name, typ, durable)
		}
	}

	// The same queues wanted as classic: refused, not replaced.
	classic := f.cfg
	classic.Quorum = false
	eng, err := New(classic)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Prepare(ctx, f.tenant)
	wantKind(t, err, KindRefused, "exists with other arguments")
	if !strings.Contains(err.Error(), "quorum") {
		t.Errorf("error does not say what differs: %v", err)
	}
}

func TestPrepareBadTenantChangesNothing(t *testing.T) {
	// The first template fits a 60-byte tenant, the second does not: the
	// first queue must not be declared either.
	f := newFixture(t, func(c *config.RabbitMQ) {
		c.Queues = []string{c.Queues[0], c.Queues[1] + "." + strings.Repeat("x", 200)}
	})
	f.tenant = strings.Repeat("t", 60)
	_, err := f.eng.Prepare(context.Background(), f.tenant)
	wantKind(t, err, KindInvalid, "more than AMQP's 255")
	first := strings.ReplaceAll(f.cfg.Queues[0], TenantPlaceholder, f.tenant)
	if n := ready(t, f.cfg.NewURL, first); n != -1 {
		t.Errorf("%s was declared despite the bad input", first)
	}
}
