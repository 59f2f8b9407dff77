package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load(filepath.Join(testutil.RepoRoot(t), "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if s.Name != "ventes" || time.Duration(s.Ready.Quiet) != 2*time.Second || len(s.Outputs) != 2 {
		t.Fatalf("source = %+v", s)
	}
	if got := cfg.Path("./var/inbox"); got != filepath.Join(testutil.RepoRoot(t), "var", "inbox") {
		t.Fatalf("relative paths resolve against the config folder: %s", got)
	}
	if err := CheckMappings(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
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
	cases := []struct{ name, yaml, want string }{
		{"unknown key with line", base + "bogus: 1\n", "line 10"},
		{"unknown nested key", strings.Replace(base, "mapping: m.xml", "mapping: m.xml\n    mapp: x", 1), "field mapp not found"},
		{"bad duration", strings.Replace(base, "mapping: m.xml", "mapping: m.xml\n    ready: {quiet: soon}", 1), "not a duration"},
		{"undefined destination", strings.Replace(base, "destination: out", "destination: nowhere", 1), `destination "nowhere" is not defined`},
		{"bad schedule", base + "    schedule: \"every night\"\n", `schedule "every night"`},
		{"bad output", strings.Replace(base, "mapping: m.xml", "mapping: m.xml\n    outputs: [pdf]", 1), `output "pdf"`},
		{"no sources", "destinations: []\n", "no sources"},
		{"two syntaxes to a platform", strings.Replace(strings.Replace(base, "mapping: m.xml", "mapping: m.xml\n    outputs: [ubl, cii]", 1),
			"    folder: {path: out}", "    pa: {base_url: https://pa.example, token_url: https://pa.example/t, client_id_env: A, client_secret_env: B}", 1), "must receive each invoice once"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/etc/fluxgate.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "/etc/fluxgate.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	for _, spec := range []string{"now", "@every 1m", "0 2 * * *", "@daily"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
	s, _ := ParseSchedule("0 2 * * *")
	from := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	if next := s.Cron.Next(from); !next.Equal(time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("nightly schedule fires at %v", next)
	}
}
