package config

import (
	"strings"
	"testing"
	"time"
)

const deliveryBase = `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    outputs: [ubl]
    destination: pa
destinations:
  - name: pa
    pa: {base_url: https://pa.example, token_url: https://pa.example/t, client_id_env: A, client_secret_env: B}
`

func TestDeliveryKeys(t *testing.T) {
	cfg, err := Parse("/etc/fluxgate.yaml", []byte(deliveryBase))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Destinations[0]
	if time.Duration(cfg.ShutdownTimeout) != DefaultShutdownTimeout || d.TrackEvery() != DefaultTrackEvery ||
		d.Rate == nil || d.Rate.PerSecond != 10 || d.Rate.Burst != 10 {
		t.Fatalf("defaults: shutdown %v, tracking %v, rate %+v", cfg.ShutdownTimeout, d.TrackEvery(), d.Rate)
	}
	set := deliveryBase + "    rate: 300/m\n    tracking: {every: 45s}\nshutdown_timeout: 5s\n"
	if cfg, err = Parse("/etc/fluxgate.yaml", []byte(set)); err != nil {
		t.Fatal(err)
	}
	d = cfg.Destinations[0]
	if time.Duration(cfg.ShutdownTimeout) != 5*time.Second || d.TrackEvery() != 45*time.Second || d.Rate.PerSecond != 5 || d.Rate.Burst != 5 {
		t.Fatalf("set: shutdown %v, tracking %v, rate %+v", cfg.ShutdownTimeout, d.TrackEvery(), d.Rate)
	}
	if cfg, err = Parse("/etc/fluxgate.yaml", []byte(deliveryBase+"    rate: {limit: 0.5/s, burst: 4}\n")); err != nil {
		t.Fatal(err)
	}
	if r := cfg.Destinations[0].Rate; r.PerSecond != 0.5 || r.Burst != 4 {
		t.Fatalf("rate %+v", r)
	}
}

func TestDeliveryKeyErrors(t *testing.T) {
	folder := strings.Replace(deliveryBase, "    pa: {base_url: https://pa.example, token_url: https://pa.example/t, client_id_env: A, client_secret_env: B}", "    folder: {path: out}", 1)
	cases := []struct{ name, yaml, want string }{
		{"tracking too often", deliveryBase + "    tracking: {every: 10s}\n", "tracking.every 10s: ask a platform at most every 30s"},
		{"tracking a folder", folder + "    tracking: {every: 1m}\n", "a plain folder has nothing to track"},
		{"rate unit", deliveryBase + "    rate: 5/day\n", `rate "5/day": unit "day"`},
		{"rate zero", deliveryBase + "    rate: 0/s\n", "positive number of calls"},
		{"rate burst", deliveryBase + "    rate: {limit: 5/s, burst: 0}\n", "burst \"0\""},
		{"rate key", deliveryBase + "    rate: {limit: 5/s, every: 1}\n", "field every not found"},
		{"negative shutdown", deliveryBase + "shutdown_timeout: -1s\n", "shutdown_timeout must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/etc/fluxgate.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
