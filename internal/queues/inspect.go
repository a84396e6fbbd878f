package queues

import (
	amqp "github.com/rabbitmq/amqp091-go"
)

// inspector answers "does this queue exist, how many messages are ready,
// how many consumers" with passive declares. A passive declare of a missing
// queue makes the broker close the channel (404), so the inspector keeps a
// channel of its own, apart from any that does real work, and opens a new
// one after such a close.
type inspector struct {
	conn *amqp.Connection
	ch   *amqp.Channel
}

// inspect returns the queue's ready count and consumer count, or exists=false.
func (in *inspector) inspect(name string) (q amqp.Queue, exists bool, err error) {
	if in.ch == nil || in.ch.IsClosed() {
		in.ch, err = in.conn.Channel()
		if err != nil {
			return q, false, err
		}
	}
	q, err = in.ch.QueueDeclarePassive(name, true, false, false, false, nil)
	if err != nil {
		in.ch = nil // the broker closed it
		if isNotFound(err) {
			return q, false, nil
		}
		return q, false, err
	}
	return q, true, nil
}

func (in *inspector) close() {
	if in.ch != nil {
		in.ch.Close()
	}
}
