package routing

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/retry"
)

func TestInvalidHostnames(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedTenant("t1")
	before := dump(t, e.state())
	ctx := context.Background()

	for _, tc := range []struct{ pattern, tenant, want string }{
		{"{tenant}.app.example.com", "Bad_Tenant", `character 'B'`},
		{"{tenant}.app.example.com", "-t1", `starting or ending with '-'`},
		{"{tenant}.app.example.com", strings.Repeat("x", 64), "label of 64 characters"},
		{"{tenant}.app.example.com", "t1.", "empty label"},
		{"{tenant}..example.com", "t1", "empty label"},
		{"{tenant}", "t1", "single label"},
		{"{tenant}" + strings.Repeat(".abcdefghij", 24), "t1", "more than the 253"},
		{"{tenant}.app.example.com", "", "tenant id is empty"},
	} {
		e.cfg.Cloudflare.HostnamePattern = tc.pattern
		r := e.router()
		_, err := r.Plan(ctx, tc.tenant)
		var bad *BadInputError
		if !errors.As(err, &bad) || !retry.IsFinal(err) || IsTransient(err) {
			t.Errorf("pattern %q, tenant %q: err = %v, want a *BadInputError", tc.pattern, tc.tenant, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || (tc.tenant != "" && !strings.Contains(err.Error(), "cloudflare.hostname_pattern")) {
			t.Errorf("pattern %q, tenant %q: err = %q, want it to name cloudflare.hostname_pattern and say %q", tc.pattern, tc.tenant, err, tc.want)
		}
	}
	if n := len(e.emu.Requests()); n != 0 {
		t.Errorf("%d API requests were sent for invalid hostnames", n)
	}
	requireSameState(t, "after invalid hostnames", before, dump(t, e.state()))

	// A fully qualified pattern (trailing dot) is fine.
	e.cfg.Cloudflare.HostnamePattern = "{tenant}.app.example.com."
	if _, err := e.router().Plan(ctx, "t1"); err != nil {
		t.Errorf("fully qualified pattern: %v", err)
	}
}

func TestUnknownTunnel(t *testing.T) {
	e := newEnv(t, config.ModeTunnel)
	e.seedTenant("t1")
	e.seedTunnel(tunnelSeed(e.cfg))
	before := dump(t, e.state())
	ctx := context.Background()

	// Planned against a tunnel id that does not exist.
	good := e.cfg.Cloudflare.TunnelID
	e.cfg.Cloudflare.TunnelID = unknownTun
	_, err := e.router().Plan(ctx, "t1")
	var bad *BadInputError
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "tunnel "+unknownTun+" not found in account "+e.cfg.Cloudflare.AccountID) {
		t.Errorf("plan: err = %v, want a *BadInputError naming the tunnel", err)
	}

	// A plan whose tunnel disappeared (or was edited): Switch fails before
	// touching the record, since the rule goes in first.
	e.cfg.Cloudflare.TunnelID = good
	p := must(t, "plan", func() (Plan, error) { return e.router().Plan(ctx, "t1") })
	p.Tunnel.TunnelID = unknownTun
	if _, err := e.router().Switch(ctx, p); !retry.IsFinal(err) || !strings.Contains(err.Error(), unknownTun) {
		t.Errorf("switch: err = %v, want bad input naming the tunnel", err)
	}
	if e.writes() != 0 {
		t.Errorf("%d write requests were sent", e.writes())
	}
	requireSameState(t, "after unknown tunnel", before, dump(t, e.state()))
}

func TestUnconfiguredTunnel(t *testing.T) {
	e := newEnv(t, config.ModeTunnel)
	e.seedTenant("t1")
	e.seedTunnel(nil) // created, never configured: no catch-all
	before := dump(t, e.state())
	_, err := e.router().Plan(context.Background(), "t1")
	if !retry.IsFinal(err) || !strings.Contains(err.Error(), "no catch-all ingress rule") {
		t.Errorf("err = %v, want bad input about the missing catch-all", err)
	}
	requireSameState(t, "after refused plan", before, dump(t, e.state()))
}

func TestUnknownZone(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.cfg.Cloudflare.ZoneID = "ffffffffffffffffffffffffffffffff"
	_, err := e.router().Plan(context.Background(), "t1")
	if !retry.IsFinal(err) || !strings.Contains(err.Error(), "zone ffffffffffffffffffffffffffffffff not found") {
		t.Errorf("err = %v, want bad input naming the zone", err)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	e := newEnv(t, config.ModeTunnel)
	for _, tc := range []struct {
		name string
		edit func(*config.Cloudflare)
		opts []Option
		want string
	}{
		{"no locker", func(*config.Cloudflare) {}, nil, "tunnel mode needs a Locker"},
		{"no tunnel", func(c *config.Cloudflare) { c.TunnelID = "" }, []Option{WithLocker(NewLocalLocker())}, "cloudflare.tunnel_id"},
		{"no zone", func(c *config.Cloudflare) { c.ZoneID = "" }, []Option{WithLocker(NewLocalLocker())}, "cloudflare.zone_id"},
		{"bad mode", func(c *config.Cloudflare) { c.Mode = "carrier-pigeon" }, nil, "cloudflare.mode"},
		{"no new target", func(c *config.Cloudflare) { c.Mode, c.NewTarget = config.ModeDNS, "" }, nil, "cloudflare.new_target"},
	} {
		cfg := *e.cfg
		tc.edit(&cfg.Cloudflare)
		_, err := New(&cfg, tc.opts...)
		if !retry.IsFinal(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want bad input naming %s", tc.name, err, tc.want)
		}
	}
}

func TestSwitchRefusesMalformedPlan(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedTenant("t1")
	r := e.router()
	ctx := context.Background()
	p := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t1") })
	for name, edit := range map[string]func(*Plan){
		"no record id":  func(p *Plan) { p.Record.ID = "" },
		"other name":    func(p *Plan) { p.Record.Name = "other.app.example.com" },
		"bad mode":      func(p *Plan) { p.Mode = "x" },
		"tunnel in dns": func(p *Plan) { p.Tunnel = &TunnelPlan{} },
		"bad prior": func(p *Plan) {
			p.Mode, p.Tunnel = config.ModeTunnel, &TunnelPlan{AccountID: "a", TunnelID: "t", Service: "s", PriorRule: json.RawMessage("{")}
		},
	} {
		bad := p
		bad.Record.Tags = append([]string{}, p.Record.Tags...)
		edit(&bad)
		if _, err := r.Switch(ctx, bad); !retry.IsFinal(err) {
			t.Errorf("%s: switch err = %v, want bad input", name, err)
		}
		if err := r.Rollback(ctx, bad); !retry.IsFinal(err) {
			t.Errorf("%s: rollback err = %v, want bad input", name, err)
		}
	}
	if e.writes() != 0 {
		t.Errorf("%d write requests were sent", e.writes())
	}
}
