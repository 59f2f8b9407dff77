// Package config loads, completes with defaults and validates the YAML configuration. It is
// loaded once and passed down; secrets are never in it, only the names of the environment
// variables (or files) that hold them.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/mapping"
	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration, loaded once and passed down.
type Config struct {
	Journal      JournalConfig       `yaml:"journal"`
	Spool        string              `yaml:"spool"` // where flux files wait for their deposit
	Sources      []SourceConfig      `yaml:"sources"`
	Destinations []DestinationConfig `yaml:"destinations"`
	Log          LogConfig           `yaml:"log"`
	OpsConfig    `yaml:",inline"`    // http: and alerts: (http.go)
	RunConfig    `yaml:",inline"`    // shutdown_timeout: (delivery.go)

	// Dir is the folder of the configuration file; relative paths are resolved against it.
	Dir string `yaml:"-"`
}

// JournalConfig says where the journal is.
type JournalConfig struct {
	Driver string `yaml:"driver"` // sqlite (one instance), or postgres (several instances)
	Path   string `yaml:"path"`   // sqlite
	// DSNEnv names the variable holding the PostgreSQL DSN (postgres); never logged.
	DSNEnv string `yaml:"dsn_env"`
	// Lease is how long an instance holds a flux it deposits before another may take it
	// over (postgres; default 2m): longer than any one deposit lasts.
	Lease Duration `yaml:"lease"`
	// StaleAfter is how long an instance may go without a heartbeat before the others
	// take it for dead and take its files over (postgres; default 30s).
	StaleAfter Duration `yaml:"stale_after"`
}

// LeaseFor is the journal's lease (Lease, or 2m).
func (j JournalConfig) LeaseFor() time.Duration {
	if j.Lease > 0 {
		return time.Duration(j.Lease)
	}
	return 2 * time.Minute
}

// FolderConfig is a folder on some transport: exactly one of a local path and an SFTP
// server (see SFTPConfig in folder.go).
type FolderConfig struct {
	Path string      `yaml:"path"`
	SFTP *SFTPConfig `yaml:"sftp"`
}

// SourceConfig is one drop folder and what to do with what is dropped there.
type SourceConfig struct {
	Name        string       `yaml:"name"`
	Folder      FolderConfig `yaml:"folder"`
	Pattern     string       `yaml:"pattern"`
	Ready       ReadyConfig  `yaml:"ready"`
	Rescan      Duration     `yaml:"rescan"`
	Poll        string       `yaml:"poll"` // optional cron spec replacing rescan (SFTP sources)
	Ack         AckConfig    `yaml:"ack"`
	Mapping     string       `yaml:"mapping"`
	Outputs     []string     `yaml:"outputs"`
	Profile     string       `yaml:"profile"`
	Destination string       `yaml:"destination"`
	Dedupe      DedupeConfig `yaml:"dedupe"`
	Limits      LimitsConfig `yaml:"limits"`
	// Workers is how many files of the source are processed at once (0: the number of
	// cores). Each file is still claimed once and mapped and checked on its own; their
	// durable writes overlap.
	Workers int `yaml:"workers"`
}

// DedupeConfig says what is never deposited twice. Both are on unless turned off.
type DedupeConfig struct {
	// Files: a file whose bytes (sha256) were accepted before is acknowledged DUPLICATE and
	// nothing of it is deposited.
	Files *bool `yaml:"files"`
	// Invoices: an invoice (seller, number, issue date) accepted before from any file is
	// marked DUPLICATE and not deposited again, so a corrected file can be dropped again.
	Invoices *bool `yaml:"invoices"`
}

// LimitsConfig bounds what one file may hold; 0 means the default.
type LimitsConfig struct {
	MaxFileSize        Size `yaml:"max_file_size"`         // default 200MB
	MaxInvoices        int  `yaml:"max_invoices"`          // per file, default 100000
	MaxLinesPerInvoice int  `yaml:"max_lines_per_invoice"` // default 10000
}

// Size is a byte count written as 500KB, 200MB, 1GB or a plain number.
type Size int64

// UnmarshalYAML reads a size with an optional KB, MB or GB suffix (powers of 1024).
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v := strings.ToUpper(strings.TrimSpace(n.Value))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil || i < 0 {
		return fmt.Errorf("line %d: %q is not a size (write for example 500KB, 200MB or 1GB)", n.Line, n.Value)
	}
	*s = Size(i * mult)
	return nil
}

// FilesOn reports whether files already accepted are acknowledged DUPLICATE (default on).
func (d DedupeConfig) FilesOn() bool { return d.Files == nil || *d.Files }

// InvoicesOn reports whether invoices already accepted are not deposited again (default on).
func (d DedupeConfig) InvoicesOn() bool { return d.Invoices == nil || *d.Invoices }

