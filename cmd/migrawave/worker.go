package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrawave/migrawave/workers"
)

func newWorkerCmd(a *app) *cobra.Command {
	var queues string
	opts := workers.Options{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a Temporal worker: migrations, waves and their activities",
		Long: `worker polls the task queues and runs what they hold. Start as many as you
like, on one machine or many: they share the work.

  temporal.task_queue       workflows and light activities (catalog,
                            Cloudflare, RabbitMQ)
  temporal.data_task_queue  copies, indexes and verification, at most
                            --max-copies at once in this process

On SIGTERM or SIGINT the worker stops taking tasks and lets running activities
finish for --stop-timeout; what is still running then resumes on another
worker from its last checkpoint.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if queues == "" {
				queues = cfg.Temporal.TaskQueue + "," + cfg.Temporal.DataTaskQueue
			}
			opts.Queues = strings.Split(queues, ",")
			opts.Logger = a.log
			return workers.Run(cmd.Context(), cfg, opts)
		},
	}
	cmd.Flags().StringVar(&queues, "queues", "", "task queues to serve, comma separated (default: both from the config)")
	cmd.Flags().IntVar(&opts.MaxCopies, "max-copies", 2, "copy, index and verify activities run at once by this process")
	cmd.Flags().StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address, e.g. :9464")
	cmd.Flags().DurationVar(&opts.StopTimeout, "stop-timeout", 30*time.Second, "how long running activities may finish after SIGTERM")
	return cmd
}
