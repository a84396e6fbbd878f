// Package queues moves a tenant's RabbitMQ queues from the old platform's
// broker to the new one at cutover, and back on rollback.
//
// A tenant's queues are the configured name templates (rabbitmq.queues, e.g.
// "tenant.{tenant}.events") with the tenant id filled in; the same names are
// used on both brokers. The steps, each idempotent:
//
//   - Prepare declares the queues on the new broker (durable; quorum queues
//     when rabbitmq.quorum is set).
//   - Drain waits, bounded by rabbitmq.drain_timeout, until the old queues
//     hold no ready messages and the application's consumers hold no
//     unacknowledged ones, and reports what it saw.
//   - Move transfers what is left, old → new; Rollback does the same new → old.
//     A message is acknowledged on the source only after the destination
//     confirmed it, so a crash can duplicate a message but never lose one.
//     See move.go for how possible duplicates are detected and reported.
//
// Every report is JSON-serializable and holds no secrets: brokers are named
// by scheme, host, port and vhost, never by their configured URL.
package queues

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/migrawave/migrawave/internal/config"
)

// TenantPlaceholder is what a queue name template must contain.
const TenantPlaceholder = "{tenant}"

// maxQueueName is AMQP 0-9-1's limit: queue names are short strings.
const maxQueueName = 255

// dialTimeout bounds connecting to a broker; a broker that does not answer
// in this time is reported as a transient error.
const dialTimeout = 10 * time.Second

// Engine runs the queue steps for one configuration. It holds no connection:
// every operation opens its own and closes it before returning, so an Engine
// is safe for concurrent use by many activities.
type Engine struct {
	old, new     *broker
	templates    []string
	quorum       bool
	drainTimeout time.Duration

	// ConnectionName is the prefix of the connection_name client property of
	// every connection the engine opens ("<prefix> <op> <tenant> (source)"),
	// so operators see in the management UI which tenant a connection
	// works for. Default "migrawave".
	ConnectionName string
}

// broker is one side of the move.
type broker struct {
	url   string // with credentials: only ever handed to amqp.DialConfig
	name  string // amqp://host:port/vhost, for reports and errors
	vhost string
	user  string
	mgmt  *management
}

// New checks the configuration and returns an engine for it. It does not
// connect: a broker that is down is found by the operations, as a transient
// error, and a broken configuration here, as KindInvalid.
func New(cfg config.RabbitMQ) (*Engine, error) {
	old, err := newBroker("rabbitmq.old_url", cfg.OldURL, "rabbitmq.old_management_url", cfg.OldManagementURL)
	if err != nil {
		return nil, err
	}
	nu, err := newBroker("rabbitmq.new_url", cfg.NewURL, "rabbitmq.new_management_url", cfg.NewManagementURL)
	if err != nil {
		return nil, err
	}
	if old.name == nu.name {
		// The same names on the same vhost: Move would consume its own output forever.
		return nil, invalid("config", "rabbitmq.old_url and rabbitmq.new_url are the same broker and vhost (%s)", old.name)
	}
	seen := map[string]int{}
	for i, t := range cfg.Queues {
		if !strings.Contains(t, TenantPlaceholder) {
			return nil, invalid("config", "rabbitmq.queues[%d]: %q has no %s: every tenant would share that queue", i, t, TenantPlaceholder)
		}
		if j, dup := seen[t]; dup {
			return nil, invalid("config", "rabbitmq.queues[%d]: %q is already rabbitmq.queues[%d]", i, t, j)
		}
		seen[t] = i
	}
	if cfg.DrainTimeout < 0 {
		return nil, invalid("config", "rabbitmq.drain_timeout: must not be negative")
	}
	return &Engine{
		old:            old,
		new:            nu,
		templates:      append([]string(nil), cfg.Queues...),
		quorum:         cfg.Quorum,
		drainTimeout:   cfg.DrainTimeout,
		ConnectionName: "migrawave",
	}, nil
}

// OldBroker and NewBroker name the brokers without credentials.
func (e *Engine) OldBroker() string { return e.old.name }

// NewBroker names the new broker without credentials.
func (e *Engine) NewBroker() string { return e.new.name }

