// Package workers builds Temporal workers: registration, task queues,
// options, metrics and graceful shutdown.
package workers
