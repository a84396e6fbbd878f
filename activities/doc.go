// Package activities holds migrawave's Temporal activities: thin adapters
// from the workflows to the engines under internal/, grouped by the system
// they touch.
package activities
