package cfemu

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Tunnel is a remotely managed cloudflared tunnel and its current
// configuration. Tunnels only come into being through the admin API: the
// emulator models their configuration, not their creation or connections.
type Tunnel struct {
	AccountID string    `json:"account_id"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// ConfigVersion counts configuration updates; 0 means never configured.
	ConfigVersion   int64         `json:"config_version"`
	ConfigCreatedAt *time.Time    `json:"config_created_at,omitempty"`
	Config          *TunnelConfig `json:"config"`
}

// TunnelConfig is the cloudflared configuration the API stores. Origin request
// settings are opaque to the emulator and kept as given.
type TunnelConfig struct {
	Ingress       []IngressRule  `json:"ingress"`
	OriginRequest map[string]any `json:"originRequest,omitempty"`
	WarpRouting   map[string]any `json:"warp-routing,omitempty"`
}

// IngressRule routes requests matching Hostname and Path to Service.
type IngressRule struct {
	Hostname      string         `json:"hostname,omitempty"`
	Service       string         `json:"service"`
	Path          string         `json:"path,omitempty"`
	OriginRequest map[string]any `json:"originRequest,omitempty"`
}

// tunnelConfigResult is the result of GET and PUT .../configurations.
type tunnelConfigResult struct {
	AccountID string        `json:"account_id"`
	TunnelID  string        `json:"tunnel_id"`
	Version   int64         `json:"version"`
	Config    *TunnelConfig `json:"config"`
	Source    string        `json:"source"`
	CreatedAt time.Time     `json:"created_at"`
}

func (t Tunnel) configResult() tunnelConfigResult {
	createdAt := t.CreatedAt
	if t.ConfigCreatedAt != nil {
		createdAt = *t.ConfigCreatedAt
	}
	return tunnelConfigResult{
		AccountID: t.AccountID,
		TunnelID:  t.ID,
		Version:   t.ConfigVersion,
		Config:    t.Config,
		Source:    "cloudflare",
		CreatedAt: createdAt,
	}
}

func (s *Server) getTunnelConfig(r *http.Request) (any, error) {
	return s.read(func(st *State) (any, error) {
		t, ok := st.tunnel(r.PathValue("account_id"), r.PathValue("tunnel_id"))
		if !ok {
			return nil, errTunnelNotFound()
		}
		return t.configResult(), nil
	})
}

// putTunnelConfig replaces the whole configuration and bumps its version.
func (s *Server) putTunnelConfig(r *http.Request) (any, error) {
	var body struct {
		Config *TunnelConfig `json:"config"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	if err := validateTunnelConfig(body.Config); err != nil {
		return nil, err
	}
	return s.mutate(func(st *State) (any, error) {
		t, ok := st.tunnel(r.PathValue("account_id"), r.PathValue("tunnel_id"))
		if !ok {
			return nil, errTunnelNotFound()
		}
		now := s.now()
		t.Config = body.Config
		t.ConfigVersion++
		t.ConfigCreatedAt = &now
		return t.configResult(), nil
	})
}

// validateTunnelConfig applies the checks the API (through cloudflared's
// ingress parser) makes before accepting a configuration.
func validateTunnelConfig(cfg *TunnelConfig) error {
	if cfg == nil {
		return errTunnelConfig("config is required")
	}
	if cfg.Ingress == nil {
		cfg.Ingress = []IngressRule{}
	}
	for i, rule := range cfg.Ingress {
		if !validService(rule.Service) {
			return errTunnelConfig(fmt.Sprintf("ingress rule #%d has an invalid service %q", i+1, rule.Service))
		}
	}
	if n := len(cfg.Ingress); n > 0 {
		last := cfg.Ingress[n-1]
		if (last.Hostname != "" && last.Hostname != "*") || last.Path != "" {
			return errTunnelConfig("The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)")
		}
	}
	return nil
}

// validService accepts the service forms cloudflared understands: an origin
// URL (http, https, tcp, ssh, rdp, ...), http_status:<code>, unix sockets and
// the built-in services.
func validService(service string) bool {
	switch {
	case service == "hello_world" || service == "bastion" || service == "socks5":
		return true
	case strings.HasPrefix(service, "http_status:"):
		var code int
		_, err := fmt.Sscanf(strings.TrimPrefix(service, "http_status:"), "%d", &code)
		return err == nil && code >= 100 && code <= 599
	case strings.HasPrefix(service, "unix:") || strings.HasPrefix(service, "unix+tls:"):
		return len(service) > strings.Index(service, ":")+1
	}
	u, err := url.Parse(service)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// newTunnelID returns a random UUIDv4, the shape of real tunnel ids.
func newTunnelID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
