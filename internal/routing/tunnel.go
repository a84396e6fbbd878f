package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/zero_trust"
)

// The API stores a tunnel's configuration as one document and replaces it
// whole on every PUT, so adding one tenant's rule is a read-modify-write of
// everybody's rules. Three things keep that safe:
//
//   - the read-modify-write runs under a per-tunnel lock (Locker) shared by
//     every worker process, so two switches cannot interleave;
//   - the configuration is edited as raw JSON: only the tenant's rule is
//     added, replaced or removed, every other rule and setting goes back
//     byte for byte, including fields this client version does not model;
//   - after the PUT the configuration is read back and must show the change,
//     which catches a writer that does not take our lock (another tool, the
//     dashboard) or a lock lost with its database session.

// maxWriteAttempts bounds the read-modify-write loop when the read-back does
// not show our change.
const maxWriteAttempts = 3

// tunnelConfig is a tunnel configuration as the API returned it.
type tunnelConfig struct {
	version int64
	// fields are the configuration's members other than ingress, kept raw.
	fields map[string]json.RawMessage
	rules  []ingressRule
}

// ingressRule is one ingress rule: raw as the API returned it, plus the
// fields we match on.
type ingressRule struct {
	raw      json.RawMessage
	Hostname string `json:"hostname"`
	Path     string `json:"path"`
	Service  string `json:"service"`
}

// planTunnel records the hostname's current rule in p.Tunnel and reports
// whether it already sends the hostname to the new service.
func (r *Router) planTunnel(ctx context.Context, op string, p *Plan) (bool, error) {
	tc, err := r.readTunnel(ctx, op, p.Tunnel)
	if err != nil {
		return false, err
	}
	if _, err := tc.catchAll(op, p.Tunnel); err != nil {
		return false, err
	}
	i := tc.find(p.Hostname)
	if i < 0 {
		return false, nil
	}
	p.Tunnel.PriorRule = slices.Clone(tc.rules[i].raw)
	return tc.rules[i].Service == p.Tunnel.Service, nil
}

// ensureRule adds the tenant's rule ahead of the catch-all (or replaces the
// planned prior rule in place). It reports whether it wrote and the
// configuration version it left.
func (r *Router) ensureRule(ctx context.Context, p Plan) (bool, int64, error) {
	return r.updateTunnel(ctx, "switch "+p.Hostname, p, withRule)
}

// restoreRule removes our rule, or puts back the prior rule the plan recorded.
func (r *Router) restoreRule(ctx context.Context, p Plan) (bool, int64, error) {
	return r.updateTunnel(ctx, "roll back "+p.Hostname, p, withoutRule)
}

// edit computes the rules a tunnel should have from the ones it has, or
// reports that nothing needs to change.
type edit func(op string, p Plan, tc *tunnelConfig) (rules []ingressRule, changed bool, err error)

// updateTunnel runs edit as a read-modify-write under the tunnel's lock, and
// reads back until the tunnel shows the change.
func (r *Router) updateTunnel(ctx context.Context, op string, p Plan, ed edit) (bool, int64, error) {
	unlock, err := r.locker.Lock(ctx, "tunnel:"+p.Tunnel.TunnelID)
	if err != nil {
		return false, 0, lockError(op+": lock tunnel "+p.Tunnel.TunnelID, err)
	}
	defer unlock()

	tc, err := r.readTunnel(ctx, op, p.Tunnel)
	if err != nil {
		return false, 0, err
	}
	wrote := false
	for attempt := 1; ; attempt++ {
		rules, changed, err := ed(op, p, tc)
		if err != nil {
			return false, 0, err
		}
		if !changed {
			return wrote, tc.version, nil
		}
		if attempt > maxWriteAttempts {
			return false, 0, &TransientError{Op: op, Err: fmt.Errorf(
				"tunnel %s: the configuration read back without our change %d times; something else is writing it", p.Tunnel.TunnelID, maxWriteAttempts)}
		}
		if err := r.writeTunnel(ctx, op, p.Tunnel, tc, rules); err != nil {
			return false, 0, err
		}
		wrote = true
		// Read back rather than trust the PUT's answer: what matters is what
		// the tunnel holds now.
		if tc, err = r.readTunnel(ctx, op, p.Tunnel); err != nil {
			return false, 0, err
		}
	}
}

