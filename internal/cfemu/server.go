// Package cfemu is a stateful local emulator of the parts of the Cloudflare
// API v4 that migrawave uses: DNS records, cloudflared tunnel configurations
// and token verification. It speaks the real API's JSON shapes and error
// codes so that the real cloudflare-go client can drive it, and it can inject
// throttling, server errors and latency to exercise a client's retries.
//
// The API is served under [APIPrefix], so a client's base URL is
// "http://host:port/client/v4". Unauthenticated admin endpoints under
// /__admin/ seed and inspect the emulator (see admin.go).
package cfemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// APIPrefix is the path under which the emulated API is served, as on api.cloudflare.com.
const APIPrefix = "/client/v4"

// faultHeader tells a client (and the access log) that a response was injected.
const faultHeader = "X-Cfemu-Fault"

// Options configures a Server.
type Options struct {
	// StatePath is the JSON file the state is loaded from at start and saved
	// to after every change. Empty keeps the state in memory only.
	StatePath string
	// Tokens are the API tokens accepted in "Authorization: Bearer <token>".
	// At least one is required: an emulator that accepts anything would hide
	// a client that sends no or the wrong credentials.
	Tokens []string
	// Faults are the initial fault settings; see [Server.SetFaults].
	Faults Faults
	// RequestLogSize is how many API requests the request log keeps; 0 means 10000.
	RequestLogSize int
	// Logger, if set, receives one line per request.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the emulator, an http.Handler.
type Server struct {
	mux      *http.ServeMux
	tokens   map[string]bool
	clock    func() time.Time
	logger   *slog.Logger
	faults   *faultInjector
	requests *requestLog

	mu        sync.Mutex // guards state and the state file
	state     State
	statePath string
}

// New returns a Server with the state loaded from opts.StatePath, if it exists.
func New(opts Options) (*Server, error) {
	s := &Server{
		mux:       http.NewServeMux(),
		tokens:    map[string]bool{},
		clock:     opts.Now,
		logger:    opts.Logger,
		statePath: opts.StatePath,
	}
	for _, token := range opts.Tokens {
		if token = strings.TrimSpace(token); token != "" {
			s.tokens[token] = true
		}
	}
	if len(s.tokens) == 0 {
		return nil, errors.New("cfemu: at least one API token is required")
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	size := opts.RequestLogSize
	if size <= 0 {
		size = 10000
	}
	s.requests = newRequestLog(size)

	var err error
	if s.faults, err = newFaultInjector(opts.Faults); err != nil {
		return nil, fmt.Errorf("cfemu: fault settings: %w", err)
	}
	if s.statePath == "" {
		s.state.normalize()
	} else {
		if s.state, err = loadState(s.statePath); err != nil {
			return nil, fmt.Errorf("cfemu: %w", err)
		}
		// Writing the state back at once fails fast on an unwritable path
		// instead of on the first mutation.
		if _, err := s.mutate(func(*State) (any, error) { return nil, nil }); err != nil {
			return nil, fmt.Errorf("cfemu: %w", err)
		}
	}
	s.routes()
	return s, nil
}

// ServeHTTP serves the API under APIPrefix and the admin API under /__admin/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.logger == nil {
		s.mux.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(sw, r)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start)}
	if r.URL.RawQuery != "" {
		attrs = append(attrs, "query", r.URL.RawQuery)
	}
	if fault := sw.Header().Get(faultHeader); fault != "" {
		attrs = append(attrs, "fault", fault)
	}
	s.logger.Info("request", attrs...)
}

// Faults returns the fault settings in force, with defaults resolved and the
// FailNext counters showing what is left.
func (s *Server) Faults() Faults { return s.faults.get() }

// SetFaults replaces the fault settings and re-seeds the fault generator.
func (s *Server) SetFaults(f Faults) error { return s.faults.set(f) }

// Requests returns the logged API requests, oldest first.
func (s *Server) Requests() []RequestEntry { return s.requests.list() }

// Snapshot returns a deep copy of the current state.
func (s *Server) Snapshot() (State, error) {
	s.mu.Lock()
	data, err := marshalState(s.state)
	s.mu.Unlock()
	if err != nil {
		return State{}, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("copying state: %w", err)
	}
	return st, nil
}

func (s *Server) now() time.Time { return s.clock().UTC() }

// apiHandler handles one API call. It returns the envelope's result (a
// listPage for lists) or an error, which becomes an error envelope.
type apiHandler func(r *http.Request) (any, error)

func (s *Server) routes() {
	api := func(pattern string, h apiHandler) {
		method, path, _ := strings.Cut(pattern, " ")
		s.mux.Handle(method+" "+APIPrefix+path, s.api(h))
	}
	api("GET /zones/{zone_id}/dns_records", s.listRecords)
	api("POST /zones/{zone_id}/dns_records", s.createRecord)
	api("POST /zones/{zone_id}/dns_records/batch", s.batchRecords)
	api("GET /zones/{zone_id}/dns_records/{id}", s.getRecord)
	api("PATCH /zones/{zone_id}/dns_records/{id}", s.editRecord)
	api("PUT /zones/{zone_id}/dns_records/{id}", s.updateRecord)
	api("DELETE /zones/{zone_id}/dns_records/{id}", s.deleteRecord)
	api("GET /accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations", s.getTunnelConfig)
	api("PUT /accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations", s.putTunnelConfig)
	api("GET /user/tokens/verify", s.verifyToken)
	s.mux.Handle(APIPrefix+"/", s.api(func(*http.Request) (any, error) { return nil, errNoRoute() }))

	s.adminRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, errNoRoute()) })
}

// api wraps an API handler with what every API request goes through, and
// records the outcome in the request log.
func (s *Server) api(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received := s.now()
		status, fault := s.serveAPI(w, r, h)
		s.requests.add(RequestEntry{
			At: received, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Status: status, Fault: fault,
		})
	})
}

// serveAPI runs the request pipeline: latency, injected failures,
// authentication, the per-token rate limit, and finally the handler.
// Injected failures come before authentication, as an overloaded edge
// answers before it looks at credentials.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, h apiHandler) (status int, fault string) {
	if d := s.faults.latency(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return 499, "" // the client gave up; there is no one to answer
		}
	}
	if f := s.faults.failure(); f != nil {
		return writeFault(w, f), f.name
	}
	token, ok := s.authenticate(r)
	if !ok {
		return writeError(w, errAuthentication()), ""
	}
	if f := s.faults.admit(token, s.now()); f != nil {
		return writeFault(w, f), f.name
	}
	result, err := h(r)
	if err != nil {
		var apiErr *apiError
		if s.logger != nil && !errors.As(err, &apiErr) {
			s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		return writeError(w, err), ""
	}
	return writeResult(w, result), ""
}

func writeFault(w http.ResponseWriter, f *injectedFault) int {
	w.Header().Set(faultHeader, f.name)
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(f.retryAfter))
	}
	return writeError(w, f.err)
}

// authenticate returns the bearer token if it is one of the accepted tokens.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, s.tokens[token]
}

// verifyToken answers GET /user/tokens/verify like the real API, including
// its informational message.
func (s *Server) verifyToken(r *http.Request) (any, error) {
	token, _ := s.authenticate(r) // the pipeline already refused unknown tokens
	sum := sha256.Sum256([]byte(token))
	return withMessages{
		result:   map[string]string{"id": hex.EncodeToString(sum[:16]), "status": "active"},
		messages: []errorItem{{Code: 10000, Message: "This API Token is valid and active"}},
	}, nil
}

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
