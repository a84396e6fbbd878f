package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/migrawave/migrawave/internal/cfemu"
	"github.com/migrawave/migrawave/internal/config"
	"github.com/migrawave/migrawave/internal/testenv"
)

// The tests run the Cloudflare emulator in-process and drive it through the
// engine with the real cloudflare-go client, as production does.

const (
	zoneName   = "example.com"
	oldTarget  = "legacy-lb.example.com"
	catchAll   = "http_status:404"
	unknownTun = "00000000-0000-4000-8000-000000000000"
)

// env is one test's emulator and the configuration pointing at it.
type env struct {
	t   *testing.T
	cfg *config.Config
	emu *cfemu.Server
	// root is the emulator's address, where the admin API lives.
	root string
}

// newEnv starts an emulator with the example.com zone and the local stack's
// Cloudflare settings, in the given mode.
func newEnv(t *testing.T, mode string) *env {
	t.Helper()
	cfg := testenv.Config(t)
	cfg.Cloudflare.Mode = mode
	emu := testenv.Cloudflare(t, cfg, cfemu.Options{})
	e := &env{t: t, cfg: cfg, emu: emu, root: strings.TrimSuffix(cfg.Cloudflare.BaseURL, cfemu.APIPrefix)}
	e.admin(http.MethodPost, "/__admin/zones", map[string]any{"id": cfg.Cloudflare.ZoneID, "name": zoneName})
	return e
}

// router returns a Router on the env's configuration.
func (e *env) router(opts ...Option) *Router {
	e.t.Helper()
	if e.cfg.Cloudflare.Mode == config.ModeTunnel && len(opts) == 0 {
		opts = []Option{WithLocker(NewLocalLocker())}
	}
	r, err := New(e.cfg, opts...)
	if err != nil {
		e.t.Fatalf("routing.New: %v", err)
	}
	return r
}

// admin calls the emulator's admin API and fails the test on a non-2xx answer.
func (e *env) admin(method, path string, body any) []byte {
	e.t.Helper()
	return testenv.EmulatorAdmin{T: e.t, URL: e.root}.Call(method, path, body, 0)
}

// seedTenant creates the record the demo seeder creates for a tenant: a
// proxied CNAME to the old target with our tag.
func (e *env) seedTenant(tenant string) {
	e.t.Helper()
	e.seedRecord(e.cfg.Hostname(tenant), "CNAME", oldTarget, "tenant "+tenant, OwnerTag(e.cfg, tenant))
}

// seedRecord creates a record; ttl 1 and proxied for CNAME and A records.
func (e *env) seedRecord(name, typ, content, comment string, tags ...string) {
	e.t.Helper()
	rec := map[string]any{
		"zone_id": e.cfg.Cloudflare.ZoneID, "name": name, "type": typ, "content": content,
		"proxied": typ == "CNAME" || typ == "A", "ttl": 1, "tags": append([]string{}, tags...),
	}
	if comment != "" {
		rec["comment"] = comment
	}
	e.admin(http.MethodPost, "/__admin/records", rec)
}

// seedForeign creates records of the zone that are not ours, as the demo does.
func (e *env) seedForeign() {
	e.t.Helper()
	e.seedRecord("www."+zoneName, "A", "192.0.2.10", "managed by the web team")
	e.seedRecord("api."+zoneName, "CNAME", "elsewhere-lb.example.com", "managed by the web team")
}

// seedTunnel creates the configured tunnel with the given ingress rules.
func (e *env) seedTunnel(config map[string]any) {
	e.t.Helper()
	body := map[string]any{"account_id": e.cfg.Cloudflare.AccountID, "id": e.cfg.Cloudflare.TunnelID, "name": "platform"}
	if config != nil {
		body["config"] = config
	}
	e.admin(http.MethodPost, "/__admin/tunnels", body)
}

// state is the emulator's full state.
func (e *env) state() cfemu.State {
	e.t.Helper()
	st, err := e.emu.Snapshot()
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// dump renders a state for comparison.
func dump(t *testing.T, st cfemu.State) string {
	t.Helper()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// normalized returns the state dump with only the fields the API itself
// restamps on every write blanked: a record's modified_on,
// comment_modified_on and tags_modified_on (set on any edit, even one that
// writes a value back), and a tunnel configuration's version and created_at
// (bumped by every PUT). Everything else — ids, names, contents, proxied,
// ttl, comments, tags and their order, created_on, every ingress rule and
// its position, origin settings — must match exactly.
func normalized(t *testing.T, st cfemu.State) string {
	t.Helper()
	for i := range st.Zones {
		for j := range st.Zones[i].Records {
			rec := &st.Zones[i].Records[j]
			rec.ModifiedOn = time.Time{}
			rec.CommentModifiedOn = nil
			rec.TagsModifiedOn = nil
		}
	}
	for i := range st.Tunnels {
		st.Tunnels[i].ConfigVersion = 0
		st.Tunnels[i].ConfigCreatedAt = nil
	}
	return dump(t, st)
}

// requireSameState fails when two dumps differ, showing the first difference.
func requireSameState(t *testing.T, what, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Fatalf("%s: state differs at line %d:\nwant %s\ngot  %s\n\nfull state:\n%s", what, i+1, w, g, got)
		}
	}
}

// record returns the zone's record called name.
func (e *env) record(name string) cfemu.Record {
	e.t.Helper()
	var found []cfemu.Record
	for _, z := range e.state().Zones {
		for _, rec := range z.Records {
			if rec.Name == name {
				found = append(found, rec)
			}
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("%d records named %s, want 1", len(found), name)
	}
	return found[0]
}

// ingress returns the configured tunnel's rules.
func (e *env) ingress() []cfemu.IngressRule {
	e.t.Helper()
	for _, tun := range e.state().Tunnels {
		if tun.ID == e.cfg.Cloudflare.TunnelID && tun.Config != nil {
			return tun.Config.Ingress
		}
	}
	e.t.Fatalf("tunnel %s has no configuration", e.cfg.Cloudflare.TunnelID)
	return nil
}

// writes counts the API requests that could change something.
func (e *env) writes() int {
	n := 0
	for _, req := range e.emu.Requests() {
		if req.Method != http.MethodGet {
			n++
		}
	}
	return n
}

// retried counts the errors retryLikeTemporal retried, by class, for the test logs.
var retried struct{ rateLimited, transient atomic.Int64 }

// retryLikeTemporal calls fn the way a Temporal activity retry policy would: again on a
// transient error, after the server's Retry-After on a 429, never on bad
// input or an unclassified error.
func retryLikeTemporal[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	const attempts = 60
	var zero T
	for attempt := 1; ; attempt++ {
		v, err := fn()
		if err == nil {
			return v, nil
		}
		if !IsTransient(err) || attempt == attempts {
			return zero, fmt.Errorf("attempt %d: %w", attempt, err)
		}
		delay := 10 * time.Millisecond
		if d, ok := RetryAfter(err); ok {
			retried.rateLimited.Add(1)
			delay = max(delay, d)
		} else {
			retried.transient.Add(1)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return zero, errors.Join(ctx.Err(), err)
		}
	}
}

// must is retry for the test goroutine: it fails the test on error.
func must[T any](t *testing.T, what string, fn func() (T, error)) T {
	t.Helper()
	v, err := retryLikeTemporal(context.Background(), fn)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// nothing adapts an error-only call to retry.
func nothing(fn func() error) func() (struct{}, error) {
	return func() (struct{}, error) { return struct{}{}, fn() }
}

// mustJSON converts v to dst through JSON.
func mustJSON(t *testing.T, v, dst any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, dst); err != nil {
		t.Fatal(err)
	}
}
