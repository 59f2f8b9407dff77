package gateway

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/robfig/cron/v3"
)

// SFTPConfig is a folder on an SFTP server. The host key is always verified: known_hosts or
// host_key is required. Secrets come from the environment variables it names.
type SFTPConfig struct {
	Host             string   `yaml:"host"`
	Port             int      `yaml:"port"` // default 22
	User             string   `yaml:"user"`
	Path             string   `yaml:"path"` // absolute, or relative to the login directory
	KeyFile          string   `yaml:"key_file"`
	KeyPassphraseEnv string   `yaml:"key_passphrase_env"`
	PasswordEnv      string   `yaml:"password_env"`
	KnownHosts       string   `yaml:"known_hosts"`
	HostKey          string   `yaml:"host_key"`
	ConnectTimeout   Duration `yaml:"connect_timeout"` // default 20s
	IOTimeout        Duration `yaml:"io_timeout"`      // default 60s
	Keepalive        Duration `yaml:"keepalive"`       // default 15s
	MaxBackoff       Duration `yaml:"max_backoff"`     // default 1m
}

// validate checks a folder block; where prefixes the messages.
func (f FolderConfig) validate(where string) []error {
	switch {
	case f.Path != "" && f.SFTP != nil:
		return []error{fmt.Errorf("%s: set one of folder.path and folder.sftp, not both", where)}
	case f.SFTP == nil && f.Path == "":
		return []error{fmt.Errorf("%s: folder.path is missing (or folder.sftp for a folder on an SFTP server)", where)}
	case f.SFTP == nil:
		return nil
	}
	s := f.SFTP
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: folder.sftp: %s", where, fmt.Sprintf(format, args...)))
	}
	if s.Host == "" {
		bad("host is missing")
	}
	if s.User == "" {
		bad("user is missing")
	}
	if s.Port < 0 || s.Port > 65535 {
		bad("port %d is not a TCP port", s.Port)
	}
	if s.KeyFile == "" && s.PasswordEnv == "" {
		bad("no credentials: set key_file (a private key) or password_env (the name of an environment variable holding the password)")
	}
	if s.KeyPassphraseEnv != "" && s.KeyFile == "" {
		bad("key_passphrase_env without key_file")
	}
	switch {
	case s.KnownHosts == "" && s.HostKey == "":
		bad("the server's host key is always verified: set known_hosts (a known_hosts file, e.g. made with ssh-keyscan and checked) or host_key (\"ssh-ed25519 AAAA…\" or \"SHA256:…\")")
	case s.KnownHosts != "" && s.HostKey != "":
		bad("set one of known_hosts and host_key, not both")
	}
	for _, env := range []string{s.KeyPassphraseEnv, s.PasswordEnv} {
		if env != "" && !envName.MatchString(env) {
			bad("%q is not the name of an environment variable (secrets never go in this file: name the variable that holds them)", env)
		}
	}
	return errs
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// OpenFolder opens the folder fc of cfg: a local directory (created when missing, as a
// newcomer's ./var tree is on the first run) or a directory on an SFTP server (connected,
// its host key verified, created when missing).
func OpenFolder(ctx context.Context, cfg *Config, fc FolderConfig) (folder.Folder, error) {
	if fc.SFTP == nil {
		return openLocal(cfg.Path(fc.Path))
	}
	opts, err := sftpOptions(cfg, fc.SFTP)
	if err != nil {
		return nil, err
	}
	return folder.OpenSFTP(ctx, opts)
}

func sftpOptions(cfg *Config, s *SFTPConfig) (folder.SFTPOptions, error) {
	opts := folder.SFTPOptions{
		Host: s.Host, Port: s.Port, User: s.User, Path: s.Path,
		KeyFile: cfg.Path(s.KeyFile), KnownHosts: cfg.Path(s.KnownHosts), HostKey: s.HostKey,
		ConnectTimeout: time.Duration(s.ConnectTimeout), IOTimeout: time.Duration(s.IOTimeout),
		Keepalive: time.Duration(s.Keepalive), MaxBackoff: time.Duration(s.MaxBackoff),
		Create: true,
	}
	secret := func(key, env string) (string, error) {
		if env == "" {
			return "", nil
		}
		return deposit.Secret(nil, "sftp "+s.Host+" "+key, env)
	}
	var err error
	if opts.KeyPassphrase, err = secret("key_passphrase_env", s.KeyPassphraseEnv); err != nil {
		return opts, err
	}
	if opts.Password, err = secret("password_env", s.PasswordEnv); err != nil {
		return opts, err
	}
	return opts, nil
}

