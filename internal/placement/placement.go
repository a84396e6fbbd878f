// Package placement chooses target clusters for tenants.
package placement

import (
	"errors"
	"fmt"

	"github.com/migrawave/migrawave/internal/catalog"
)

// Choose returns the cluster with the most free capacity that can take a
// tenant of size bytes: never a draining cluster, never one that would pass
// its database or byte limit. Free capacity is the smaller of the free
// shares of databases and bytes, so a cluster full on either is avoided;
// ties go to the first by name, which keeps the choice deterministic.
func Choose(clusters []catalog.ClusterUsage, size int64) (string, error) {
	best, bestFree := "", -1.0
	for _, c := range clusters {
		if c.Draining {
			continue
		}
		free := 1.0
		if c.MaxDatabases > 0 {
			if c.Databases+1 > c.MaxDatabases {
				continue
			}
			free = min(free, float64(c.MaxDatabases-c.Databases)/float64(c.MaxDatabases))
		}
		if c.MaxBytes > 0 {
			if c.Bytes+size > c.MaxBytes {
				continue
			}
			free = min(free, float64(c.MaxBytes-c.Bytes)/float64(c.MaxBytes))
		}
		if free > bestFree {
			best, bestFree = c.Name, free
		}
	}
	if best == "" {
		if len(clusters) == 0 {
			return "", errors.New("placement: the catalog has no clusters; run `migrawave setup`")
		}
		return "", fmt.Errorf("placement: no cluster can take a tenant of %d bytes: every one is draining or full", size)
	}
	return best, nil
}