// ReadyConfig says when a file is complete.
type ReadyConfig struct {
	Quiet  Duration `yaml:"quiet"`
	Marker string   `yaml:"marker"`
}

// AckConfig says where acknowledgements go and how they read.
type AckConfig struct {
	Path     string     `yaml:"path"`     // default: <source folder>/ack
	Format   AckFormats `yaml:"format"`   // xml (default), csv, or [xml, csv] (ack.go)
	Encoding string     `yaml:"encoding"` // of CSV acks: windows-1252 (default), utf-8, …
	Language string     `yaml:"language"` // fr (default) or en
}

// DestinationConfig is one place flux files are deposited.
type DestinationConfig struct {
	Name     string        `yaml:"name"`
	Folder   FolderConfig  `yaml:"folder"`
	Schedule string        `yaml:"schedule"` // "now", a cron spec, or "@every 1m"
	Filename string        `yaml:"filename"` // flux name template, default "{invoice}_{syntax}.xml"
	Chorus   *ChorusConfig `yaml:"chorus"`   // or: the Chorus Pro API (platform.go)
	PA       *PAConfig     `yaml:"pa"`       // or: an approved platform (XP Z12-013)
	// ChorusEDI makes a folder destination a Chorus Pro EDI connection (platform.go).
	ChorusEDI *ChorusEDIConfig `yaml:"chorus_edi"`
	Rate      *Rate            `yaml:"rate"`     // paces every call (delivery.go); default 10/s for chorus and pa
	Tracking  *TrackingConfig  `yaml:"tracking"` // how often a platform is asked (delivery.go)
}

// LogConfig sets the log output.
type LogConfig struct {
	Format string `yaml:"format"` // text (default) or json
	Level  string `yaml:"level"`  // debug, info (default), warn, error
}

// Duration is a time.Duration written as "2s", "1m30s".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write for example 2s or 1m30s)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Load reads and checks the configuration file at path. Unknown keys are errors, with
// the file and line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(abs, data)
}

// Parse reads a configuration held in data; name is its path, for messages and for
// resolving relative paths.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", name, explainYAML(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	c.Dir = filepath.Dir(name)
	c.setDefaults()
	if err := errors.Join(c.validate(), errors.Join(c.checkSecretNames()...)); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

func (c *Config) setDefaults() {
	if c.Journal.Driver == "" {
		c.Journal.Driver = "sqlite"
	}
	if c.Journal.Path == "" {
		c.Journal.Path = "var/fluxgate.db"
	}
	if c.Spool == "" {
		c.Spool = "var/spool"
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Ready.Quiet == 0 && s.Ready.Marker == "" {
			s.Ready.Quiet = Duration(2 * time.Second)
		}
		if s.Rescan == 0 {
			s.Rescan = Duration(10 * time.Second)
		}
		s.Ack.setDefaults()
		if s.Ack.Language == "" {
			s.Ack.Language = "fr"
		}
		if len(s.Outputs) == 0 {
			s.Outputs = []string{"ubl"}
		}
		if s.Workers == 0 {
			s.Workers = runtime.NumCPU()
		}
		if s.Profile == "" {
			s.Profile = "en16931"
		}
		if s.Limits.MaxFileSize == 0 {
			s.Limits.MaxFileSize = 200 << 20
		}
		if s.Limits.MaxInvoices == 0 {
			s.Limits.MaxInvoices = 100000
		}
		if s.Limits.MaxLinesPerInvoice == 0 {
			s.Limits.MaxLinesPerInvoice = 10000
		}
	}
	for i := range c.Destinations {
		if c.Destinations[i].Schedule == "" {
			c.Destinations[i].Schedule = "now"
		}
	}
	c.setDeliveryDefaults()
}

// checkName checks that a list entry has a name, not one already in seen (an earlier entry's),
// and adds it to seen: sources and destinations follow the same naming rule.
func checkName(where, name string, seen map[string]bool) []error {
	var errs []error
	if name == "" {
		errs = append(errs, fmt.Errorf("%s: name is missing", where))
	}
	if seen[name] {
		errs = append(errs, fmt.Errorf("%s: name %q is used twice", where, name))
	}
	seen[name] = true
	return errs
}

