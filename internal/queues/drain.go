package queues

import (
	"context"
	"fmt"
	"time"
)

// DrainOptions tune Drain; zero values take the defaults.
type DrainOptions struct {
	// Timeout bounds the wait; 0 means rabbitmq.drain_timeout.
	Timeout time.Duration
	// Interval is the time between two looks at the queues (default 500ms).
	Interval time.Duration
	// Settle is how long the queues must look drained while consumers are
	// attached before Drain believes it (default 6s). The unacknowledged
	// counts come from the management API, whose statistics the broker
	// refreshes only every collect_statistics_interval (5 s by default): a
	// consumer may hold messages the last statistics do not show yet. With
	// no consumer attached the counts are exact and Drain does not wait:
	// an application that follows the contract stops consuming a frozen
	// tenant's queues, so its drain ends at the first look.
	Settle time.Duration
	// Progress is called after every look, for heartbeats.
	Progress func(DrainSample)
}

// DrainReport is what Drain saw. Timing out is not an error: the caller
// decides whether to move what is left anyway.
type DrainReport struct {
	Tenant string `json:"tenant"`
	Broker string `json:"broker"`
	// Drained: no ready and no unacknowledged messages in any tenant queue.
	Drained bool `json:"drained"`
	// TimedOut: the timeout passed before the queues drained.
	TimedOut bool `json:"timed_out"`
	// NoConsumers: Drain stopped early because messages were ready and no
	// consumer was attached to any tenant queue: waiting would not drain
	// anything. Move transfers those messages.
	NoConsumers bool          `json:"no_consumers"`
	Started     time.Time     `json:"started"`
	Timeout     time.Duration `json:"timeout_ns"`
	Duration    time.Duration `json:"duration_ns"`
	// Queues is the last look at every tenant queue.
	Queues []QueueState `json:"queues"`
	// Samples are the totals over time: the first look, every look that
	// differed from the one before, and the last; thinned to at most
	// maxSamples so a long drain stays a small activity result.
	Samples []DrainSample `json:"samples"`
	// ManagementError is the last failure to read the management API, if
	// any: without it, unacknowledged counts are unknown while consumers
	// are attached.
	ManagementError string `json:"management_error,omitempty"`
}

// QueueState is one queue at one look.
type QueueState struct {
	Queue  string `json:"queue"`
	Exists bool   `json:"exists"`
	// Ready comes from a passive queue.declare: exact at the time of the look.
	Ready int `json:"ready"`
	// Unacked comes from the management API (up to its statistics interval
	// old); null when unknown. With no consumer attached it is 0: the broker
	// requeues what a consumer held when its channel closes.
	Unacked   *int `json:"unacked"`
	Consumers int  `json:"consumers"`
}

// DrainSample is the totals over the tenant's queues at one look.
type DrainSample struct {
	Elapsed   time.Duration `json:"elapsed_ns"`
	Ready     int           `json:"ready"`
	Unacked   *int          `json:"unacked"` // null when unknown for some queue
	Consumers int           `json:"consumers"`
}

const maxSamples = 100

