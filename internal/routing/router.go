package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudflare/cloudflare-go/v7"

	"github.com/migrawave/migrawave/internal/config"
)

// Router switches a tenant's hostname between the old platform and the new
// one. The three operations are meant to run as separate activities:
//
//	plan, err := r.Plan(ctx, tenant)   // read only; store the Plan in workflow history
//	res, err := r.Switch(ctx, plan)    // idempotent
//	err = r.Rollback(ctx, plan)        // idempotent; restores what the Plan recorded
//
// Switch and Rollback work from the Plan alone (not from the configuration
// in force when they run), so a retry, a rollback hours later or a worker on
// a newer configuration still undoes exactly what was done.
type Router struct {
	cf     config.Cloudflare
	client *cloudflare.Client
	locker Locker
}

// Option configures a Router.
type Option func(*Router)

// WithLocker serializes tunnel configuration updates through l. Tunnel mode
// requires one: the API replaces a tunnel's configuration whole, so two
// unserialized switches on one tunnel can lose a rule. Use NewPGLocker on
// the catalog database when several worker processes may switch tenants;
// NewLocalLocker only protects one process.
func WithLocker(l Locker) Option { return func(r *Router) { r.locker = l } }

// New returns a Router for cfg.Cloudflare, with a client from NewClient.
func New(cfg *config.Config, opts ...Option) (*Router, error) {
	r := &Router{cf: cfg.Cloudflare}
	for _, opt := range opts {
		opt(r)
	}
	if err := r.checkConfig(); err != nil {
		return nil, err
	}
	client, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	r.client = client
	return r, nil
}

// checkConfig catches what config.Validate also catches, because a Router
// may be built from a Config that never went through Load (tests, tools),
// plus what only the engine knows (the locker).
func (r *Router) checkConfig() error {
	bad := func(reason string) error { return &BadInputError{Op: "configure", Reason: reason} }
	cf := r.cf
	switch {
	case cf.ZoneID == "":
		return bad("cloudflare.zone_id is not set")
	case cf.OldTarget == "":
		return bad("cloudflare.old_target is not set")
	case strings.Count(cf.HostnamePattern, "{tenant}") != 1:
		return bad(fmt.Sprintf("cloudflare.hostname_pattern %q must contain {tenant} exactly once", cf.HostnamePattern))
	case cf.Tag == "":
		return bad("cloudflare.tag is not set")
	}
	switch cf.Mode {
	case config.ModeDNS:
		if cf.NewTarget == "" {
			return bad("cloudflare.new_target is not set (required in dns mode)")
		}
	case config.ModeTunnel:
		switch {
		case cf.TunnelID == "":
			return bad("cloudflare.tunnel_id is not set (required in tunnel mode)")
		case cf.AccountID == "":
			return bad("cloudflare.account_id is not set (required in tunnel mode)")
		case cf.TunnelService == "":
			return bad("cloudflare.tunnel_service is not set (required in tunnel mode)")
		case r.locker == nil:
			return bad("tunnel mode needs a Locker (routing.WithLocker) so concurrent switches cannot lose tunnel rules")
		}
	default:
		return bad(fmt.Sprintf("cloudflare.mode %q is not dns or tunnel", cf.Mode))
	}
	return nil
}

// Plan is what Switch does and what Rollback restores, as read before any
// change. It is plain JSON (it is stored in workflow history) and holds no
// secret.
type Plan struct {
	Tenant   string `json:"tenant"`
	Hostname string `json:"hostname"`
	Mode     string `json:"mode"` // "dns" or "tunnel"
	ZoneID   string `json:"zone_id"`
	// OwnerTag marks the record as ours; Switch adds it when missing so that
	// a retry still recognizes the record once its content has changed.
	OwnerTag string `json:"owner_tag"`
	// Target is the CNAME content after Switch: the new target in dns mode,
	// "<tunnel-id>.cfargotunnel.com" in tunnel mode.
	Target string `json:"target"`
	// Record is the tenant's record as found; Rollback restores it.
	Record Record `json:"record"`
	// Tunnel is set in tunnel mode.
	Tunnel *TunnelPlan `json:"tunnel,omitempty"`
	// AlreadySwitched says the hostname already served from the new
	// platform when planned: Rollback would then keep it there.
	AlreadySwitched bool `json:"already_switched"`
}

// Record is the part of a DNS record that Switch may change and Rollback restores.
type Record struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Content string   `json:"content"`
	Proxied bool     `json:"proxied"`
	TTL     int      `json:"ttl"` // 1 = automatic
	Comment string   `json:"comment"`
	Tags    []string `json:"tags"`
}

// TunnelPlan is the tunnel side of a Plan.
type TunnelPlan struct {
	AccountID string `json:"account_id"`
	TunnelID  string `json:"tunnel_id"`
	// Service is where the tenant's ingress rule sends traffic after Switch.
	Service string `json:"service"`
	// PriorRule is the hostname's ingress rule (the one without a path) as
	// the API returned it before the switch, or absent if there was none:
	// Rollback puts it back, or removes our rule.
	PriorRule json.RawMessage `json:"prior_rule,omitempty"`
}

// Result is what Switch did.
type Result struct {
	Hostname string `json:"hostname"`
	// Content is the CNAME's content now.
	Content string `json:"content"`
	// RecordChanged and RuleChanged say whether this call wrote; false on a
	// retry that found the work done.
	RecordChanged bool `json:"record_changed"`
	RuleChanged   bool `json:"rule_changed"`
	// TunnelVersion is the tunnel configuration's version after the switch (tunnel mode).
	TunnelVersion int64 `json:"tunnel_version,omitempty"`
}

