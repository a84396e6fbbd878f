// Package workers builds migrawave's Temporal workers: what each task queue
// runs, how much at once, metrics, and a graceful shutdown.
package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/migrawave/migrawave/activities"
	"github.com/migrawave/migrawave/internal/catalog"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/queues"
	"github.com/migrawave/migrawave/internal/routing"
	"github.com/migrawave/migrawave/internal/temporalclient"
	"github.com/migrawave/migrawave/workflows"
)

// Options configure a worker process.
type Options struct {
	// Queues are the task queues to serve: the config's task_queue
	// (workflows and light activities), data_task_queue (copies), or both.
	Queues []string
	// MaxCopies bounds the copy, index and verify activities this process
	// runs at once: its CPU and the source database's share.
	MaxCopies int
	// MetricsAddr serves Prometheus metrics at /metrics when set.
	MetricsAddr string
	// StopTimeout is how long running activities may take to finish on
	// SIGTERM before they are abandoned to be retried elsewhere.
	StopTimeout time.Duration
	Logger      *slog.Logger
}

// Run serves the task queues until ctx is canceled, then stops gracefully.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	for _, q := range opts.Queues {
		if q != cfg.Temporal.TaskQueue && q != cfg.Temporal.DataTaskQueue {
			return fmt.Errorf("--queues: %q is neither temporal.task_queue (%s) nor temporal.data_task_queue (%s)", q, cfg.Temporal.TaskQueue, cfg.Temporal.DataTaskQueue)
		}
	}
	if opts.MaxCopies < 1 {
		return fmt.Errorf("--max-copies: must be at least 1, got %d", opts.MaxCopies)
	}
	metrics, serveMetrics, err := newMetrics(opts.MetricsAddr)
	if err != nil {
		return err
	}
	tc, err := temporalclient.DialWith(ctx, cfg.Temporal, opts.Logger, metrics)
	if err != nil {
		return err
	}
	defer tc.Close()

	cat, err := catalog.Open(ctx, cfg.Catalog.DSN)
	if err != nil {
		return err
	}
	defer cat.Close()
	if err := cat.Ready(ctx); err != nil {
		return err
	}

	fingerprint := cfg.Fingerprint()
	guard := []interceptor.WorkerInterceptor{&activityLog{log: opts.Logger}, newConfigGuard(fingerprint)}
	var workers []worker.Worker
	if slices.Contains(opts.Queues, cfg.Temporal.TaskQueue) {
		w, err := orchestrationWorker(tc, cfg, cat, opts, guard)
		if err != nil {
			return err
		}
		workers = append(workers, w)
	}
	if slices.Contains(opts.Queues, cfg.Temporal.DataTaskQueue) {
		w := worker.New(tc, cfg.Temporal.DataTaskQueue, worker.Options{
			MaxConcurrentActivityExecutionSize: opts.MaxCopies,
			WorkerStopTimeout:                  opts.StopTimeout,
			Interceptors:                       guard,
		})
		w.RegisterActivity(activities.NewData(cfg, cat))
		workers = append(workers, w)
	}
	for _, w := range workers {
		if err := w.Start(); err != nil {
			return fmt.Errorf("starting the worker: %w", err)
		}
	}
	opts.Logger.Info("worker started", "queues", opts.Queues, "max_copies", opts.MaxCopies, "metrics", opts.MetricsAddr,
		"config_fingerprint", fingerprint)
	if serveMetrics != nil {
		go serveMetrics()
	}
	<-ctx.Done()
	opts.Logger.Info("stopping: no new tasks; running activities get the stop timeout to finish", "timeout", opts.StopTimeout)
	for _, w := range workers {
		w.Stop()
	}
	opts.Logger.Info("worker stopped")
	return nil
}

// orchestrationWorker runs the workflows and the light activities: catalog,
// Cloudflare and RabbitMQ.
func orchestrationWorker(tc client.Client, cfg *config.Config, cat *catalog.Catalog, opts Options, guard []interceptor.WorkerInterceptor) (worker.Worker, error) {
	// Tunnel configurations are replaced whole by the API: switches on one
	// tunnel take a lock in the catalog database, shared by every worker.
	router, err := routing.New(cfg, routing.WithLocker(routing.NewPGLocker(cat.Pool())))
	if err != nil {
		return nil, err
	}
	broker, err := queues.New(cfg.RabbitMQ)
	if err != nil {
		return nil, err
	}
	w := worker.New(tc, cfg.Temporal.TaskQueue, worker.Options{WorkerStopTimeout: opts.StopTimeout, Interceptors: guard})
	workflows.Register(w)
	w.RegisterActivity(activities.NewCatalog(cfg, cat))
	w.RegisterActivity(activities.NewRouting(router))
	w.RegisterActivity(activities.NewQueues(broker))
	return w, nil
}

// newMetrics exports the SDK's metrics and migrawave's own (rows and bytes
// copied, tenants by outcome, freeze durations, recorded through the same
// handler) in Prometheus format.
func newMetrics(addr string) (client.MetricsHandler, func(), error) {
	if addr == "" {
		return nil, nil, nil
	}
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	handler := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                provider.Meter("migrawave"),
		UseMonotonicCounters: true,
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	serve := func() {
		if err := http.Serve(ln, mux); err != nil && !errors.Is(err, net.ErrClosed) {
			slog.Error("metrics server stopped", "err", err)
		}
	}
	return handler, serve, nil
}
