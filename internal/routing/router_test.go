package routing

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
)

// faulty answers about 30% of API requests with an error: 15% 429 (with
// Retry-After: 1) and, of the rest, 18% a 500/502/503 (0.15 + 0.85 × 0.18 ≈
// 0.30). Seeded, so a failure can be replayed; the first two requests fail
// for certain, one of each kind, so that both are exercised however few
// requests a test makes.
var faulty = cfemu.Faults{Fail429: 0.15, Fail5xx: 0.18, FailNext429: 1, FailNext5xx: 1, RetryAfterSeconds: 1, Seed: 42}

// tunnelSeed is a tunnel already serving other hostnames: a rule with origin
// settings, a path rule on tenant t1's hostname (not the hostname's rule, so
// never touched), a prior rule for tenant t2 (replaced by the switch,
// restored by the rollback), and the catch-all.
func tunnelSeed(cfg *config.Config) map[string]any {
	return map[string]any{
		"originRequest": map[string]any{"connectTimeout": 10},
		"ingress": []map[string]any{
			{"hostname": "static." + zoneName, "service": "http://static:8080", "originRequest": map[string]any{"noTLSVerify": true, "connectTimeout": 30}},
			{"hostname": cfg.Hostname("t1"), "path": "^/admin", "service": "http://admin:8080"},
			{"hostname": cfg.Hostname("t2"), "service": "http://legacy-t2:8080"},
			{"service": catchAll},
		},
	}
}

func TestSwitchAndRollbackUnderFaults(t *testing.T) {
	for _, mode := range []string{config.ModeDNS, config.ModeTunnel} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel() // each has its own emulator; the 429s' Retry-After makes these the slow ones
			e := newEnv(t, mode)
			e.seedForeign()
			e.seedTenant("t1")
			e.seedTenant("t2")
			// t3's record is ours by its content only: Switch adds the tag,
			// Rollback must take it off again.
			e.seedRecord(e.cfg.Hostname("t3"), "CNAME", oldTarget, "", "team:billing")
			if mode == config.ModeTunnel {
				e.seedTunnel(tunnelSeed(e.cfg))
			}
			before := e.state()
			if err := e.emu.SetFaults(faulty); err != nil {
				t.Fatal(err)
			}
			r := e.router()
			ctx := context.Background()
			tenants := []string{"t1", "t2", "t3"}

			plans := map[string]Plan{}
			for _, tenant := range tenants {
				plans[tenant] = must(t, "plan "+tenant, func() (Plan, error) { return r.Plan(ctx, tenant) })
				// The plan goes through workflow history as JSON.
				plans[tenant] = roundTrip(t, plans[tenant])
			}
			for _, tenant := range tenants {
				must(t, "switch "+tenant, func() (Result, error) { return r.Switch(ctx, plans[tenant]) })
			}

			// Switched: every record points at the target, keeping proxied,
			// ttl, comment and tags (plus ours); the tunnel has the rules.
			target := e.cfg.Cloudflare.NewTarget
			if mode == config.ModeTunnel {
				target = e.cfg.Cloudflare.TunnelID + ".cfargotunnel.com"
			}
			for _, tenant := range tenants {
				was, rec := findRecord(t, before, e.cfg.Hostname(tenant)), e.record(e.cfg.Hostname(tenant))
				wantTags := slices.Clone(was.Tags)
				if !slices.Contains(wantTags, OwnerTag(e.cfg, tenant)) {
					wantTags = append(wantTags, OwnerTag(e.cfg, tenant))
				}
				if rec.Content != target || rec.Proxied != was.Proxied || rec.TTL != was.TTL ||
					commentOf(rec) != commentOf(was) || !slices.Equal(rec.Tags, wantTags) || rec.ID != was.ID {
					t.Errorf("%s after switch: %+v, want content %s and the rest as before (%+v) with tags %v", tenant, rec, target, was, wantTags)
				}
			}
			for _, name := range []string{"www." + zoneName, "api." + zoneName} {
				if got, want := e.record(name), findRecord(t, before, name); got.Content != want.Content || !got.ModifiedOn.Equal(want.ModifiedOn) {
					t.Errorf("foreign record %s was touched: %+v", name, got)
				}
			}
			if mode == config.ModeTunnel {
				svc := e.cfg.Cloudflare.TunnelService
				want := []cfemu.IngressRule{
					{Hostname: "static." + zoneName, Service: "http://static:8080", OriginRequest: map[string]any{"noTLSVerify": true, "connectTimeout": 30.0}},
					{Hostname: e.cfg.Hostname("t1"), Path: "^/admin", Service: "http://admin:8080"},
					{Hostname: e.cfg.Hostname("t2"), Service: svc}, // replaced in place
					{Hostname: e.cfg.Hostname("t1"), Service: svc},
					{Hostname: e.cfg.Hostname("t3"), Service: svc},
					{Service: catchAll},
				}
				requireIngress(t, e.ingress(), want)
			}

			for _, tenant := range tenants {
				must(t, "roll back "+tenant, nothing(func() error { return r.Rollback(ctx, plans[tenant]) }))
			}
			requireSameState(t, "after switch and rollback", normalized(t, before), normalized(t, e.state()))

			// The faults did happen, both kinds.
			kinds := map[string]int{}
			for _, req := range e.emu.Requests() {
				kinds[req.Fault]++
			}
			if kinds["fail_429"] == 0 || kinds["fail_5xx"] == 0 {
				t.Errorf("faults injected: %v, want some 429s and some 5xx", kinds)
			}
			t.Logf("requests by injected fault: %v; so far the engine returned %d rate-limited and %d other transient errors, retried",
				kinds, retried.rateLimited.Load(), retried.transient.Load())
		})
	}
}

