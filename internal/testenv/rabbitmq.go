package testenv

import (
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DeleteQueues removes a test's queues from the shared brokers at urls,
// whichever of them hold them; a broker it cannot reach is logged.
func DeleteQueues(t testing.TB, urls []string, queues []string) {
	for _, url := range urls {
		conn, err := amqp.Dial(url)
		if err != nil {
			t.Logf("cleanup: %v", err)
			continue
		}
		// One channel a queue: deleting a missing queue is fine, but any
		// error closes the channel it was sent on.
		for _, q := range queues {
			if ch, err := conn.Channel(); err == nil {
				ch.QueueDelete(q, false, false, false)
				ch.Close()
			}
		}
		conn.Close()
	}
}
