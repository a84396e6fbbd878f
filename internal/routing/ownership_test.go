package routing

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/dns"

	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/retry"
)

func TestPlanRefusesRecordsWeDoNotOwn(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedForeign()
	host := e.cfg.Hostname
	// Someone else's CNAME: other content, no tag.
	e.seedRecord(host("other"), "CNAME", "someone-else.example.net", "not ours")
	// Other content and another tenant's tag is not ours either.
	e.seedRecord(host("stolen"), "CNAME", "someone-else.example.net", "", OwnerTag(e.cfg, "t9"))
	// Several records with the tenant's hostname.
	e.seedRecord(host("several"), "A", "192.0.2.1", "")
	e.seedRecord(host("several"), "A", "192.0.2.2", "")
	// An unexpected type, even with the old target's address and our tag.
	e.seedRecord(host("atype"), "A", "192.0.2.3", "", OwnerTag(e.cfg, "atype"))
	// Other content, but our tag: ours (switched by a run whose plan was lost).
	e.seedRecord(host("tagged"), "CNAME", "platform-ingress.example.com", "", OwnerTag(e.cfg, "tagged"))
	before := dump(t, e.state())
	r := e.router()
	ctx := context.Background()

	for _, tc := range []struct{ tenant, want string }{
		{"other", "its content someone-else.example.net is not the old target legacy-lb.example.com and it has no \"migrawave:other\" tag"},
		{"stolen", "has no \"migrawave:stolen\" tag"},
		{"several", "2 records have this name"},
		{"atype", "it is a A record"},
	} {
		_, err := r.Plan(ctx, tc.tenant)
		var notOwned *NotOwnedError
		if !errors.As(err, &notOwned) || !retry.IsFinal(err) || IsTransient(err) {
			t.Errorf("%s: err = %v (%T), want a *NotOwnedError classed as bad input", tc.tenant, err, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), host(tc.tenant)) {
			t.Errorf("%s: err = %q, want it to name the hostname and say %q", tc.tenant, err, tc.want)
		}
	}

	_, err := r.Plan(ctx, "missing")
	var bad *BadInputError
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "has no DNS record named "+host("missing")) {
		t.Errorf("missing record: err = %v, want a *BadInputError naming the hostname", err)
	}

	p, err := r.Plan(ctx, "tagged")
	if err != nil || !p.AlreadySwitched {
		t.Errorf("a record carrying our tag: plan = %+v, err = %v; want it planned, already switched", p, err)
	}

	if e.writes() != 0 {
		t.Errorf("%d write requests were sent", e.writes())
	}
	requireSameState(t, "after refused plans", before, dump(t, e.state()))
}

// TestSwitchRefusesRecordTakenOver: between Plan and Switch (or Rollback)
// someone points the record elsewhere and drops our tag. Neither touches it.
func TestSwitchRefusesRecordTakenOver(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedTenant("t1")
	e.seedTenant("t2")
	r := e.router()
	ctx := context.Background()
	p1 := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t1") })
	p2 := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t2") })
	must(t, "switch t2", func() (Result, error) { return r.Switch(ctx, p2) })

	takeOver := func(p Plan) {
		client, err := NewClient(e.cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.DNS.Records.Edit(ctx, p.Record.ID, dns.RecordEditParams{
			ZoneID: cloudflare.F(p.ZoneID),
			Body: dns.CNAMERecordParam{
				Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F("someone-else.example.net"),
				Tags: cloudflare.F([]string{}),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	takeOver(p1)
	takeOver(p2)
	before := dump(t, e.state())

	_, err := r.Switch(ctx, p1)
	if !retry.IsFinal(err) || !strings.Contains(err.Error(), "changed since the plan") {
		t.Errorf("switch of a taken-over record: err = %v, want a not-owned error", err)
	}
	err = r.Rollback(ctx, p2)
	if !retry.IsFinal(err) || !strings.Contains(err.Error(), "changed since the plan") {
		t.Errorf("rollback of a taken-over record: err = %v, want a not-owned error", err)
	}
	requireSameState(t, "after refused switch and rollback", before, dump(t, e.state()))
}

// TestTunnelRuleTakenOver: someone repoints the tenant's tunnel rule after
// the plan; Switch and Rollback leave it alone.
func TestTunnelRuleTakenOver(t *testing.T) {
	e := newEnv(t, config.ModeTunnel)
	e.seedTenant("t2")
	e.seedTunnel(tunnelSeed(e.cfg))
	r := e.router()
	ctx := context.Background()
	p := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t2") }) // prior rule → http://legacy-t2:8080

	seed := tunnelSeed(e.cfg)
	seed["ingress"].([]map[string]any)[2]["service"] = "http://someone-else:8080"
	e.admin("PUT", "/__admin/state", withTunnelConfig(t, e, seed))
	before := dump(t, e.state())

	if _, err := r.Switch(ctx, p); !retry.IsFinal(err) || !strings.Contains(err.Error(), "http://someone-else:8080") {
		t.Errorf("switch: err = %v, want a not-owned error naming the rule's service", err)
	}
	// The record was never switched and the rule is no longer the one the
	// plan recorded: the rollback must not touch it, and says so.
	if err := r.Rollback(ctx, p); !retry.IsFinal(err) {
		t.Errorf("rollback: err = %v, want a not-owned error", err)
	}
	requireSameState(t, "after refused switch", before, dump(t, e.state()))
}

// withTunnelConfig returns the emulator's state with the tunnel's
// configuration replaced, for PUT /__admin/state.
func withTunnelConfig(t *testing.T, e *env, config map[string]any) map[string]any {
	t.Helper()
	st := e.state()
	var raw map[string]any
	mustJSON(t, st, &raw)
	for _, tun := range raw["tunnels"].([]any) {
		tun := tun.(map[string]any)
		if tun["id"] == e.cfg.Cloudflare.TunnelID {
			tun["config"] = config
		}
	}
	return raw
}
