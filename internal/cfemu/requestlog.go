package cfemu

import (
	"sync"
	"time"
)

// RequestEntry is one API request as the emulator answered it. Tests use the
// log to see what a client really did, e.g. that it retried after a 429.
type RequestEntry struct {
	At     time.Time `json:"at"` // when the request was received
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query"`
	Status int       `json:"status"`
	// Fault names the injected failure, if any: fail_429, fail_5xx or rate_limit.
	Fault string `json:"fault,omitempty"`
}

// requestLog keeps the most recent API requests in a fixed-size ring.
type requestLog struct {
	mu      sync.Mutex
	entries []RequestEntry
	next    int // where the next entry goes once the ring is full
	size    int
}

func newRequestLog(size int) *requestLog {
	return &requestLog{size: size}
}

func (l *requestLog) add(e RequestEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) < l.size {
		l.entries = append(l.entries, e)
		return
	}
	l.entries[l.next] = e
	l.next = (l.next + 1) % l.size
}

// list returns the entries oldest first.
func (l *requestLog) list() []RequestEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]RequestEntry, 0, len(l.entries))
	out = append(out, l.entries[l.next:]...)
	return append(out, l.entries[:l.next]...)
}

func (l *requestLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.next = nil, 0
}