// AckFolder is where a source's acks go: ack.path, or <folder>/ack. For an SFTP source it is
// on the same server (ack.path absolute, or relative to the login directory).
func AckFolder(sc SourceConfig) FolderConfig {
	if sc.Folder.SFTP == nil {
		p := sc.Ack.Path
		if p == "" {
			p = path.Join(sc.Folder.Path, "ack")
		}
		return FolderConfig{Path: p}
	}
	s := *sc.Folder.SFTP
	if sc.Ack.Path != "" {
		s.Path = sc.Ack.Path
	} else {
		s.Path = path.Join(s.Path, "ack")
	}
	return FolderConfig{SFTP: &s}
}

// DefaultFilename is the flux name template used when a destination sets none.
const DefaultFilename = "{invoice}_{syntax}.xml"

var placeholder = regexp.MustCompile(`\{([a-z]+)(?::([^}]*))?\}`)

// filenameVars are the values a flux name template can use.
type filenameVars struct {
	Invoice string    // {invoice}: the invoice number, made safe
	Syntax  string    // {syntax}: ubl, cii
	Seq     int       // {seq}: the invoice's position in its file
	FileID  int64     // {fileid}: the journal id of the source file
	Source  string    // {source}: the source's name
	Input   string    // {input}: the source file's name without its extension
	Date    time.Time // {date} or {date:LAYOUT} (Go layout, default 20060102)
}

// checkFilenameTemplate reports an unknown placeholder, a slash, or a name that would be hidden.
func checkFilenameTemplate(t string) error {
	if t == "" {
		return nil
	}
	if strings.ContainsAny(placeholder.ReplaceAllString(t, ""), `/\`) || strings.HasPrefix(t, ".") {
		return fmt.Errorf("%q must be a plain file name (no folder, not hidden)", t)
	}
	var errs []error
	for _, m := range placeholder.FindAllStringSubmatch(t, -1) {
		switch m[1] {
		case "invoice", "syntax", "seq", "fileid", "source", "input":
			if m[2] != "" {
				errs = append(errs, fmt.Errorf("{%s} takes no layout", m[1]))
			}
		case "date":
		default:
			errs = append(errs, fmt.Errorf("unknown placeholder {%s} (use {invoice}, {syntax}, {seq}, {fileid}, {source}, {input}, {date} or {date:20060102})", m[1]))
		}
	}
	if rest := placeholder.ReplaceAllString(t, ""); strings.ContainsAny(rest, "{}") {
		errs = append(errs, fmt.Errorf("%q has an unbalanced brace", t))
	}
	return errors.Join(errs...)
}

// expandFilename fills the template t (DefaultFilename when empty); every value is made safe
// for any file system.
func expandFilename(t string, v filenameVars) string {
	if t == "" {
		t = DefaultFilename
	}
	out := placeholder.ReplaceAllStringFunc(t, func(s string) string {
		m := placeholder.FindStringSubmatch(s)
		switch m[1] {
		case "invoice":
			return v.Invoice
		case "syntax":
			return v.Syntax
		case "seq":
			return strconv.Itoa(v.Seq)
		case "fileid":
			return strconv.FormatInt(v.FileID, 10)
		case "source":
			return v.Source
		case "input":
			return strings.TrimSuffix(path.Base(v.Input), path.Ext(v.Input))
		case "date":
			layout := m[2]
			if layout == "" {
				layout = "20060102"
			}
			return v.Date.Format(layout)
		}
		return s
	})
	return folder.SafeName(out)
}

// filenameNeedsFile reports whether the template uses the source file's name or source.
func filenameNeedsFile(t string) bool {
	return strings.Contains(t, "{source}") || strings.Contains(t, "{input}")
}

// uniqueFilename is name with "_<fileID>-<seq>" before its extension, for a name another
// flux took already.
func uniqueFilename(name string, fileID int64, seq int) string {
	ext := path.Ext(name)
	return fmt.Sprintf("%s_%d-%d%s", strings.TrimSuffix(name, ext), fileID, seq, ext)
}

// pollSchedule turns a source's poll cron spec into the watcher's schedule (nil: rescan).
func pollSchedule(spec string) func(time.Time) time.Time {
	if spec == "" {
		return nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil // refused by validate
	}
	return s.Next
}
