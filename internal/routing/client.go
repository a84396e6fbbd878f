// Package routing switches tenant traffic through Cloudflare DNS or Tunnels.
package routing

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/migrawave/migrawave/internal/config"
)

// ProductionBaseURL is the real Cloudflare API, used when cloudflare.base_url is empty.
const ProductionBaseURL = "https://api.cloudflare.com/client/v4/"

const (
	// maxRetries keeps a failing call short: our callers (activities) have
	// their own retry policies, and retries multiply.
	maxRetries = 2
	// requestTimeout bounds each attempt; a context deadline bounds the whole call.
	requestTimeout = 30 * time.Second
)

// Headers cloudflare-go sends when it finds CLOUDFLARE_API_KEY, CLOUDFLARE_EMAIL
// or CLOUDFLARE_API_USER_SERVICE_KEY in the environment. We authenticate with
// the configured token only, so they are removed from every request.
var envAuthHeaders = []string{"X-Auth-Key", "X-Auth-Email", "X-Auth-User-Service-Key"}

// NewClient returns a cloudflare-go v7 client for cfg.Cloudflare: the
// configured base URL (the real API when empty) and the token from
// cfg.CloudflareToken().
//
// cloudflare.NewClient reads CLOUDFLARE_* environment variables by itself
// (token, API key and email, base URL, custom headers). The configuration is
// the single source of truth here, so every one of those is overridden or
// removed: a stray variable in a shell or CI job cannot redirect calls or
// authenticate as someone else.
func NewClient(cfg *config.Config) (*cloudflare.Client, error) {
	base := cfg.Cloudflare.BaseURL
	if base == "" {
		base = ProductionBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("routing: cloudflare.base_url %q is not an http(s) URL", base)
	}
	// The library applies the environment's options before ours; an
	// unparsable CLOUDFLARE_BASE_URL would make every request fail even
	// though ours replaces it, so say so up front rather than per request.
	if v, ok := os.LookupEnv("CLOUDFLARE_BASE_URL"); ok {
		if _, err := url.Parse(v); err != nil {
			return nil, errors.New("routing: the environment variable CLOUDFLARE_BASE_URL is not a valid URL; unset it (migrawave uses cloudflare.base_url)")
		}
	}
	token, err := cfg.CloudflareToken()
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}

	opts := []option.RequestOption{
		option.WithBaseURL(base),
		option.WithAPIToken(token),
		option.WithMaxRetries(maxRetries),
		option.WithRequestTimeout(requestTimeout),
	}
	for _, h := range envAuthHeaders {
		opts = append(opts, option.WithHeaderDel(h))
	}
	for _, h := range envCustomHeaders() {
		if !libraryHeader(h) {
			opts = append(opts, option.WithHeaderDel(h))
		}
	}
	return cloudflare.NewClient(opts...), nil
}

// libraryHeader reports whether the library sets header h on every request
// itself (Authorization comes from WithAPIToken). Deleting those would break
// requests; a custom value for them is overwritten or harmless.
func libraryHeader(h string) bool {
	switch http.CanonicalHeaderKey(h) {
	case "Authorization", "Accept", "Content-Type", "User-Agent":
		return true
	}
	return strings.HasPrefix(http.CanonicalHeaderKey(h), "X-Stainless-")
}

// envCustomHeaders lists the header names cloudflare-go adds from
// CLOUDFLARE_CUSTOM_HEADERS ("Name: value" lines), parsed the way it does.
func envCustomHeaders() []string {
	v, ok := os.LookupEnv("CLOUDFLARE_CUSTOM_HEADERS")
	if !ok {
		return nil
	}
	var names []string
	for _, line := range strings.Split(v, "\n") {
		if name, _, found := strings.Cut(line, ":"); found {
			if name = strings.TrimSpace(name); name != "" {
				names = append(names, name)
			}
		}
	}
	return names
}
