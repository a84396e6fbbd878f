package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"

	"github.com/migrawave/migrawave/internal/routing"
)

// RoutingPlan is what the switch changes and its rollback restores, as read
// before any change; it travels in the workflow history and holds no secret.
type RoutingPlan = routing.Plan

// Routing holds the activities that switch a tenant's traffic in Cloudflare.
type Routing struct {
	router *routing.Router
}

// NewRouting builds the routing activities.
func NewRouting(r *routing.Router) *Routing { return &Routing{router: r} }

// PlanRouting reads the tenant's DNS record (and tunnel rules); it changes nothing.
func (a *Routing) PlanRouting(ctx context.Context, ref TenantRef) (RoutingPlan, error) {
	p, err := a.router.Plan(ctx, ref.TenantID)
	return p, routingError(err)
}

// SwitchRouting makes the tenant's hostname serve from the new platform.
func (a *Routing) SwitchRouting(ctx context.Context, p RoutingPlan) (routing.Result, error) {
	res, err := a.router.Switch(ctx, p)
	return res, routingError(err)
}

// RollbackRouting restores exactly what the plan recorded.
func (a *Routing) RollbackRouting(ctx context.Context, p RoutingPlan) error {
	return routingError(a.router.Rollback(ctx, p))
}

// routingError hands a 429's Retry-After to Temporal as the next retry's
// delay, so a retry waits as long as the API asked.
func routingError(err error) error {
	if d, ok := routing.RetryAfter(err); ok {
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: d})
	}
	return temporalError(err)
}
