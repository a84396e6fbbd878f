package placement

import (
	"testing"

	"github.com/migrawave/migrawave/internal/catalog"
)

func usage(name string, dbs, maxDBs int, bytes, maxBytes int64, draining bool) catalog.ClusterUsage {
	return catalog.ClusterUsage{Cluster: catalog.Cluster{Name: name, MaxDatabases: maxDBs, MaxBytes: maxBytes, Draining: draining}, Databases: dbs, Bytes: bytes}
}

func TestChoosePrefersFreeCapacityAndSkipsDrainingAndFull(t *testing.T) {
	cases := []struct {
		name     string
		clusters []catalog.ClusterUsage
		size     int64
		want     string
	}{
		{"most free databases", []catalog.ClusterUsage{usage("a", 8, 10, 0, 0, false), usage("b", 2, 10, 0, 0, false)}, 1, "b"},
		{"bytes count too", []catalog.ClusterUsage{usage("a", 1, 10, 90, 100, false), usage("b", 5, 10, 10, 100, false)}, 1, "b"},
		{"draining never", []catalog.ClusterUsage{usage("a", 0, 10, 0, 100, true), usage("b", 9, 10, 0, 100, false)}, 1, "b"},
		{"would overflow", []catalog.ClusterUsage{usage("a", 0, 10, 95, 100, false), usage("b", 9, 10, 0, 100, false)}, 10, "b"},
		{"tie by name", []catalog.ClusterUsage{usage("a", 1, 10, 0, 0, false), usage("b", 1, 10, 0, 0, false)}, 1, "a"},
	}
	for _, c := range cases {
		if got, err := Choose(c.clusters, c.size); err != nil || got != c.want {
			t.Errorf("%s: Choose = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := Choose([]catalog.ClusterUsage{usage("a", 10, 10, 0, 0, false), usage("b", 0, 10, 0, 0, true)}, 1); err == nil {
		t.Error("Choose found room on a full and a draining cluster")
	}
}