// Plan reads the tenant's DNS record and, in tunnel mode, the new tunnel's
// ingress rules. It changes nothing. It fails with a *NotOwnedError when the
// record is not one migrawave may change, and a *BadInputError when the
// hostname is invalid, the record or the tunnel does not exist, or the tunnel
// has no catch-all rule.
func (r *Router) Plan(ctx context.Context, tenant string) (Plan, error) {
	op := fmt.Sprintf("plan tenant %q", tenant)
	if tenant == "" {
		return Plan{}, &BadInputError{Op: op, Reason: "the tenant id is empty"}
	}
	hostname := strings.TrimSuffix(r.cf.HostnamePattern, ".") // a fully qualified pattern is fine
	hostname = strings.ReplaceAll(hostname, "{tenant}", tenant)
	if err := checkHostname(hostname); err != nil {
		return Plan{}, &BadInputError{Op: op, Reason: fmt.Sprintf(
			"cloudflare.hostname_pattern %q gives an invalid hostname for this tenant: %v", r.cf.HostnamePattern, err)}
	}
	p := Plan{
		Tenant:   tenant,
		Hostname: hostname,
		Mode:     r.cf.Mode,
		ZoneID:   r.cf.ZoneID,
		OwnerTag: ownerTag(r.cf.Tag, tenant),
		Target:   normalizeHost(r.cf.NewTarget),
	}
	if p.Mode == config.ModeTunnel {
		p.Target = TunnelTarget(r.cf.TunnelID)
		p.Tunnel = &TunnelPlan{AccountID: r.cf.AccountID, TunnelID: r.cf.TunnelID, Service: r.cf.TunnelService}
	}

	rec, err := r.findRecord(ctx, op, p, normalizeHost(r.cf.OldTarget))
	if err != nil {
		return Plan{}, err
	}
	p.Record = rec
	p.AlreadySwitched = sameHost(rec.Content, p.Target)
	if p.Tunnel != nil {
		present, err := r.planTunnel(ctx, op, &p)
		if err != nil {
			return Plan{}, err
		}
		p.AlreadySwitched = p.AlreadySwitched && present
	}
	return p, nil
}

// Switch makes the tenant's hostname serve from the new platform. In tunnel
// mode the ingress rule goes in first, so that the hostname never points at
// a tunnel that does not know it. Calling it again, after success or after a
// crash at any point, converges to the same state.
func (r *Router) Switch(ctx context.Context, p Plan) (Result, error) {
	if err := checkPlan(p); err != nil {
		return Result{}, err
	}
	res := Result{Hostname: p.Hostname, Content: p.Target}
	if p.Tunnel != nil {
		changed, version, err := r.ensureRule(ctx, p)
		if err != nil {
			return Result{}, err
		}
		res.RuleChanged, res.TunnelVersion = changed, version
	}
	changed, err := r.pointRecord(ctx, p)
	if err != nil {
		return Result{}, err
	}
	res.RecordChanged = changed
	return res, nil
}

// Rollback restores what the Plan recorded: the record's content, proxied,
// ttl, comment and tags, and in tunnel mode the hostname's ingress rule (our
// rule removed, or the prior rule put back). The record goes back first, the
// reverse of Switch. Rolling back twice, or a never-switched plan, is a no-op.
func (r *Router) Rollback(ctx context.Context, p Plan) error {
	if err := checkPlan(p); err != nil {
		return err
	}
	if _, err := r.restoreRecord(ctx, p); err != nil {
		return err
	}
	if p.Tunnel != nil {
		if _, _, err := r.restoreRule(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// checkPlan refuses a Plan that Plan could not have produced (a truncated or
// hand-edited one): acting on it could touch the wrong record.
func checkPlan(p Plan) error {
	bad := func(reason string) error {
		return &BadInputError{Op: fmt.Sprintf("plan for tenant %q", p.Tenant), Reason: reason}
	}
	if err := checkHostname(p.Hostname); err != nil {
		return bad("invalid hostname: " + err.Error())
	}
	switch {
	case p.ZoneID == "" || p.Record.ID == "" || p.OwnerTag == "" || p.Target == "":
		return bad("zone_id, record.id, owner_tag and target are required")
	case p.Record.Type != "CNAME":
		return bad(fmt.Sprintf("record type %q is not CNAME", p.Record.Type))
	case !sameHost(p.Record.Name, p.Hostname):
		return bad(fmt.Sprintf("record name %q is not the hostname %q", p.Record.Name, p.Hostname))
	}
	switch p.Mode {
	case config.ModeDNS:
		if p.Tunnel != nil {
			return bad("a dns-mode plan has a tunnel part")
		}
	case config.ModeTunnel:
		if p.Tunnel == nil || p.Tunnel.AccountID == "" || p.Tunnel.TunnelID == "" || p.Tunnel.Service == "" {
			return bad("a tunnel-mode plan needs tunnel.account_id, tunnel_id and service")
		}
		if len(p.Tunnel.PriorRule) > 0 && !json.Valid(p.Tunnel.PriorRule) {
			return bad("tunnel.prior_rule is not valid JSON")
		}
	default:
		return bad(fmt.Sprintf("mode %q is not dns or tunnel", p.Mode))
	}
	return nil
}

// lockError wraps a failure to take a lock: the lock's backend (PostgreSQL)
// being unreachable is worth a retry; a cancelled context is passed on.
func lockError(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("routing: %s: %w", op, err)
	}
	return &TransientError{Op: op, Err: err}
}

// normalizeHost is the form the API stores CNAME content in.
func normalizeHost(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}
