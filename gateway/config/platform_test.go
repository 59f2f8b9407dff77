package config

import (
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/invoice"
)

func TestPlatformDestinationsConfig(t *testing.T) {
	src := `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    profile: chorus-pro
    destination: out
destinations:
`
	ok := src + `
  - name: out
    schedule: "@every 5m"
    chorus:
      environment: qualification
      base_url: http://127.0.0.1:8089
      token_url: http://127.0.0.1:8089/api/oauth/token
      client_id_env: FLUXGATE_CLIENT_ID
      client_secret_env: FLUXGATE_CLIENT_SECRET
      account_login_env: FLUXGATE_CPRO_LOGIN
      account_password_env: FLUXGATE_CPRO_PASSWORD
      batch: 20
      buyers: {"11000201100044": service_and_engagement}
  - name: pa
    pa:
      base_url: https://pa.example/flow-service
      token_url: https://pa.example/oauth/token
      client_id_env: PA_ID
      client_secret_env: PA_SECRET
      flow_profile: CIUS
      processing_rule: B2B
`
	cfg, err := Parse("/cfg/fluxgate.yaml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Destinations[0].Chorus
	dc := c.DepositConfig("out")
	if dc.Batch != 20 || dc.BaseURL != "http://127.0.0.1:8089" || dc.ClientSecretEnv != "FLUXGATE_CLIENT_SECRET" {
		t.Errorf("deposit config %+v", dc)
	}
	if c.ProfileOptions().Buyers["11000201100044"] != invoice.RequireServiceAndCommitment {
		t.Errorf("profile options %+v", c.ProfileOptions())
	}
	if p := cfg.Destinations[1].PA.DepositConfig("pa"); p.FlowProfile != "CIUS" || p.ClientIDEnv != "PA_ID" {
		t.Errorf("pa config %+v", p)
	}

	cases := []struct{ name, dest, want string }{
		{"nothing", "  - name: out\n", "say where to deposit"},
		{"two targets", "  - name: out\n    folder: {path: o}\n    pa: {base_url: http://x, token_url: http://x/t, client_id_env: A, client_secret_env: B}\n", "only one of folder, chorus and pa"},
		{"environment", "  - name: out\n    chorus: {environment: prod, client_id_env: A, client_secret_env: B, account_login_env: C, account_password_env: D}\n", `environment "prod"`},
		{"secret names", "  - name: out\n    chorus: {environment: production}\n", "client_secret_env is missing"},
		{"buyers", "  - name: out\n    chorus: {client_id_env: A, client_secret_env: B, account_login_env: C, account_password_env: D, buyers: {\"123\": service}}\n", `"123" is not a valid SIRET`},
		{"pa urls", "  - name: out\n    pa: {client_id_env: A, client_secret_env: B, processing_rule: B2X}\n", "base_url is missing"},
		{"pa rule", "  - name: out\n    pa: {base_url: http://x, token_url: http://x/t, client_id_env: A, client_secret_env: B, processing_rule: B2X}\n", `processing_rule "B2X"`},
		{"unknown key", "  - name: out\n    chorus: {client_secret: oops}\n", "client_secret"},
	}
	for _, c := range cases {
		_, err := Parse("/cfg/fluxgate.yaml", []byte(src+c.dest))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

func TestChorusEDIConfig(t *testing.T) {
	src := `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    destination: out
destinations:
  - name: out
`
	cfg, err := Parse("/cfg/fluxgate.yaml", []byte(src+"    folder: {path: outbox}\n    chorus_edi: {partner: ABC123, returns: {path: returns}, lifecycle: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Destinations[0].ChorusEDI; e.Partner != "ABC123" || e.Returns.Path != "returns" || !e.Lifecycle {
		t.Errorf("chorus_edi %+v", e)
	}
	cases := []struct{ name, dest, want string }{
		{"no folder", "    chorus_edi: {partner: ABC123, returns: {path: r}}\n", "chorus_edi goes with folder"},
		{"partner", "    folder: {path: o}\n    chorus_edi: {partner: ab-1, returns: {path: r}}\n", `partner code "ab-1"`},
		{"no returns", "    folder: {path: o}\n    chorus_edi: {partner: ABC123}\n", "returns is missing"},
		{"same folder", "    folder: {path: o}\n    chorus_edi: {partner: ABC123, returns: {path: ./o/}}\n", "must not be the deposit folder"},
		{"bad sftp", "    folder: {path: o}\n    chorus_edi: {partner: ABC123, returns: {sftp: {host: h, user: u, key_file: k}}}\n", "chorus_edi: returns: folder.sftp: the server's host key"},
		{"filename", "    folder: {path: o}\n    filename: \"{invoice}.xml\"\n    chorus_edi: {partner: ABC123, returns: {path: r}}\n", "filename cannot be set"},
		{"with chorus", "    chorus_edi: {partner: ABC123, returns: {path: r}}\n    chorus: {client_id_env: A, client_secret_env: B, account_login_env: C, account_password_env: D}\n", "chorus_edi goes with folder"},
	}
	for _, c := range cases {
		_, err := Parse("/cfg/fluxgate.yaml", []byte(src+c.dest))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}