func (c *Config) validate() error {
	errs := append(c.validateOps(), c.validateDelivery()...)
	switch c.Journal.Driver {
	case "sqlite":
	case "postgres":
		if c.Journal.DSNEnv == "" {
			errs = append(errs, errors.New("journal.dsn_env: the postgres journal needs the name of the environment variable that holds its DSN"))
		}
	default:
		errs = append(errs, fmt.Errorf("journal.driver %q: sqlite (one instance) or postgres (several)", c.Journal.Driver))
	}
	if len(c.Sources) == 0 {
		errs = append(errs, errors.New("no sources: add at least one under sources:"))
	}
	dests := map[string]bool{}
	for i, d := range c.Destinations {
		where := fmt.Sprintf("destinations[%d]", i)
		errs = append(errs, checkName(where, d.Name, dests)...)
		errs = append(errs, d.validateTarget(fmt.Sprintf("%s (%s)", where, d.Name))...)
		if err := CheckFilenameTemplate(d.Filename); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): filename: %w", where, d.Name, err))
		}
		if _, err := ParseSchedule(d.Schedule); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", where, d.Name, err))
		}
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		where := fmt.Sprintf("sources[%d]", i)
		errs = append(errs, checkName(where, s.Name, names)...)
		where = fmt.Sprintf("%s (%s)", where, s.Name)
		errs = append(errs, s.Folder.validate(where)...)
		if s.Workers < 0 {
			errs = append(errs, fmt.Errorf("%s: workers %d: 1 or more (0 or none: the number of cores)", where, s.Workers))
		}
		if s.Poll != "" {
			if _, err := cron.ParseStandard(s.Poll); err != nil {
				errs = append(errs, fmt.Errorf("%s: poll %q: %w (write a cron spec like \"*/5 * * * *\")", where, s.Poll, err))
			}
		}
		if s.Mapping == "" {
			errs = append(errs, fmt.Errorf("%s: mapping is missing", where))
		}
		if s.Pattern != "" {
			if _, err := filepath.Match(s.Pattern, "x"); err != nil {
				errs = append(errs, fmt.Errorf("%s: pattern %q: %w", where, s.Pattern, err))
			}
		}
		if s.Ready.Quiet < 0 {
			errs = append(errs, fmt.Errorf("%s: ready.quiet must not be negative", where))
		}
		for _, o := range s.Outputs {
			if o != "ubl" && o != "cii" && o != "facturx" {
				errs = append(errs, fmt.Errorf("%s: output %q: write ubl, cii or facturx", where, o))
			}
		}
		errs = append(errs, s.Ack.validate(where)...)
		if s.Ack.Language != "fr" && s.Ack.Language != "en" {
			errs = append(errs, fmt.Errorf("%s: ack.language %q: write fr or en", where, s.Ack.Language))
		}
		if s.Destination == "" {
			errs = append(errs, fmt.Errorf("%s: destination is missing", where))
		} else if !dests[s.Destination] {
			errs = append(errs, fmt.Errorf("%s: destination %q is not defined under destinations:", where, s.Destination))
		} else if c.platform(s.Destination) && len(s.Outputs) != 1 {
			// A platform receives each invoice once: two syntaxes would be two invoices.
			errs = append(errs, fmt.Errorf("%s: destination %q is a platform, which must receive each invoice once: give one output (ubl or cii), not %v", where, s.Destination, s.Outputs))
		}
	}
	return errors.Join(errs...)
}

// platform reports whether the destination named name is a platform (Chorus Pro API or
// EDI, an approved platform) rather than a plain folder.
func (c *Config) platform(name string) bool {
	for _, d := range c.Destinations {
		if d.Name == name {
			return d.Chorus != nil || d.PA != nil || d.ChorusEDI != nil
		}
	}
	return false
}

// Path resolves a configured path against the configuration's folder.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	p = filepath.FromSlash(p)
	if filepath.VolumeName(p) != "" || os.IsPathSeparator(p[0]) {
		// Windows only: D:exports (relative to D:'s current folder) stays as written;
		// \exports is rooted on the configuration's drive, not inside its folder.
		if filepath.VolumeName(p) == "" {
			return filepath.VolumeName(c.Dir) + p
		}
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Schedule says when a destination deposits: at once, or when a cron schedule fires.
type Schedule struct {
	Now  bool
	Cron cron.Schedule
}

// ParseSchedule reads "now", a five-field cron spec, or a descriptor such as "@every 1m" or
// "@daily".
func ParseSchedule(spec string) (Schedule, error) {
	if spec == "now" {
		return Schedule{Now: true}, nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w (write now, a cron spec like \"0 2 * * *\", or \"@every 1m\")", spec, err)
	}
	return Schedule{Cron: s}, nil
}

// CheckMappings loads every mapping the configuration names, so that a broken one is found
// before the gateway runs.
func CheckMappings(c *Config) error {
	var errs []error
	for _, s := range c.Sources {
		m, err := mapping.Load(c.Path(s.Mapping))
		if err != nil {
			errs = append(errs, fmt.Errorf("source %s: %w", s.Name, err))
		}
		p, err := invoice.ProfileByName(s.Profile)
		if err != nil {
			errs = append(errs, fmt.Errorf("source %s: %w", s.Name, err))
		} else if m != nil {
			// What the profile requires and the mapping can never supply.
			if err := m.CheckProfile(p, nil); err != nil {
				errs = append(errs, fmt.Errorf("source %s: %w", s.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