func TestIdempotent(t *testing.T) {
	for _, mode := range []string{config.ModeDNS, config.ModeTunnel} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, mode)
			e.seedForeign()
			e.seedTenant("t1")
			e.seedTenant("t2")
			if mode == config.ModeTunnel {
				e.seedTunnel(tunnelSeed(e.cfg))
			}
			before := e.state()
			r := e.router()
			ctx := context.Background()
			p1 := roundTrip(t, must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t1") }))
			p2 := roundTrip(t, must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t2") }))
			if p1.AlreadySwitched {
				t.Fatal("a fresh tenant is planned as already switched")
			}

			// Switch twice: the second call finds the work done and writes nothing.
			first := must(t, "switch", func() (Result, error) { return r.Switch(ctx, p1) })
			if !first.RecordChanged || first.RuleChanged != (mode == config.ModeTunnel) {
				t.Errorf("first switch: %+v", first)
			}
			switched, writes := dump(t, e.state()), e.writes()
			second := must(t, "switch again", func() (Result, error) { return r.Switch(ctx, p1) })
			if second.RecordChanged || second.RuleChanged {
				t.Errorf("second switch wrote: %+v", second)
			}
			if e.writes() != writes {
				t.Errorf("second switch sent %d write requests", e.writes()-writes)
			}
			requireSameState(t, "after switching twice", switched, dump(t, e.state()))

			// A new plan now sees the tenant as switched.
			again := must(t, "plan again", func() (Plan, error) { return r.Plan(ctx, "t1") })
			if !again.AlreadySwitched {
				t.Errorf("plan after switch: AlreadySwitched = false")
			}

			// Rollback twice.
			must(t, "roll back", nothing(func() error { return r.Rollback(ctx, p1) }))
			rolledBack, writes := dump(t, e.state()), e.writes()
			must(t, "roll back again", nothing(func() error { return r.Rollback(ctx, p1) }))
			if e.writes() != writes {
				t.Errorf("second rollback sent %d write requests", e.writes()-writes)
			}
			requireSameState(t, "after rolling back twice", rolledBack, dump(t, e.state()))
			requireSameState(t, "after switch and rollback", normalized(t, before), normalized(t, e.state()))

			// Rolling back a plan that was never switched changes nothing.
			must(t, "roll back unswitched", nothing(func() error { return r.Rollback(ctx, p2) }))
			if e.writes() != writes {
				t.Errorf("rolling back an unswitched tenant wrote")
			}
		})
	}
}

