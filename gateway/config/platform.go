package config

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/invoice"
)

// ChorusConfig is a destination on the Chorus Pro API (PISTE). Secrets are named by the
// environment variables that hold them, never written here.
type ChorusConfig struct {
	Environment        string            `yaml:"environment"` // qualification (default) or production
	BaseURL            string            `yaml:"base_url"`    // overrides the API host (the simulator)
	TokenURL           string            `yaml:"token_url"`   // overrides the OAuth token URL
	ClientIDEnv        string            `yaml:"client_id_env"`
	ClientSecretEnv    string            `yaml:"client_secret_env"`
	AccountLoginEnv    string            `yaml:"account_login_env"`    // technical account, for cpro-account
	AccountPasswordEnv string            `yaml:"account_password_env"` // its password
	Syntax             map[string]string `yaml:"syntax"`               // ubl/cii → syntaxeFlux (defaults IN_DP_E1_UBL_INVOICE, IN_DP_E1_CII_16B)
	Batch              int               `yaml:"batch"`                // invoices per deposit (a tar.gz when > 1); default 1
	Timeout            Duration          `yaml:"timeout"`              // per HTTP call; default 60s
	// IntegrationWindow is how long Chorus Pro is asked whether it holds a deposit whose
	// outcome is unknown (a lost answer, a crash mid-call) before the flux is sent again,
	// once; ReconcileEvery is how often it is asked meanwhile. Defaults 2h and 10m.
	IntegrationWindow Duration `yaml:"integration_window"`
	ReconcileEvery    Duration `yaml:"reconcile_every"`
	// Buyers says, per public buyer SIRET, whether it requires a service code and/or a
	// legal commitment number: none, service, engagement, service_or_engagement,
	// service_and_engagement (the values of Chorus Pro's gestionNumeroEJOuCodeService).
	Buyers map[string]string `yaml:"buyers"`
}

// PAConfig is a destination on an approved platform, through the AFNOR XP Z12-013 Flow
// Service.
type PAConfig struct {
	BaseURL         string   `yaml:"base_url"`  // the Flow Service base URL
	TokenURL        string   `yaml:"token_url"` // OAuth2 client-credentials token URL
	ClientIDEnv     string   `yaml:"client_id_env"`
	ClientSecretEnv string   `yaml:"client_secret_env"`
	Scope           string   `yaml:"scope"`
	FlowProfile     string   `yaml:"flow_profile"`    // Basic, CIUS, Extended-CTC-FR
	ProcessingRule  string   `yaml:"processing_rule"` // B2B (default), B2G, B2BInt, …
	Timeout         Duration `yaml:"timeout"`         // per HTTP call; default 60s
}

// ChorusEDIConfig makes a folder destination a Chorus Pro EDI connection (SFTP): flux files
// are named after the EDI interface code and the partner code, and the reports Chorus Pro
// writes into the returns folder are read back into the acks.
type ChorusEDIConfig struct {
	Partner string       `yaml:"partner"` // the partner code Chorus Pro gave (AAA999)
	Returns FolderConfig `yaml:"returns"` // where Chorus Pro's reports and status files come back
	// Lifecycle says that the connection subscribed to the lifecycle flows (FEN1200A /
	// FEN1201A): invoices are followed after their integration until a final status.
	// Without it, the integration report is the last word.
	Lifecycle bool `yaml:"lifecycle"`
}

var (
	paFlowProfiles    = []string{"Basic", "CIUS", "Extended-CTC-FR", "Undefined"}
	paProcessingRules = []string{"B2B", "B2BInt", "B2C", "B2G", "B2GInt", "OutOfScope", "B2GOutOfScope", "ArchiveOnly", "NotApplicable", "Undefined"}
)

// validateTarget checks that the destination names exactly one target (folder, chorus,
// pa) and that it is well formed; chorus_edi comes only with folder.
func (d DestinationConfig) validateTarget(where string) []error {
	folder := d.Folder.Path != "" || d.Folder.SFTP != nil
	n := 0
	for _, set := range []bool{folder, d.Chorus != nil, d.PA != nil} {
		if set {
			n++
		}
	}
	switch {
	case d.ChorusEDI != nil && !folder:
		return []error{fmt.Errorf("%s: chorus_edi goes with folder (the folder Chorus Pro's EDI connection picks flux files up from), not with chorus or pa", where)}
	case n == 0:
		return []error{fmt.Errorf("%s: say where to deposit: folder (path or sftp), chorus, or pa", where)}
	case n > 1:
		return []error{fmt.Errorf("%s: set only one of folder, chorus and pa", where)}
	case d.ChorusEDI != nil:
		return append(d.Folder.validate(where), d.ChorusEDI.validate(where+": chorus_edi", d)...)
	case folder:
		return d.Folder.validate(where)
	case d.Chorus != nil:
		return d.Chorus.validate(where + ": chorus")
	default:
		return d.PA.validate(where + ": pa")
	}
}

func (e *ChorusEDIConfig) validate(where string, d DestinationConfig) []error {
	var errs []error
	if err := deposit.CheckChorusEDIPartner(e.Partner); err != nil {
		errs = append(errs, fmt.Errorf("%s: partner: %w", where, err))
	}
	if d.Filename != "" {
		errs = append(errs, fmt.Errorf("%s: filename cannot be set: Chorus Pro EDI names every flux file <interface>_<partner>_<id>.xml", where))
	}
	switch r := e.Returns; {
	case r.Path == "" && r.SFTP == nil:
		errs = append(errs, fmt.Errorf("%s: returns is missing: the folder Chorus Pro's reports come back to (path or sftp)", where))
	case sameFolder(r, d.Folder):
		errs = append(errs, fmt.Errorf("%s: returns must not be the deposit folder itself: its reports would be mixed with the flux files", where))
	default:
		errs = append(errs, r.validate(where+": returns")...)
	}
	return errs
}

