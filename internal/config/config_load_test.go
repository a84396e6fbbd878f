package config

import "testing"

func TestLocalStackConfigLoads(t *testing.T) {
	cfg, err := Load("../../deploy/local/migrawave.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clusters) != 3 || cfg.Clusters[2].MaxBytes != 500<<30 {
		t.Fatalf("clusters = %+v", cfg.Clusters)
	}
	if got := cfg.Hostname("acme"); got != "acme.app.example.com" {
		t.Fatalf("hostname = %q", got)
	}
}