// withRule is the switch edit.
func withRule(op string, p Plan, tc *tunnelConfig) ([]ingressRule, bool, error) {
	last, err := tc.catchAll(op, p.Tunnel)
	if err != nil {
		return nil, false, err
	}
	ours, err := ourRule(p)
	if err != nil {
		return nil, false, err
	}
	rules := slices.Clone(tc.rules)
	i := tc.find(p.Hostname)
	switch {
	case i >= 0 && rules[i].Service == p.Tunnel.Service:
		return nil, false, nil // done already
	case i >= 0 && sameJSON(rules[i].raw, p.Tunnel.PriorRule):
		rules[i] = ours // keep the hostname's place in the order
	case i >= 0:
		return nil, false, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"tunnel %s: its ingress rule now sends traffic to %s, which is neither the rule planned from nor ours (changed since the plan)",
			p.Tunnel.TunnelID, rules[i].Service)}
	case len(p.Tunnel.PriorRule) > 0:
		return nil, false, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"tunnel %s: the ingress rule the plan recorded for it is gone (changed since the plan)", p.Tunnel.TunnelID)}
	default:
		rules = slices.Insert(rules, last, ours)
	}
	return rules, true, nil
}

// withoutRule is the rollback edit.
func withoutRule(op string, p Plan, tc *tunnelConfig) ([]ingressRule, bool, error) {
	prior := p.Tunnel.PriorRule
	rules := slices.Clone(tc.rules)
	i := tc.find(p.Hostname)
	switch {
	case i < 0 && len(prior) == 0:
		return nil, false, nil // never added, or already removed
	case i >= 0 && len(prior) > 0 && sameJSON(rules[i].raw, prior):
		return nil, false, nil // the prior rule is in place
	case i >= 0 && rules[i].Service != p.Tunnel.Service:
		return nil, false, &NotOwnedError{Hostname: p.Hostname, Reason: fmt.Sprintf(
			"tunnel %s: its ingress rule now sends traffic to %s, which is neither ours nor the rule the plan recorded",
			p.Tunnel.TunnelID, rules[i].Service)}
	}
	if len(prior) == 0 {
		return slices.Delete(rules, i, i+1), true, nil
	}
	restored, err := parseRule(prior)
	if err != nil {
		return nil, false, &BadInputError{Op: op, Reason: "tunnel.prior_rule in the plan: " + err.Error()}
	}
	if i >= 0 {
		rules[i] = restored // the place Switch put ours in
		return rules, true, nil
	}
	// Someone removed our rule, but the plan had a rule to restore.
	last, err := tc.catchAll(op, p.Tunnel)
	if err != nil {
		return nil, false, err
	}
	return slices.Insert(rules, last, restored), true, nil
}

// ourRule is the tenant's rule: the hostname, any path, to the new service.
func ourRule(p Plan) (ingressRule, error) {
	raw, err := json.Marshal(map[string]string{"hostname": p.Hostname, "service": p.Tunnel.Service})
	if err != nil {
		return ingressRule{}, err
	}
	return ingressRule{raw: raw, Hostname: p.Hostname, Service: p.Tunnel.Service}, nil
}

// find returns the index of the hostname's rule without a path (the one
// that routes the whole hostname), or -1.
func (tc *tunnelConfig) find(hostname string) int {
	return slices.IndexFunc(tc.rules, func(rule ingressRule) bool {
		return rule.Path == "" && sameHost(rule.Hostname, hostname)
	})
}

// catchAll returns the index of the last rule, which must match everything.
// A tunnel without one has not been set up to serve traffic; adding rules to
// it would be guessing what should answer unknown hostnames.
func (tc *tunnelConfig) catchAll(op string, t *TunnelPlan) (int, error) {
	n := len(tc.rules)
	if n == 0 || tc.rules[n-1].Path != "" || (tc.rules[n-1].Hostname != "" && tc.rules[n-1].Hostname != "*") {
		return 0, &BadInputError{Op: op, Reason: fmt.Sprintf(
			"tunnel %s has no catch-all ingress rule (its configuration is empty or invalid); set the tunnel up before switching tenants to it", t.TunnelID)}
	}
	return n - 1, nil
}

