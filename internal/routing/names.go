package routing

import (
	"fmt"
	"strings"

	"github.com/migrawave/migrawave/internal/config"
)

// OwnerTag is the DNS record tag that marks a tenant's record as managed by
// migrawave: "<cloudflare.tag>:<tenant>" (Cloudflare tags are name:value).
// The demo seeder writes the same tag; a test keeps the two in step.
func OwnerTag(cfg *config.Config, tenant string) string {
	return ownerTag(cfg.Cloudflare.Tag, tenant)
}

func ownerTag(tag, tenant string) string { return tag + ":" + tenant }

// TunnelTarget is the CNAME content that routes a hostname into a tunnel.
func TunnelTarget(tunnelID string) string {
	return strings.ToLower(tunnelID) + ".cfargotunnel.com"
}

// checkHostname validates a DNS name the way we require tenant hostnames to
// be: lower-case labels of 1–63 characters from [a-z0-9-], neither starting
// nor ending with '-', at least two labels, at most 253 characters. The
// API would refuse some of these and silently rewrite others (it appends the
// zone to names outside it), so checking first keeps mistakes from ever
// reaching it.
func checkHostname(name string) error {
	if name == "" {
		return fmt.Errorf("the hostname is empty")
	}
	if len(name) > 253 {
		return fmt.Errorf("%q is %d characters long, more than the 253 a DNS name may have", name, len(name))
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%q is a single label, not a hostname in a zone", name)
	}
	for _, label := range labels {
		switch {
		case label == "":
			return fmt.Errorf("%q has an empty label", name)
		case len(label) > 63:
			return fmt.Errorf("%q has a label of %d characters, more than 63", name, len(label))
		case label[0] == '-' || label[len(label)-1] == '-':
			return fmt.Errorf("%q has a label %q starting or ending with '-'", name, label)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q has a label %q with the character %q (allowed: a-z, 0-9, '-')", name, label, c)
			}
		}
	}
	return nil
}

// sameHost compares two DNS names as DNS does: case-insensitively and with
// or without the root's trailing dot.
func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}
