package config

import (
	"strings"
	"testing"
	"time"
)

func TestJournalDrivers(t *testing.T) {
	base := `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    destination: out
destinations:
  - name: out
    folder: {path: out}
`
	cfg, err := Parse("/etc/fluxgate.yaml", []byte(base+"journal: {driver: postgres, dsn_env: FLUXGATE_PG_DSN, lease: 45s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Journal.Driver != "postgres" || cfg.Journal.DSNEnv != "FLUXGATE_PG_DSN" || cfg.Journal.LeaseFor() != 45*time.Second {
		t.Fatalf("journal = %+v", cfg.Journal)
	}
	// The DSN is a secret: config check resolves it, and says which variable is missing.
	if err := cfg.CheckSecrets(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "FLUXGATE_PG_DSN") {
		t.Fatalf("an unset DSN variable: %v", err)
	}
	for yaml, want := range map[string]string{
		"journal: {driver: postgres}\n":                        "journal.dsn_env",
		"journal: {driver: mysql}\n":                           `journal.driver "mysql": sqlite (one instance) or postgres (several)`,
		"journal: {driver: postgres, dsn: postgres://u:p@h}\n": "dsn",
	} {
		if _, err := Parse("/etc/fluxgate.yaml", []byte(base+yaml)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", yaml, err, want)
		}
	}
	if cfg, err := Parse("/etc/fluxgate.yaml", []byte(base)); err != nil || cfg.Journal.Driver != "sqlite" || cfg.Journal.LeaseFor() != 2*time.Minute {
		t.Fatalf("default journal: %+v, %v", cfg.Journal, err)
	}
}
