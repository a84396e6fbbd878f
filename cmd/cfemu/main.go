// Command cfemu runs the Cloudflare API emulator (internal/cfemu) as a local
// server. Point a client at http://<addr>/client/v4 with one of the accepted
// tokens; the admin API is at http://<addr>/__admin/.
//
// Tokens come from --token (repeatable, or comma-separated) and the
// CFEMU_TOKENS environment variable (comma-separated). With neither, the
// emulator accepts the single token "cfemu-dev-token" and says so in its log.
//
// A session from the shell:
//
//	cfemu --state /tmp/cf.json --token secret &
//	curl -X POST localhost:8787/__admin/zones -d '{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"example.com"}'
//	curl -X POST localhost:8787/__admin/tunnels -d '{"account_id":"acc","id":"f70ff985-a4ef-4643-bbbc-4a0ed4fc8415","name":"edge"}'
//	curl -H 'Authorization: Bearer secret' localhost:8787/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records
//	curl -X PUT localhost:8787/__admin/faults -d '{"fail_5xx":0.1,"latency":"50ms"}'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/migrawave/migrawave/internal/cfemu"
)

// defaultToken is accepted when no token is configured, so that running the
// binary with no arguments gives a usable emulator.
const defaultToken = "cfemu-dev-token"

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cfemu:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flags := flag.NewFlagSet("cfemu", flag.ContinueOnError)
	var tokens tokenList
	addr := flags.String("addr", "127.0.0.1:8787", "listen address")
	statePath := flags.String("state", "", "JSON state file, loaded at start and rewritten after every change (empty: memory only)")
	flags.Var(&tokens, "token", "accepted API token; repeatable or comma-separated (also env CFEMU_TOKENS; default "+defaultToken+")")
	fail429 := flags.Float64("fail-429", 0, "fraction (0..1) of API requests answered 429 with Retry-After")
	fail5xx := flags.Float64("fail-5xx", 0, "fraction (0..1) of API requests answered 500, 502 or 503")
	retryAfter := flags.Int("retry-after", 1, "Retry-After seconds sent with injected 429s")
	latency := flags.Duration("latency", 0, "latency added to every API request")
	rateLimit := flags.Int("rate-limit", 1200, "API requests allowed per token per --rate-window (negative: unlimited)")
	rateWindow := flags.Duration("rate-window", 5*time.Minute, "sliding window of the rate limit")
	seed := flags.Int64("seed", 0, "seed for the fault generator (0: random)")
	if err := flags.Parse(args); err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	_ = tokens.Set(os.Getenv("CFEMU_TOKENS")) // Set never fails
	if len(tokens) == 0 {
		tokens = tokenList{defaultToken}
		logger.Warn("no token configured, accepting the default token", "token", defaultToken)
	}

	srv, err := cfemu.New(cfemu.Options{
		StatePath: *statePath,
		Tokens:    tokens,
		Logger:    logger,
		Faults: cfemu.Faults{
			Fail429:           *fail429,
			Fail5xx:           *fail5xx,
			RetryAfterSeconds: *retryAfter,
			Latency:           *latency,
			RateLimit:         *rateLimit,
			RateWindow:        *rateWindow,
			Seed:              *seed,
		},
	})
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	httpServer := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()
	logger.Info("cfemu listening",
		"base_url", "http://"+listener.Addr().String()+cfemu.APIPrefix,
		"admin", "http://"+listener.Addr().String()+"/__admin/",
		"state", *statePath, "tokens", len(tokens))

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// tokenList is a repeatable flag whose values may also be comma-separated.
type tokenList []string

func (t *tokenList) String() string { return fmt.Sprint(len(*t), " tokens") }

func (t *tokenList) Set(value string) error {
	for _, token := range strings.Split(value, ",") {
		if token = strings.TrimSpace(token); token != "" {
			*t = append(*t, token)
		}
	}
	return nil
}
