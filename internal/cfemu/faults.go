package cfemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults configures the misbehaviour injected into API requests. Admin
// requests are never affected. The zero value injects nothing and applies the
// real API's rate limit of 1200 requests per 5 minutes per token.
type Faults struct {
	// Fail429 is the fraction (0..1) of requests answered 429 with Retry-After.
	Fail429 float64
	// Fail5xx is the fraction (0..1) of requests answered 500, 502 or 503.
	Fail5xx float64
	// FailNext429 and FailNext5xx make the next N requests fail, for tests
	// that need a failure at a known point. 429s are served first.
	FailNext429 int
	FailNext5xx int
	// RetryAfterSeconds is the Retry-After sent with injected 429s; 0 means 1.
	RetryAfterSeconds int
	// Latency is added to every request before it is handled.
	Latency time.Duration
	// RateLimit is the number of requests a token may make per RateWindow
	// (sliding window). 0 means 1200; a negative value disables the limit.
	RateLimit int
	// RateWindow is the rate limit's window; 0 means 5 minutes.
	RateWindow time.Duration
	// Seed seeds the generator that decides which requests fail, so a run is
	// repeatable; 0 picks a random seed. Every update re-seeds.
	Seed int64
}

const (
	defaultRateLimit  = 1200
	defaultRateWindow = 5 * time.Minute
)

// withDefaults resolves the "0 means default" fields so that what the admin
// API reports is what is in force.
func (f Faults) withDefaults() Faults {
	if f.RetryAfterSeconds <= 0 {
		f.RetryAfterSeconds = 1
	}
	if f.RateLimit == 0 {
		f.RateLimit = defaultRateLimit
	}
	if f.RateWindow <= 0 {
		f.RateWindow = defaultRateWindow
	}
	return f
}

func (f Faults) validate() error {
	switch {
	case f.Fail429 < 0 || f.Fail429 > 1:
		return fmt.Errorf("fail_429 must be a fraction between 0 and 1, got %v", f.Fail429)
	case f.Fail5xx < 0 || f.Fail5xx > 1:
		return fmt.Errorf("fail_5xx must be a fraction between 0 and 1, got %v", f.Fail5xx)
	case f.FailNext429 < 0 || f.FailNext5xx < 0:
		return fmt.Errorf("fail_next_429 and fail_next_5xx must not be negative")
	case f.Latency < 0:
		return fmt.Errorf("latency must not be negative, got %v", f.Latency)
	}
	return nil
}

// faultsJSON is the admin API's view of Faults: snake_case names and
// durations as Go duration strings ("250ms", "5m"). Pointers let a PUT
// change some settings and leave the others alone.
type faultsJSON struct {
	Fail429           *float64 `json:"fail_429"`
	Fail5xx           *float64 `json:"fail_5xx"`
	FailNext429       *int     `json:"fail_next_429"`
	FailNext5xx       *int     `json:"fail_next_5xx"`
	RetryAfterSeconds *int     `json:"retry_after_seconds"`
	Latency           *string  `json:"latency"`
	RateLimit         *int     `json:"rate_limit"`
	RateWindow        *string  `json:"rate_window"`
	Seed              *int64   `json:"seed"`
}

// MarshalJSON writes every setting, in the admin API's format.
func (f Faults) MarshalJSON() ([]byte, error) {
	latency, window := f.Latency.String(), f.RateWindow.String()
	return json.Marshal(faultsJSON{
		Fail429: &f.Fail429, Fail5xx: &f.Fail5xx,
		FailNext429: &f.FailNext429, FailNext5xx: &f.FailNext5xx,
		RetryAfterSeconds: &f.RetryAfterSeconds, Latency: &latency,
		RateLimit: &f.RateLimit, RateWindow: &window, Seed: &f.Seed,
	})
}