// readTunnel GETs the configuration.
func (r *Router) readTunnel(ctx context.Context, op string, t *TunnelPlan) (*tunnelConfig, error) {
	res, err := r.client.ZeroTrust.Tunnels.Cloudflared.Configurations.Get(ctx, t.TunnelID,
		zero_trust.TunnelCloudflaredConfigurationGetParams{AccountID: cloudflare.F(t.AccountID)})
	if isAPIStatus(err, http.StatusNotFound) {
		return nil, &BadInputError{Op: op, Reason: fmt.Sprintf(
			"tunnel %s not found in account %s (cloudflare.tunnel_id, cloudflare.account_id)", t.TunnelID, t.AccountID), Err: err}
	}
	if err != nil {
		return nil, apiError(op+": read tunnel "+t.TunnelID+" configuration", err)
	}
	tc, err := parseTunnelConfig([]byte(res.JSON.RawJSON()))
	if err != nil {
		return nil, &TransientError{Op: op, Err: fmt.Errorf("tunnel %s: %w", t.TunnelID, err)}
	}
	return tc, nil
}

// writeTunnel PUTs tc with its ingress replaced by rules. The body is built
// here rather than by the client's typed parameters so that what we did not
// change goes back exactly as read.
func (r *Router) writeTunnel(ctx context.Context, op string, t *TunnelPlan, tc *tunnelConfig, rules []ingressRule) error {
	config := make(map[string]json.RawMessage, len(tc.fields)+1)
	for k, v := range tc.fields {
		config[k] = v
	}
	ingress := make([]json.RawMessage, len(rules))
	for i, rule := range rules {
		ingress[i] = rule.raw
	}
	var err error
	if config["ingress"], err = json.Marshal(ingress); err != nil {
		return fmt.Errorf("routing: %s: encoding ingress: %w", op, err)
	}
	body, err := json.Marshal(map[string]any{"config": config})
	if err != nil {
		return fmt.Errorf("routing: %s: encoding tunnel configuration: %w", op, err)
	}
	_, err = r.client.ZeroTrust.Tunnels.Cloudflared.Configurations.Update(ctx, t.TunnelID,
		zero_trust.TunnelCloudflaredConfigurationUpdateParams{AccountID: cloudflare.F(t.AccountID)},
		option.WithRequestBody("application/json", body))
	if isAPIStatus(err, http.StatusNotFound) {
		return &BadInputError{Op: op, Reason: fmt.Sprintf("tunnel %s not found in account %s", t.TunnelID, t.AccountID), Err: err}
	}
	return apiError(op+": update tunnel "+t.TunnelID+" configuration", err)
}

// parseTunnelConfig decodes the result of GET .../configurations.
func parseTunnelConfig(result []byte) (*tunnelConfig, error) {
	var doc struct {
		Version int64           `json:"version"`
		Config  json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(result, &doc); err != nil {
		return nil, fmt.Errorf("decoding the configuration: %w", err)
	}
	tc := &tunnelConfig{version: doc.Version, fields: map[string]json.RawMessage{}}
	if len(doc.Config) == 0 || bytes.Equal(doc.Config, []byte("null")) {
		return tc, nil // never configured
	}
	if err := json.Unmarshal(doc.Config, &tc.fields); err != nil {
		return nil, fmt.Errorf("decoding the configuration: %w", err)
	}
	var ingress []json.RawMessage
	if raw, ok := tc.fields["ingress"]; ok && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &ingress); err != nil {
			return nil, fmt.Errorf("decoding the ingress rules: %w", err)
		}
	}
	delete(tc.fields, "ingress")
	for i, raw := range ingress {
		rule, err := parseRule(raw)
		if err != nil {
			return nil, fmt.Errorf("ingress rule #%d: %w", i+1, err)
		}
		tc.rules = append(tc.rules, rule)
	}
	return tc, nil
}

func parseRule(raw json.RawMessage) (ingressRule, error) {
	rule := ingressRule{raw: slices.Clone(raw)}
	if err := json.Unmarshal(raw, &rule); err != nil {
		return ingressRule{}, fmt.Errorf("decoding an ingress rule: %w", err)
	}
	return rule, nil
}

// sameJSON compares two JSON documents by value, so that key order or
// spacing (ours versus the API's) does not matter.
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
