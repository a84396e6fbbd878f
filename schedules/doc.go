// Package schedules defines migrawave's Temporal Schedules (rebalancing) and
// applies them idempotently.
package schedules
