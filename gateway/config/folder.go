package config

import (
	"fmt"
	"path"
	"time"

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
	// key_passphrase_env and password_env are checked with every *_env key (secrets.go).
	return errs
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

// PollSchedule turns the source's poll cron spec into the watcher's schedule (nil: rescan).
func (sc SourceConfig) PollSchedule() func(time.Time) time.Time {
	spec := sc.Poll
	if spec == "" {
		return nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil // refused by validate
	}
	return s.Next
}
