package routing_test

import (
	"testing"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/demo"
	"github.com/migrawave/migrawave/internal/routing"
)

// The demo seeder tags tenant records with demo.OwnerTag and the engine
// recognizes its records by routing.OwnerTag: the two formats must agree, or
// every seeded record would be refused as not ours (unless its content is
// still the old target) once it has been switched.
func TestOwnerTagMatchesDemo(t *testing.T) {
	cfg := &config.Config{Cloudflare: config.Cloudflare{Tag: "migrawave"}}
	for _, tenant := range []string{"t1", "acme-42"} {
		if got, want := routing.OwnerTag(cfg, tenant), demo.OwnerTag(cfg, tenant); got != want {
			t.Errorf("routing.OwnerTag = %q, demo.OwnerTag = %q", got, want)
		}
	}
}
