package queues

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// management reads queue counters from RabbitMQ's management API. AMQP's
// queue.declare answers the ready count and the consumer count, but not how
// many messages consumers hold unacknowledged: that is only in the
// management API. Its counters are statistics the broker refreshes every
// collect_statistics_interval (5 s by default), so they can be that stale;
// Drain allows for it (see DrainOptions.Settle).
type management struct {
	base       string // scheme://host:port[/prefix], no credentials
	user, pass string
	vhost      string
	client     *http.Client
}

// requestTimeout bounds one management API call.
const requestTimeout = 5 * time.Second

// newManagement builds the management client of the broker at uri: from
// raw when configured, else from the AMQP URL (same host, the plugin's
// default port, the same credentials).
func newManagement(key, raw string, uri amqp.URI) (*management, error) {
	m := &management{
		user:   uri.Username,
		pass:   uri.Password,
		vhost:  uri.Vhost,
		client: &http.Client{Timeout: requestTimeout},
	}
	if raw == "" {
		scheme, port := "http", 15672
		if uri.Scheme == "amqps" {
			scheme, port = "https", 15671
		}
		m.base = scheme + "://" + net.JoinHostPort(uri.Host, strconv.Itoa(port))
		return m, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, invalid("config", "%s: not a valid http:// or https:// URL", key)
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
		u.User = nil
	}
	u.RawQuery, u.Fragment = "", ""
	m.base = strings.TrimRight(u.String(), "/")
	return m, nil
}

// queueStats is the part of GET /api/queues/{vhost}/{name} we read. The
// counters are absent until the broker has emitted the queue's first
// statistics, hence pointers.
type queueStats struct {
	Ready     *int `json:"messages_ready"`
	Unacked   *int `json:"messages_unacknowledged"`
	Consumers *int `json:"consumers"`
}

// queue returns the statistics of one queue; exists is false when the
// broker does not know it.
func (m *management) queue(ctx context.Context, name string) (stats queueStats, exists bool, err error) {
	endpoint := m.base + "/api/queues/" + url.PathEscape(m.vhost) + "/" + url.PathEscape(name) +
		"?columns=messages_ready,messages_unacknowledged,consumers"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return stats, false, fmt.Errorf("management API: %w", err)
	}
	req.SetBasicAuth(m.user, m.pass)
	resp, err := m.client.Do(req)
	if err != nil {
		// net/http names the URL in its errors; ours has no credentials in it.
		return stats, false, fmt.Errorf("management API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return stats, false, fmt.Errorf("management API: reading the answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return stats, false, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return stats, false, fmt.Errorf("management API: %s: the user needs the management (or monitoring) tag and access to vhost %q", resp.Status, m.vhost)
	case resp.StatusCode != http.StatusOK:
		return stats, false, fmt.Errorf("management API: %s: %s", resp.Status, firstLine(body))
	}
	if b := strings.TrimSpace(string(body)); b == "[]" {
		// With ?columns=, a queue with no statistics yet comes back as an
		// empty list instead of an object without the fields.
		return stats, true, nil
	}
	if err := json.Unmarshal(body, &stats); err != nil {
		return stats, false, fmt.Errorf("management API: unexpected answer: %w", err)
	}
	return stats, true, nil
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