// Queues returns the tenant's queue names, one per configured template, in
// configuration order. They are the same on both brokers.
func (e *Engine) Queues(tenant string) ([]string, error) {
	return e.queueNames("queues", tenant)
}

func (e *Engine) queueNames(op, tenant string) ([]string, error) {
	return names(op, e.templates, tenant)
}

// Names are the tenant's queues under the configured templates
// (rabbitmq.queues), as an application publishing and consuming them names
// them.
func Names(templates []string, tenant string) ([]string, error) {
	return names("names", templates, tenant)
}

func names(op string, templates []string, tenant string) ([]string, error) {
	if err := checkTenant(op, tenant); err != nil {
		return nil, err
	}
	names := make([]string, len(templates))
	for i, t := range templates {
		// Guarded in New too; kept here so no code path can build a shared name.
		if !strings.Contains(t, TenantPlaceholder) {
			return nil, invalid(op, "queue template %q has no %s", t, TenantPlaceholder)
		}
		name := strings.ReplaceAll(t, TenantPlaceholder, tenant)
		if err := checkQueueName(name); err != nil {
			return nil, invalid(op, "tenant %q gives an invalid queue name from template %q: %v", shorten(tenant), t, err)
		}
		names[i] = name
	}
	return names, nil
}

// checkTenant refuses tenant ids that cannot be part of a queue name, or
// that would make names ambiguous to operators reading them.
func checkTenant(op, tenant string) error {
	switch {
	case tenant == "":
		return invalid(op, "empty tenant id")
	case !utf8.ValidString(tenant):
		return invalid(op, "tenant id %q is not valid UTF-8", shorten(tenant))
	case strings.Contains(tenant, TenantPlaceholder):
		return invalid(op, "tenant id %q contains %s", shorten(tenant), TenantPlaceholder)
	}
	for _, r := range tenant {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid(op, "tenant id %q contains a control or space character (%U)", shorten(tenant), r)
		}
	}
	return nil
}

// checkQueueName applies AMQP's and RabbitMQ's rules to a full queue name.
func checkQueueName(name string) error {
	switch {
	case len(name) > maxQueueName:
		return fmt.Errorf("%d bytes, more than AMQP's %d", len(name), maxQueueName)
	case strings.HasPrefix(name, "amq."):
		return fmt.Errorf("names starting with amq. are reserved by the broker")
	case !utf8.ValidString(name):
		return fmt.Errorf("not valid UTF-8")
	}
	return nil
}

// shorten keeps error messages one readable line even for a huge tenant id.
func shorten(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// newBroker parses an AMQP URL and, optionally, the management API URL of
// the same broker. Parse errors never echo the URL: it holds a password.
func newBroker(key, raw, mgmtKey, mgmtRaw string) (*broker, error) {
	if raw == "" {
		return nil, invalid("config", "%s: required", key)
	}
	uri, err := amqp.ParseURI(raw)
	if err != nil {
		return nil, invalid("config", "%s: not a valid amqp:// or amqps:// URL", key)
	}
	b := &broker{
		url:   raw,
		name:  brokerName(uri),
		vhost: uri.Vhost,
		user:  uri.Username,
	}
	b.mgmt, err = newManagement(mgmtKey, mgmtRaw, uri)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// brokerName is how reports and errors name a broker: no credentials.
func brokerName(uri amqp.URI) string {
	host := uri.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%d/%s", uri.Scheme, host, uri.Port, url.PathEscape(uri.Vhost))
}

// dial connects to b, naming the connection so operators and tests can find it.
func (e *Engine) dial(b *broker, op, tenant, side string) (*amqp.Connection, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(fmt.Sprintf("%s %s %s (%s)", e.ConnectionName, op, tenant, side))
	conn, err := amqp.DialConfig(b.url, amqp.Config{
		Dial:       amqp.DefaultDial(dialTimeout),
		Heartbeat:  10 * time.Second,
		Properties: props,
	})
	if err != nil {
		return nil, brokerError(op, b, "", fmt.Errorf("connecting: %w", err))
	}
	return conn, nil
}