// sameFolder reports whether a and b name the same folder as written (the same cleaned
// local path, or the same path on the same SFTP host).
func sameFolder(a, b FolderConfig) bool {
	switch {
	case a.SFTP == nil && b.SFTP == nil:
		return path.Clean(filepath.ToSlash(a.Path)) == path.Clean(filepath.ToSlash(b.Path))
	case a.SFTP != nil && b.SFTP != nil:
		return a.SFTP.Host == b.SFTP.Host && a.SFTP.Port == b.SFTP.Port && path.Clean(a.SFTP.Path) == path.Clean(b.SFTP.Path)
	}
	return false
}

func (c *ChorusConfig) validate(where string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	if c.Environment != "" && c.Environment != "qualification" && c.Environment != "production" {
		bad("environment %q: write qualification or production", c.Environment)
	}
	for key, u := range map[string]string{"base_url": c.BaseURL, "token_url": c.TokenURL} {
		if u != "" {
			if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
				bad("%s %q is not an http(s) URL", key, u)
			}
		}
	}
	for key, v := range map[string]string{"client_id_env": c.ClientIDEnv, "client_secret_env": c.ClientSecretEnv,
		"account_login_env": c.AccountLoginEnv, "account_password_env": c.AccountPasswordEnv} {
		if v == "" {
			bad("%s is missing (the name of the environment variable that holds it)", key)
		}
	}
	for s := range c.Syntax {
		if s != "ubl" && s != "cii" {
			bad("syntax: key %q: write ubl or cii", s)
		}
	}
	if c.Batch < 0 {
		bad("batch must not be negative")
	}
	if c.IntegrationWindow < 0 || c.ReconcileEvery < 0 {
		bad("integration_window and reconcile_every must not be negative")
	}
	for siret, r := range c.Buyers {
		if !invoice.ValidSIRET(siret) {
			bad("buyers: %q is not a valid SIRET", siret)
		}
		if !invoice.BuyerRequirement(r).Valid() {
			bad("buyers: %s: %q: write none, service, engagement, service_or_engagement or service_and_engagement", siret, r)
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return cmp.Compare(a.Error(), b.Error()) })
	return errs
}

func (p *PAConfig) validate(where string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	for _, kv := range [][2]string{{"base_url", p.BaseURL}, {"token_url", p.TokenURL}} {
		if kv[1] == "" {
			bad("%s is missing", kv[0])
		} else if u, err := url.Parse(kv[1]); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("%s %q is not an http(s) URL", kv[0], kv[1])
		}
	}
	if p.ClientIDEnv == "" || p.ClientSecretEnv == "" {
		bad("client_id_env and client_secret_env are required (names of environment variables)")
	}
	if p.FlowProfile != "" && !slices.Contains(paFlowProfiles, p.FlowProfile) {
		bad("flow_profile %q: write one of %v", p.FlowProfile, paFlowProfiles)
	}
	if p.ProcessingRule != "" && !slices.Contains(paProcessingRules, p.ProcessingRule) {
		bad("processing_rule %q: write one of %v", p.ProcessingRule, paProcessingRules)
	}
	return errs
}

// DepositConfig turns the configuration of a chorus destination into the deposit package's.
func (c *ChorusConfig) DepositConfig(name string) deposit.ChorusConfig {
	return deposit.ChorusConfig{
		Name: name, Environment: c.Environment, BaseURL: c.BaseURL, TokenURL: c.TokenURL,
		ClientIDEnv: c.ClientIDEnv, ClientSecretEnv: c.ClientSecretEnv,
		AccountLoginEnv: c.AccountLoginEnv, AccountPasswordEnv: c.AccountPasswordEnv,
		Syntax: c.Syntax, Batch: c.Batch,
		IntegrationWindow: time.Duration(c.IntegrationWindow), ReconcileEvery: time.Duration(c.ReconcileEvery),
	}
}

// ProfileOptions turns the buyers' requirements into the chorus-pro profile's options.
func (c *ChorusConfig) ProfileOptions() invoice.ChorusOptions {
	opts := invoice.ChorusOptions{Buyers: map[string]invoice.BuyerRequirement{}}
	for siret, r := range c.Buyers {
		opts.Buyers[siret] = invoice.BuyerRequirement(r)
	}
	return opts
}

// DepositConfig turns the configuration of a pa destination into the deposit package's.
func (p *PAConfig) DepositConfig(name string) deposit.PAConfig {
	return deposit.PAConfig{
		Name: name, BaseURL: p.BaseURL, TokenURL: p.TokenURL, ClientIDEnv: p.ClientIDEnv, ClientSecretEnv: p.ClientSecretEnv,
		Scope: p.Scope, FlowProfile: p.FlowProfile, ProcessingRule: p.ProcessingRule,
	}
}

// HTTPTimeout is the per-call timeout of a platform destination.
func HTTPTimeout(d Duration) time.Duration {
	if d <= 0 {
		return 60 * time.Second
	}
	return time.Duration(d)
}