// TestCrashBetweenSteps simulates a worker dying between the two steps of a
// tunnel switch (rule written, record not yet) and of its rollback (record
// restored, rule not yet removed): the retry must finish the job.
func TestCrashBetweenSteps(t *testing.T) {
	e := newEnv(t, config.ModeTunnel)
	e.seedTenant("t1")
	e.seedTenant("t2")
	e.seedTunnel(tunnelSeed(e.cfg))
	before := e.state()
	r := e.router()
	ctx := context.Background()

	for _, tenant := range []string{"t1", "t2"} { // t2 has a prior rule, t1 none
		p := roundTrip(t, must(t, "plan", func() (Plan, error) { return r.Plan(ctx, tenant) }))

		// The first attempt writes the rule and dies.
		if changed, _, err := r.ensureRule(ctx, p); err != nil || !changed {
			t.Fatalf("%s: writing the rule: changed=%v err=%v", tenant, changed, err)
		}
		res := must(t, "switch after crash", func() (Result, error) { return r.Switch(ctx, p) })
		if res.RuleChanged || !res.RecordChanged {
			t.Errorf("%s: switch after crash: %+v, want only the record changed", tenant, res)
		}
		if rec := e.record(p.Hostname); rec.Content != p.Target {
			t.Errorf("%s: record content %s, want %s", tenant, rec.Content, p.Target)
		}
		if n := countRules(e.ingress(), p.Hostname, e.cfg.Cloudflare.TunnelService); n != 1 {
			t.Errorf("%s: %d rules to the new service, want 1", tenant, n)
		}

		// The rollback's first attempt restores the record and dies.
		if changed, err := r.restoreRecord(ctx, p); err != nil || !changed {
			t.Fatalf("%s: restoring the record: changed=%v err=%v", tenant, changed, err)
		}
		must(t, "roll back after crash", nothing(func() error { return r.Rollback(ctx, p) }))
	}
	requireSameState(t, "after crashes, switch and rollback", normalized(t, before), normalized(t, e.state()))
}

// TestSwitchAfterLostResponse: the API applied the DNS edit but the answer
// never arrived (the client saw a timeout); the retry must see it is done.
func TestSwitchAfterLostResponse(t *testing.T) {
	e := newEnv(t, config.ModeDNS)
	e.seedTenant("t1")
	ctx := context.Background()
	r := e.router()
	p := must(t, "plan", func() (Plan, error) { return r.Plan(ctx, "t1") })
	// Apply the change behind the engine's back, as the lost request did.
	if _, err := r.pointRecord(ctx, p); err != nil {
		t.Fatal(err)
	}
	writes := e.writes()
	res := must(t, "switch", func() (Result, error) { return r.Switch(ctx, p) })
	if res.RecordChanged || e.writes() != writes {
		t.Errorf("retry after a lost response wrote again: %+v", res)
	}
}

func roundTrip(t *testing.T, p Plan) Plan {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out Plan
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func findRecord(t *testing.T, st cfemu.State, name string) cfemu.Record {
	t.Helper()
	for _, z := range st.Zones {
		for _, rec := range z.Records {
			if rec.Name == name {
				return rec
			}
		}
	}
	t.Fatalf("no record %s", name)
	return cfemu.Record{}
}

func commentOf(rec cfemu.Record) string {
	if rec.Comment == nil {
		return ""
	}
	return *rec.Comment
}

func countRules(rules []cfemu.IngressRule, hostname, service string) int {
	n := 0
	for _, rule := range rules {
		if rule.Hostname == hostname && rule.Service == service && rule.Path == "" {
			n++
		}
	}
	return n
}

func requireIngress(t *testing.T, got, want []cfemu.IngressRule) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("ingress:\n got %s\nwant %s", g, w)
	}
}
