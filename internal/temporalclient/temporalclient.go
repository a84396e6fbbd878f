// Package temporalclient dials the Temporal server named in the configuration
// and registers the search attributes migrawave's workflows use.
package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/migrawave/migrawave/internal/config"
)

// Dial connects to Temporal and checks that the server answers.
func Dial(ctx context.Context, cfg config.Temporal, logger *slog.Logger) (client.Client, error) {
	return DialWith(ctx, cfg, logger, nil)
}

// DialWith is Dial with a metrics handler (nil for none).
func DialWith(ctx context.Context, cfg config.Temporal, logger *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts := client.Options{
		HostPort:       cfg.Address,
		Namespace:      cfg.Namespace,
		Logger:         sdklog.NewStructuredLogger(logger),
		MetricsHandler: metrics,
	}
	if cfg.TLS.Enabled {
		tlsCfg, err := tlsConfig(cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsCfg
	}
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("temporal: cannot reach %s (namespace %s): %v", cfg.Address, cfg.Namespace, errors.Unwrap(err))
	}
	return c, nil
}

func tlsConfig(t config.TLS) (*tls.Config, error) {
	out := &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.ca_file: %w", err)
		}
		out.RootCAs = x509.NewCertPool()
		if !out.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal.tls.ca_file: %s holds no PEM certificate", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("temporal.tls.cert_file: %w", err)
		}
		out.Certificates = []tls.Certificate{cert}
	}
	return out, nil
}

// EnsureSearchAttributes registers the Keyword search attributes that are
// missing from the namespace and returns the names it added.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, names []string) ([]string, error) {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("temporal: listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	added := []string{}
	for _, name := range names {
		if t, ok := existing.GetCustomAttributes()[name]; ok {
			if t != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
				return nil, fmt.Errorf("temporal: search attribute %s exists with type %s, migrawave needs Keyword", name, t)
			}
			continue
		}
		missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		added = append(added, name)
	}
	if len(missing) == 0 {
		return added, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return nil, fmt.Errorf("temporal: registering search attributes %v: %w", added, err)
	}
	return added, nil
}