// UnmarshalJSON overwrites only the settings present in data.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var in faultsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt setting must not be silently ignored
	if err := dec.Decode(&in); err != nil {
		return err
	}
	setIf(&f.Fail429, in.Fail429)
	setIf(&f.Fail5xx, in.Fail5xx)
	setIf(&f.FailNext429, in.FailNext429)
	setIf(&f.FailNext5xx, in.FailNext5xx)
	setIf(&f.RetryAfterSeconds, in.RetryAfterSeconds)
	setIf(&f.RateLimit, in.RateLimit)
	setIf(&f.Seed, in.Seed)
	for _, d := range []struct {
		dst  *time.Duration
		src  *string
		name string
	}{{&f.Latency, in.Latency, "latency"}, {&f.RateWindow, in.RateWindow, "rate_window"}} {
		if d.src == nil {
			continue
		}
		parsed, err := time.ParseDuration(*d.src)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = parsed
	}
	return nil
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// injectedFault is a failure served instead of the real response.
type injectedFault struct {
	name       string // recorded in the request log: fail_429, fail_5xx, rate_limit
	err        *apiError
	retryAfter int // seconds; 0 sends no Retry-After header
}

// faultInjector holds the fault settings and the state they need: the random
// generator and, per token, the times of requests inside the rate window.
type faultInjector struct {
	mu     sync.Mutex
	cfg    Faults
	rng    *rand.Rand
	recent map[string][]time.Time // oldest first
}

func newFaultInjector(cfg Faults) (*faultInjector, error) {
	f := &faultInjector{recent: map[string][]time.Time{}}
	if err := f.set(cfg); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *faultInjector) get() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

func (f *faultInjector) set(cfg Faults) error {
	_, err := f.update(func(c *Faults) error { *c = cfg; return nil })
	return err
}

// update lets change edit a copy of the settings and, if the result is
// valid, puts it in force and re-seeds the generator.
func (f *faultInjector) update(change func(*Faults) error) (Faults, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cfg := f.cfg
	if err := change(&cfg); err != nil {
		return f.cfg, err
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return f.cfg, err
	}
	seed := uint64(cfg.Seed)
	if cfg.Seed == 0 {
		seed = rand.Uint64()
	}
	f.cfg = cfg
	f.rng = rand.New(rand.NewPCG(seed, seed))
	return cfg, nil
}

func (f *faultInjector) latency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg.Latency
}

// failure decides whether this request fails regardless of what it asks.
func (f *faultInjector) failure() *injectedFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.cfg.FailNext429 > 0:
		f.cfg.FailNext429--
		return f.throttled()
	case f.cfg.FailNext5xx > 0:
		f.cfg.FailNext5xx--
		return f.serverError()
	case f.cfg.Fail429 > 0 && f.rng.Float64() < f.cfg.Fail429:
		return f.throttled()
	case f.cfg.Fail5xx > 0 && f.rng.Float64() < f.cfg.Fail5xx:
		return f.serverError()
	}
	return nil
}

func (f *faultInjector) throttled() *injectedFault {
	return &injectedFault{name: "fail_429", err: errRateLimited(), retryAfter: f.cfg.RetryAfterSeconds}
}

func (f *faultInjector) serverError() *injectedFault {
	statuses := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
	return &injectedFault{name: "fail_5xx", err: errInjectedServerError(statuses[f.rng.IntN(len(statuses))])}
}

// admit applies the per-token rate limit. A refused request does not use up
// a slot, so Retry-After is exactly the time until the oldest slot frees.
func (f *faultInjector) admit(token string, now time.Time) *injectedFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg.RateLimit < 0 {
		return nil
	}
	window := f.cfg.RateWindow
	recent := f.recent[token]
	expired := 0
	for expired < len(recent) && !recent[expired].Add(window).After(now) {
		expired++
	}
	recent = recent[expired:]
	if len(recent) >= f.cfg.RateLimit {
		f.recent[token] = recent
		wait := recent[len(recent)-f.cfg.RateLimit].Add(window).Sub(now)
		return &injectedFault{name: "rate_limit", err: errRateLimited(), retryAfter: max(1, int(math.Ceil(wait.Seconds())))}
	}
	f.recent[token] = append(recent, now)
	return nil
}