// Drain waits until the tenant's queues on the old broker are drained: no
// ready messages, and no consumer holding unacknowledged ones. It stops at
// the timeout (TimedOut), or early when messages are ready and nobody
// consumes them (NoConsumers). A queue that does not exist is drained.
// Errors are connection problems (transient) and bad input (invalid).
func (e *Engine) Drain(ctx context.Context, tenant string, opts DrainOptions) (*DrainReport, error) {
	const op = "drain"
	names, err := e.queueNames(op, tenant)
	if err != nil {
		return nil, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = e.drainTimeout
	}
	if opts.Timeout < 0 {
		return nil, invalid(op, "negative timeout %v", opts.Timeout)
	}
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	if opts.Settle <= 0 {
		opts.Settle = 6 * time.Second
	}
	rep := &DrainReport{Tenant: tenant, Broker: e.old.name, Started: time.Now().UTC(), Timeout: opts.Timeout, Samples: []DrainSample{}}
	start := time.Now()
	deadline := start.Add(opts.Timeout)

	conn, err := e.dial(e.old, op, tenant, "source")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	in := &inspector{conn: conn}
	defer in.close()

	// quietSince is when the queues started to look drained while consumers
	// were attached. Zero: not in that state.
	var quietSince time.Time
	for {
		states, mgmtErr, err := e.look(ctx, op, in, names)
		if err != nil {
			return nil, e.ctxOr(ctx, err)
		}
		now := time.Now()
		if mgmtErr != "" {
			rep.ManagementError = mgmtErr
		}
		rep.Queues = states
		sample := totals(states, now.Sub(start))
		rep.addSample(sample)
		if opts.Progress != nil {
			opts.Progress(sample)
		}

		drained := sample.Ready == 0 && sample.Unacked != nil && *sample.Unacked == 0
		switch {
		case drained && sample.Consumers == 0:
			// Nobody attached: the counts are exact, not statistics.
			rep.Drained = true
		case drained:
			if quietSince.IsZero() {
				quietSince = now
			}
			rep.Drained = now.Sub(quietSince) >= opts.Settle
		default:
			quietSince = time.Time{}
		}
		rep.NoConsumers = !drained && sample.Consumers == 0 && sample.Ready > 0
		if rep.Drained || rep.NoConsumers {
			break
		}
		if !now.Before(deadline) {
			rep.TimedOut = true
			break
		}
		wait := min(opts.Interval, deadline.Sub(now))
		select {
		case <-ctx.Done():
			return nil, &Error{Kind: KindTransient, Op: op, Broker: e.old.name, Err: context.Cause(ctx)}
		case <-time.After(wait):
		}
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// look reads every queue once: ready and consumers from a passive declare,
// unacknowledged from the management API. A management failure is not
// fatal (the counts are then unknown where consumers are attached); an AMQP
// failure is.
func (e *Engine) look(ctx context.Context, op string, in *inspector, names []string) (states []QueueState, mgmtErr string, err *Error) {
	states = make([]QueueState, len(names))
	for i, name := range names {
		q, exists, ierr := in.inspect(name)
		if ierr != nil {
			return nil, "", brokerError(op, e.old, name, fmt.Errorf("inspecting: %w", ierr))
		}
		st := QueueState{Queue: name, Exists: exists, Ready: q.Messages, Consumers: q.Consumers}
		if !exists {
			st.Unacked = new(0)
			states[i] = st
			continue
		}
		stats, found, merr := e.old.mgmt.queue(ctx, name)
		switch {
		case merr == nil && found && stats.Unacked != nil:
			st.Unacked = new(*stats.Unacked)
		case merr != nil:
			mgmtErr = merr.Error()
		}
		if st.Unacked == nil && st.Consumers == 0 {
			// No statistics yet (or none reachable), but with no consumer
			// attached nothing can be unacknowledged.
			st.Unacked = new(0)
		}
		states[i] = st
	}
	return states, mgmtErr, nil
}

// totals sums the queues' counts; unacknowledged is unknown if it is for
// any queue.
func totals(states []QueueState, elapsed time.Duration) DrainSample {
	s := DrainSample{Elapsed: elapsed, Unacked: new(0)}
	for _, st := range states {
		s.Ready += st.Ready
		s.Consumers += st.Consumers
		if st.Unacked == nil || s.Unacked == nil {
			s.Unacked = nil
			continue
		}
		*s.Unacked += *st.Unacked
	}
	return s
}

// addSample records s if the totals changed since the last one recorded;
// the last look always replaces a trailing unchanged one, so the report
// ends with what Drain saw last.
func (r *DrainReport) addSample(s DrainSample) {
	n := len(r.Samples)
	if n >= 2 && sameCounts(r.Samples[n-1], s) && sameCounts(r.Samples[n-2], s) {
		r.Samples[n-1] = s // extend the unchanged stretch: keep its start and its end
		return
	}
	r.Samples = append(r.Samples, s)
	if len(r.Samples) > maxSamples {
		// Drop every other sample but the first and the last.
		kept := r.Samples[:1]
		for i := 1; i < len(r.Samples)-1; i += 2 {
			kept = append(kept, r.Samples[i])
		}
		r.Samples = append(kept, r.Samples[len(r.Samples)-1])
	}
}

func sameCounts(a, b DrainSample) bool {
	if a.Ready != b.Ready || a.Consumers != b.Consumers || (a.Unacked == nil) != (b.Unacked == nil) {
		return false
	}
	return a.Unacked == nil || *a.Unacked == *b.Unacked
}
