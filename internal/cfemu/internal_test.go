package cfemu

import (
	"testing"
	"time"
)

func TestRequestLogKeepsTheNewest(t *testing.T) {
	log := newRequestLog(3)
	for status := 1; status <= 5; status++ {
		log.add(RequestEntry{Status: status})
	}
	got := log.list()
	if len(got) != 3 || got[0].Status != 3 || got[1].Status != 4 || got[2].Status != 5 {
		t.Fatalf("log = %+v, want statuses 3, 4, 5", got)
	}
	log.clear()
	if got := log.list(); len(got) != 0 {
		t.Fatalf("log after clear = %+v", got)
	}
}

func TestRateLimitSlidingWindow(t *testing.T) {
	f, err := newFaultInjector(Faults{RateLimit: 2, RateWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if f.admit("t", start) != nil || f.admit("t", start.Add(20*time.Second)) != nil {
		t.Fatal("the first two requests are within the limit")
	}
	refused := f.admit("t", start.Add(30*time.Second))
	if refused == nil || refused.retryAfter != 30 {
		t.Fatalf("third request: %+v, want refused with Retry-After 30 (when the first slot frees)", refused)
	}
	if f.admit("t", start.Add(60*time.Second)) != nil {
		t.Fatal("a slot freed after the window")
	}
	if f.admit("u", start.Add(30*time.Second)) != nil {
		t.Fatal("tokens are limited separately")
	}
}
