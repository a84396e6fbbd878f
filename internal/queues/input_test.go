package queues

import (
	"context"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/retry"
)

// localConfig is a valid configuration that needs no broker.
func localConfig() config.RabbitMQ {
	return config.RabbitMQ{
		OldURL: "amqp://migrawave:s3cret@127.0.0.1:5672/legacy",
		NewURL: "amqp://migrawave:s3cret@127.0.0.1:5672/platform",
		Queues: []string{"tenant.{tenant}.events", "tenant.{tenant}.jobs"},
	}
}

func wantKind(t *testing.T, err error, kind Kind, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a %s error about %q", kind, contains)
	}
	if KindOf(err) != kind {
		t.Errorf("kind %s, want %s: %v", KindOf(err), kind, err)
	}
	if retry.IsFinal(err) != (kind != KindTransient) {
		t.Errorf("retry.IsFinal = %v for a %s error", retry.IsFinal(err), kind)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not mention %q", err, contains)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "migrawave:migrawave@") {
		t.Errorf("error leaks a password: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*config.RabbitMQ)
		want   string
	}{
		{"template without tenant", func(c *config.RabbitMQ) { c.Queues[1] = "shared.jobs" }, `rabbitmq.queues[1]: "shared.jobs" has no {tenant}`},
		{"template twice", func(c *config.RabbitMQ) { c.Queues[1] = c.Queues[0] }, "is already rabbitmq.queues[0]"},
		{"same broker", func(c *config.RabbitMQ) { c.NewURL = c.OldURL }, "the same broker and vhost"},
		{"bad old url", func(c *config.RabbitMQ) { c.OldURL = "amqp://migrawave:s3cret@127.0.0.1:notaport/legacy" }, "rabbitmq.old_url: not a valid"},
		{"http new url", func(c *config.RabbitMQ) { c.NewURL = "http://migrawave:s3cret@127.0.0.1/platform" }, "rabbitmq.new_url: not a valid"},
		{"bad management url", func(c *config.RabbitMQ) { c.OldManagementURL = "ftp://u:s3cret@host" }, "rabbitmq.old_management_url"},
		{"negative timeout", func(c *config.RabbitMQ) { c.DrainTimeout = -1 }, "rabbitmq.drain_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := localConfig()
			tc.mutate(&cfg)
			_, err := New(cfg)
			wantKind(t, err, KindInvalid, tc.want)
		})
	}
}

func TestBadTenantIsRefusedBeforeAnyConnection(t *testing.T) {
	cfg := localConfig()
	// Nothing listens there: an operation that connected would fail
	// differently (transient), so KindInvalid proves it did not.
	cfg.OldURL = "amqp://u:s3cret@127.0.0.1:1/legacy"
	cfg.NewURL = "amqp://u:s3cret@127.0.0.1:1/platform"
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops := map[string]func(tenant string) error{
		"prepare":  func(tn string) error { _, err := eng.Prepare(ctx, tn); return err },
		"drain":    func(tn string) error { _, err := eng.Drain(ctx, tn, DrainOptions{}); return err },
		"move":     func(tn string) error { _, err := eng.Move(ctx, tn, MoveOptions{}); return err },
		"rollback": func(tn string) error { _, err := eng.Rollback(ctx, tn, MoveOptions{}); return err },
	}
	for _, tc := range []struct{ name, tenant, want string }{
		{"empty", "", "empty tenant id"},
		{"too long", strings.Repeat("t", 250), "more than AMQP's 255"},
		{"space", "ac me", "control or space"},
		{"control", "ac\x00me", "control or space"},
		{"not utf8", "ac\xffme", "not valid UTF-8"},
		{"placeholder", "{tenant}", "contains {tenant}"},
	} {
		for op, run := range ops {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				wantKind(t, run(tc.tenant), KindInvalid, tc.want)
			})
		}
	}
	// And a good tenant does reach the network: transient, no password.
	_, err = eng.Prepare(ctx, "acme")
	wantKind(t, err, KindTransient, "amqp://127.0.0.1:1/platform")
}

func TestReservedAndSharedNames(t *testing.T) {
	cfg := localConfig()
	cfg.Queues = []string{"amq.{tenant}"}
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Queues("acme")
	wantKind(t, err, KindInvalid, "reserved")

	// The engine guards the placeholder itself, whatever built it.
	eng.templates = []string{"shared.events"}
	_, err = eng.Queues("acme")
	wantKind(t, err, KindInvalid, "has no {tenant}")
}

func TestQueueNames(t *testing.T) {
	eng, err := New(localConfig())
	if err != nil {
		t.Fatal(err)
	}
	names, err := eng.Queues("acme-0001")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "tenant.acme-0001.events,tenant.acme-0001.jobs" {
		t.Errorf("names = %v", names)
	}
	if eng.OldBroker() != "amqp://127.0.0.1:5672/legacy" || eng.NewBroker() != "amqp://127.0.0.1:5672/platform" {
		t.Errorf("brokers named %s, %s", eng.OldBroker(), eng.NewBroker())
	}
	if got := markerName(strings.Repeat("x", 250)); len(got) > maxQueueName {
		t.Errorf("marker name of a long tenant is %d bytes", len(got))
	}
}

func TestManagementURL(t *testing.T) {
	cfg := localConfig()
	cfg.OldURL = "amqps://app:s3cret@rabbit.example.com/legacy"
	cfg.NewManagementURL = "https://admin:adm1n@mgmt.example.com:8443/rabbit/"
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m := eng.old.mgmt; m.base != "https://rabbit.example.com:15671" || m.user != "app" || m.pass != "s3cret" || m.vhost != "legacy" {
		t.Errorf("derived old management: %+v", m)
	}
	if m := eng.new.mgmt; m.base != "https://mgmt.example.com:8443/rabbit" || m.user != "admin" || m.pass != "adm1n" || m.vhost != "platform" {
		t.Errorf("configured new management: %+v", m)
	}
}
